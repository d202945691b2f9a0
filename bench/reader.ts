/**
 * @module
 * `npm run bench -- reader [--changes 100000,1000000] [--snapshot-rows 1000000] [--rounds 2]`: the CDC reader beside
 * PostgreSQL's own tools, in the same run on the same embedded cluster.
 *
 * Streaming: slots are created at the same point, then N changes are committed on `department` (transactions
 * of 1000: 500 inserts, 300 updates, 200 deletes, set-based). The reader drains its slot into an in-memory
 * ChangeStream (counted, not kept) and, on another slot, through the Firehose ChangeStream's packing and
 * batching into a null putter; `pg_recvlogical` drains a third slot to /dev/null with proto_version=1 and the
 * same publication up to the same `--endpos`. Snapshot: N rows copied by the reader's exported-snapshot COPY
 * path into the in-memory stream, beside `COPY department TO STDOUT` into a null sink. Peak memory is VmHWM,
 * reset before each phase through /proc/self/clear_refs where the kernel allows it.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { formatLsn, parseLsn } from '../core/lsn.ts';
import { SYSTEM_CLOCK } from '../core/ports/clock.ts';
import { SILENT_LOG } from '../core/ports/log.ts';
import { startEmbeddedPostgres } from '../local/embedded-postgres.ts';
import { FirehoseChangeStream } from '../reader/firehose-change-stream.ts';
import { ensureSnapshot } from '../reader/initial-snapshot.ts';
import { runReader } from '../reader/reader-loop.ts';
import { TableStates } from '../reader/table-states.ts';
import { migrateSource } from '../source/source-migration.ts';
import { MemoryChangeStream } from '../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../testing/memory-state-store.ts';
import { MemoryRecordPutter } from '../testing/record-putters.ts';
import { withClient } from './bench-database.ts';

const run$ = promisify(execFile);
const PUBLICATION = 'totesys_stream';
const quiet = SILENT_LOG;

/** Runs the benchmark and prints each figure beside its reference. */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { changes: { type: 'string' }, 'snapshot-rows': { type: 'string' }, rounds: { type: 'string' } },
  });
  const sizes = (values.changes ?? '100000,1000000').split(',').map(Number);
  const snapshotRows = Number(values['snapshot-rows'] ?? '1000000');
  const rounds = Number(values.rounds ?? '2');
  const root = await mkdtemp(join(tmpdir(), 'totesys-bench-reader-'));
  await chmod(root, 0o755);
  const cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg') });
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  try {
    for (const changes of sizes) {
      const url = await freshSource(admin, cluster.adminUrl, `bench_stream_${changes}`);
      await streamingBench(url, changes, rounds);
    }
    const url = await freshSource(admin, cluster.adminUrl, 'bench_snapshot');
    await snapshotBench(url, snapshotRows);
  } finally {
    await admin.end();
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  }
}

async function freshSource(admin: pg.Client, adminUrl: string, name: string): Promise<string> {
  // Slot names are cluster-wide: the previous phase's slots go first.
  await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active');
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await withClient(url.toString(), (client) => migrateSource(client));
  return url.toString();
}

async function streamingBench(url: string, changes: number, rounds: number): Promise<void> {
  // One slot per measured run, all created before the changes: each run drains exactly the same changes.
  // Runs alternate between the reader and pg_recvlogical (the machine may be shared), best of `rounds`.
  const readers: { slot: string; state: MemoryStateStore }[] = [];
  for (let round = 0; round <= rounds; round++) {
    const reader = { slot: `bench_reader_${round}`, state: new MemoryStateStore() };
    await runReader({
      sourceUrl: url,
      slot: reader.slot,
      changeStream: new MemoryChangeStream(),
      stateStore: reader.state,
      stopAtLsn: 'current',
      log: quiet,
    });
    readers.push(reader);
  }
  for (let round = 0; round < rounds; round++) {
    await withClient(url, (c) =>
      c.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [`bench_recv_${round}`]),
    );
  }

  const generated = Date.now();
  const endpos = await withClient(url, async (client) => {
    const transactions = Math.ceil(changes / 1000);
    for (let t = 0; t < transactions; t++) {
      const base = t * 500;
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO department (department_id, department_name, location, manager, created_at, last_updated)
         SELECT g, 'Dept ' || g, 'Leeds', 'Manager ' || g, now(), now() FROM generate_series($1::int, $1::int + 499) g`,
        [base + 1],
      );
      await client.query(`UPDATE department SET manager = 'M' WHERE department_id BETWEEN $1 AND $1 + 299`, [
        base + 1,
      ]);
      await client.query('DELETE FROM department WHERE department_id BETWEEN $1 AND $1 + 199', [base + 301]);
      await client.query('COMMIT');
    }
    return parseLsn(
      (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn,
    );
  });
  const generateSeconds = (Date.now() - generated) / 1000;

  const readerRuns: { seconds: number; wholeRun: number; peak: number; events: number }[] = [];
  const recvRuns: number[] = [];
  for (let round = 0; round < rounds; round++) {
    resetPeakMemory();
    let changesSeen = 0;
    let lastChangeAt = 0;
    const memory = new MemoryChangeStream({
      retain: false,
      afterPut: (events) => {
        for (const event of events) if (event.op !== 'w') changesSeen += 1;
        if (changesSeen >= changes && lastChangeAt === 0) lastChangeAt = Date.now();
      },
    });
    let started = Date.now();
    const { slot, state } = readers[round]!;
    await runReader({
      sourceUrl: url,
      slot,
      changeStream: memory,
      stateStore: state,
      stopAtLsn: endpos,
      log: quiet,
    });
    readerRuns.push({
      seconds: (lastChangeAt - started) / 1000,
      wholeRun: (Date.now() - started) / 1000,
      peak: await peakMemoryMb(),
      events: memory.eventCount,
    });
    started = Date.now();
    await recvlogical(url, `bench_recv_${round}`, endpos);
    recvRuns.push((Date.now() - started) / 1000);
  }

  resetPeakMemory();
  const putter = new MemoryRecordPutter({ retain: false });
  const firehose = new FirehoseChangeStream({ putter });
  const { slot, state } = readers[rounds]!;
  const started = Date.now();
  await runReader({
    sourceUrl: url,
    slot,
    changeStream: firehose,
    stateStore: state,
    stopAtLsn: endpos,
    log: quiet,
  });
  const firehoseSeconds = (Date.now() - started) / 1000;
  const firehosePeak = await peakMemoryMb();

  const best = readerRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const recvSeconds = Math.min(...recvRuns);
  const rate = (seconds: number) => Math.round(changes / seconds).toLocaleString('en');
  const all = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');
  console.log(
    `\nstreaming ${changes.toLocaleString('en')} changes (generated in ${generateSeconds.toFixed(1)} s), best of ${rounds}`,
  );
  console.log(
    `  reader -> in-memory ChangeStream   ${best.seconds.toFixed(2)} s  ${rate(best.seconds)} changes/s  peak RSS ${best.peak} MB  (to the last change accepted; whole run incl. connect, final ack, watermarks ${best.wholeRun.toFixed(2)} s; runs ${all(readerRuns.map((r) => r.seconds))} s)`,
  );
  console.log(
    `  reader -> Firehose packing (null)  ${firehoseSeconds.toFixed(2)} s  ${rate(firehoseSeconds)} changes/s  peak RSS ${firehosePeak} MB  (${putter.callCount} PutRecordBatch calls)`,
  );
  console.log(
    `  pg_recvlogical -> /dev/null        ${recvSeconds.toFixed(2)} s  ${rate(recvSeconds)} changes/s  (runs ${all(recvRuns)} s)`,
  );
  console.log(
    `  ratio reader/pg_recvlogical: ${(recvSeconds / best.seconds).toFixed(2)}x (Firehose path ${(recvSeconds / firehoseSeconds).toFixed(2)}x; aim >= 1.0x)`,
  );
}

async function recvlogical(url: string, slot: string, endpos: bigint): Promise<void> {
  const target = new URL(url);
  // biome-ignore format: one option per line would hide the command line
  const args = ['-h', target.hostname, '-p', target.port, '-U', decodeURIComponent(target.username), '-d', target.pathname.slice(1), '--slot', slot, '--start', '-o', 'proto_version=1', '-o', `publication_names=${PUBLICATION}`, '-f', '/dev/null', '--endpos', formatLsn(endpos), '--no-loop'];
  await run$('pg_recvlogical', args, {
    env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) },
  });
}

async function snapshotBench(url: string, rows: number): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      `INSERT INTO department (department_id, department_name, location, manager, created_at, last_updated)
       SELECT g, 'Dept ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'Leeds' END, 'Manager ' || g, now(), now()
         FROM generate_series(1, $1::int) g`,
      [rows],
    ),
  );
  await withClient(url, (client) => client.query('VACUUM ANALYZE department'));

  let started = Date.now();
  await withClient(url, async (client) => {
    await pipeline(
      client.query(copyTo('COPY department TO STDOUT')),
      new Writable({ write: (_chunk, _encoding, done) => done() }),
    );
  });
  const copySeconds = (Date.now() - started) / 1000;

  resetPeakMemory();
  const stream = new MemoryChangeStream({ retain: false });
  started = Date.now();
  await ensureSnapshot({
    connection: { connectionString: url },
    slot: 'bench_snapshot',
    stream,
    tables: await TableStates.open(new MemoryStateStore(), 'bench_snapshot', SYSTEM_CLOCK),
    clock: SYSTEM_CLOCK,
    batchBytes: 1024 * 1024,
    maxInFlightBytes: 32 * 1024 * 1024,
    log: quiet,
  });
  const readerSeconds = (Date.now() - started) / 1000;
  const peak = await peakMemoryMb();

  const rate = (seconds: number) => Math.round(rows / seconds);
  console.log(`\nsnapshot of ${rows.toLocaleString('en')} rows`);
  console.log(
    `  reader (exported snapshot, COPY, r events)  ${readerSeconds.toFixed(2)} s  ${rate(readerSeconds).toLocaleString('en')} rows/s  peak RSS ${peak} MB  (${stream.eventCount} events)`,
  );
  console.log(
    `  COPY department TO STDOUT -> null           ${copySeconds.toFixed(2)} s  ${rate(copySeconds).toLocaleString('en')} rows/s`,
  );
  console.log(`  ratio reader/COPY: ${(copySeconds / readerSeconds).toFixed(2)}x (aim >= 0.5x)`);
}

/** Resets VmHWM to the current RSS (Linux `clear_refs` value 5); silently unavailable elsewhere. */
function resetPeakMemory(): void {
  void writeFile('/proc/self/clear_refs', '5').catch(() => undefined);
}

async function peakMemoryMb(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? '0');
  return Math.round(kb / 1024);
}
