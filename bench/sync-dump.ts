/**
 * @module
 * `npm run bench -- sync-dump --dump PATH [--transactions 99] [--updates 1000] [--rounds 1] [--profile]`:
 * `sync` of update transactions on the real totesys data, beside pg_recvlogical draining the same changes.
 *
 * 1. An embedded cluster of its own, the dump imported as `totesys-stream import --dump` does
 *    (cli/actions/import.ts: the source migration, then `importDump`), then `sync` to a first cut (the initial
 *    snapshot), as a user would run them.
 * 2. Each round: a second logical slot (pgoutput) for pg_recvlogical at the source's position; `--transactions`
 *    transactions each updating `--updates` real rows, half sales orders and half payments
 *    (bench/set-based-updates.ts); `sync` timed from its start until it returns, the warehouse's cut at the
 *    source's position (local/sync.ts); then pg_recvlogical drains its slot to /dev/null up to the same
 *    position, with the reader's protocol version and publication (as bench/reader.ts runs it).
 * 3. Both rates, their ratio, the CPU seconds of both (sync: this process and the cluster's backends;
 *    pg_recvlogical: its own process and its walsender, bench/cpu-accounting.ts) and the load average.
 *    `--profile` splits sync's main thread by stage.
 *
 * The dump is not part of the repository and no test uses it: without `--dump`, or with a path that cannot
 * be read, the benchmark says what it needs and stops.
 */
import { execFile } from 'node:child_process';
import { access, chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { formatLsn, parseLsn } from '../core/lsn.ts';
import { startEmbeddedPostgres } from '../local/embedded-postgres.ts';
import { pipelineNames } from '../local/pipeline-options.ts';
import { runSync } from '../local/sync.ts';
import { importDump } from '../source/dump-import/dump-import.ts';
import { migrateSource } from '../source/source-migration.ts';
import { withClient } from './bench-database.ts';
import { CpuMeter, cpuTable, cpuTotal, endedChildrenSeconds, loadAverage } from './cpu-accounting.ts';
import { SetBasedUpdates } from './set-based-updates.ts';

const run$ = promisify(execFile);

/** The slot pg_recvlogical drains (the pipeline's own is `pipelineNames().slot`). */
const RECV_SLOT = 'bench_sync_dump_recv';

/** Runs the benchmark and prints sync's rate beside pg_recvlogical's. */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      dump: { type: 'string' },
      transactions: { type: 'string' },
      updates: { type: 'string' },
      rounds: { type: 'string' },
      profile: { type: 'boolean' },
    },
  });
  const dump = values.dump;
  if (
    dump === undefined ||
    !(await access(dump).then(
      () => true,
      () => false,
    ))
  ) {
    console.error(
      dump === undefined
        ? 'sync-dump needs the totesys data: pass --dump PATH, the path of a pg_dump of the totesys database in ' +
            'COPY format (what `totesys-stream import --dump` reads). It is not part of the repository.'
        : `sync-dump cannot read the dump file ${dump}: check the --dump path (a pg_dump of the totesys ` +
            'database in COPY format, what `totesys-stream import --dump` reads; it is not part of the repository).',
    );
    process.exitCode = 2;
    return;
  }
  const transactions = Number(values.transactions ?? '99');
  const updates = Number(values.updates ?? '1000');
  const rounds = Number(values.rounds ?? '1');
  const profile = values.profile ?? false;

  const root = await mkdtemp(join(tmpdir(), 'totesys-bench-sync-dump-'));
  await chmod(root, 0o755);
  const cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg') });
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  const { sourceUrl, warehouseUrl } = cluster;
  const dataDir = join(root, 'data');
  try {
    const imported = await withClient(sourceUrl, async (client) => {
      await migrateSource(client);
      return importDump(client, dump);
    });
    const rows = Object.values(imported.rows).reduce((sum, n) => sum + n, 0);
    console.log(`imported ${rows} rows of the dump in ${(imported.elapsedMs / 1000).toFixed(1)} s`);
    const first = await runSync({ sourceUrl, warehouseUrl, dataDir, timeoutMs: 600_000 });
    console.log(`first sync (the initial snapshot) to cut ${first.cutLsn} in ${first.seconds.toFixed(1)} s`);
    const meter = await CpuMeter.open([admin], new URL(sourceUrl).pathname.slice(1));
    for (let round = 1; round <= rounds; round++)
      await measureRound({ sourceUrl, warehouseUrl, dataDir, meter, transactions, updates, profile, round });
  } finally {
    await admin.end();
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  }
}

interface RoundOptions {
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  readonly dataDir: string;
  readonly meter: CpuMeter;
  readonly transactions: number;
  readonly updates: number;
  readonly profile: boolean;
  readonly round: number;
}

async function measureRound(options: RoundOptions): Promise<void> {
  const { sourceUrl, warehouseUrl, dataDir, meter } = options;
  await withClient(sourceUrl, (client) =>
    client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [RECV_SLOT]),
  );
  const driver = await SetBasedUpdates.open(sourceUrl);
  let changes = 0;
  const committing = performance.now();
  try {
    for (let t = 0; t < options.transactions; t++)
      changes += await driver.commit(Math.round(options.updates / 2));
  } finally {
    await driver.close();
  }
  const endpos = await withClient(sourceUrl, async (client) =>
    parseLsn((await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn),
  );
  console.log(
    `\nround ${options.round}: ${changes} updates committed in ${options.transactions} transactions ` +
      `(${((performance.now() - committing) / 1000).toFixed(1)} s), the source at ${formatLsn(endpos)}`,
  );

  const loads: number[] = [];
  const syncLoad = loadAverage();
  const syncStarted = performance.now();
  const { result: synced, cpu: syncCpu } = await meter.measure(
    () =>
      runSync({
        sourceUrl,
        warehouseUrl,
        dataDir,
        timeoutMs: 600_000,
        onLoad: (outcome) => {
          if (outcome.status === 'loaded') loads.push((performance.now() - syncStarted) / 1000);
        },
      }),
    options.profile,
  );
  const syncSeconds = (performance.now() - syncStarted) / 1000;

  const recvLoad = loadAverage();
  const childrenBefore = await endedChildrenSeconds();
  const recvStarted = performance.now();
  const { cpu: recvCpu } = await meter.measure(() => recvlogical(sourceUrl, endpos));
  const recvSeconds = (performance.now() - recvStarted) / 1000;
  const recvProcess = (await endedChildrenSeconds()) - childrenBefore;
  await withClient(sourceUrl, (client) => client.query('SELECT pg_drop_replication_slot($1)', [RECV_SLOT]));

  const rate = (seconds: number) => Math.round(changes / seconds);
  const rowsLoaded = Object.values(synced.rowsLoaded).reduce((sum, n) => sum + (n ?? 0), 0);
  console.log(
    `  sync            ${syncSeconds.toFixed(2)} s  ${rate(syncSeconds)} changes/s  (cut ${synced.cutLsn}; ` +
      `${loads.length} loader runs loaded ${rowsLoaded} rows, the first at ${loads[0]?.toFixed(2) ?? '-'} s, ` +
      `the last at ${loads.at(-1)?.toFixed(2) ?? '-'} s; load ${syncLoad})`,
  );
  console.log(
    `  pg_recvlogical  ${recvSeconds.toFixed(2)} s  ${rate(recvSeconds)} changes/s  (load ${recvLoad})`,
  );
  console.log(
    `  ratio sync/pg_recvlogical: ${(recvSeconds / syncSeconds).toFixed(3)}x (aim: sync >= 10,000 changes/s)`,
  );
  const syncTotal = cpuTotal(syncCpu);
  // Its walsender ends with it, often before the meter's next sample: the cluster's whole CPU during the
  // drain is counted (nothing else runs there then but the background processes).
  const recvPg = Object.values(recvCpu.postgres).reduce((sum, seconds) => sum + seconds, 0);
  const recvTotal = recvProcess + recvPg;
  console.log(
    `  CPU: sync ${syncTotal.toFixed(2)} s (${((1000 * syncTotal) / changes).toFixed(3)} s per 1,000 changes), ` +
      `pg_recvlogical ${recvTotal.toFixed(2)} s (its process ${recvProcess.toFixed(2)}, the cluster's ` +
      `${recvPg.toFixed(2)}: its walsender); load ${loadAverage()}`,
  );
  console.log('  CPU of the sync:');
  for (const line of cpuTable(syncCpu, changes)) console.log(line);
}

/** pg_recvlogical drains the benchmark's slot to /dev/null up to `endpos`, as the reader decodes (pgoutput v1). */
async function recvlogical(url: string, endpos: bigint): Promise<void> {
  const target = new URL(url);
  const { publication } = pipelineNames({});
  // biome-ignore format: one option per line would hide the command line
  const args = ['-h', target.hostname, '-p', target.port, '-U', decodeURIComponent(target.username), '-d', target.pathname.slice(1), '--slot', RECV_SLOT, '--start', '-o', 'proto_version=1', '-o', `publication_names=${publication}`, '-f', '/dev/null', '--endpos', formatLsn(endpos), '--no-loop'];
  await run$('pg_recvlogical', args, {
    env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) },
  });
}
