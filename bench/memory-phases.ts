/**
 * @module
 * The memory benchmark's measurement (bench/memory.ts starts it under the heap bound): the pipeline on an
 * embedded cluster of its own, one big transaction through it, and each phase's peaks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import pg from 'pg';
import { formatLsn, parseLsn } from '../core/lsn.ts';
import { describeMemoryBounds, type MemoryBounds } from '../core/memory-bounds.ts';
import { startEmbeddedPostgres } from '../local/embedded-postgres.ts';
import { LocalPipeline } from '../local/pipeline.ts';
import { currentSourceLsn } from '../local/sync.ts';
import { seedSource } from '../source/seed/seed-source.ts';
import { inspectSlot } from '../source/source-inspector.ts';
import { migrateSource } from '../source/source-migration.ts';
import { freshDatabase, withClient } from './bench-database.ts';

/** The phases a sample is counted in, in the order they happen. */
const PHASES = [
  'idle before',
  'reader shipping',
  'firehose delivering',
  'loader loading',
  'idle after',
] as const;
type Phase = (typeof PHASES)[number];

interface Peak {
  /** The kernel's high-water mark of RSS during the phase. */
  rss: number;
  /** V8's committed heap (live objects and garbage not yet collected). */
  heapTotal: number;
  heapUsed: number;
  /** DuckDB's buffer manager (`duckdb_memory()`, bounded by its memory_limit). */
  duckdb: number;
  external: number;
  samples: number;
  startedMs: number;
  endedMs: number;
}

/** What one run measures. */
export interface MemoryRun {
  readonly changes: number;
  readonly scale: number;
  readonly sampleMs: number;
  readonly idleSeconds: number;
  readonly bounds: MemoryBounds;
}

/** Runs the pipeline through one transaction of `changes` changes and prints each phase's figures. */
export async function measurePhases({
  changes,
  scale,
  sampleMs,
  idleSeconds,
  bounds,
}: MemoryRun): Promise<void> {
  console.log(
    `memory bounds: ${describeMemoryBounds(bounds)}; V8 heap_size_limit ` +
      `${(getHeapStatistics().heap_size_limit / 1024 / 1024).toFixed(0)} MiB`,
  );
  const highWaterMark = kernelHighWaterMark();
  if (!highWaterMark.resettable) {
    console.log('peak RSS: the kernel mark cannot be reset here; each phase shows the mark since start');
  }

  const root = await mkdtemp(join(tmpdir(), 'totesys-bench-memory-'));
  await chmod(root, 0o755);
  const cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg') });
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  let pipeline: LocalPipeline | undefined;
  try {
    const sourceUrl = await freshDatabase(admin, cluster.adminUrl, 'bench_source');
    const warehouseUrl = await freshDatabase(admin, cluster.adminUrl, 'bench_warehouse');
    await withClient(sourceUrl, async (client) => {
      await migrateSource(client);
      await seedSource(client, { scale, seed: 7 });
    });
    const dataDir = join(root, 'data');
    pipeline = await LocalPipeline.start({
      sourceUrl,
      warehouseUrl,
      dataDir,
      compactionEveryMinutes: null,
    });
    const running = pipeline;
    await waitForCut(running, await currentSourceLsn(sourceUrl), 600_000);
    const before = await factRows(warehouseUrl);

    let phase: Phase = 'idle before';
    const peaks = new Map<Phase, Peak>();
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
    const reference = () => peaks.get('idle before')?.rss ?? 1;
    const phaseLine = (name: Phase, peak: Peak) =>
      `${name.padEnd(22)} ${((peak.endedMs - peak.startedMs) / 1000).toFixed(1).padStart(7)}   ` +
      `${mib(peak.rss).padStart(9)} (${(peak.rss / reference()).toFixed(2)}×)`.padEnd(27) +
      `${mib(peak.heapTotal).padStart(9)} ${mib(peak.heapUsed).padStart(9)}   ${mib(peak.external).padStart(9)}   ` +
      `${mib(peak.duckdb).padStart(9)}`;
    // Each phase's line as it ends, so a run cut short still says what it saw.
    const enter = (next: Phase) => {
      sample();
      const peak = peaks.get(phase);
      if (peak) console.log(`  ${phaseLine(phase, peak)}`);
      phase = next;
      highWaterMark.reset();
      sample();
    };
    const sample = () => {
      const usage = process.memoryUsage();
      const now = Date.now();
      const peak = peaks.get(phase) ?? {
        rss: 0,
        heapTotal: 0,
        heapUsed: 0,
        duckdb: 0,
        external: 0,
        samples: 0,
        startedMs: now,
        endedMs: now,
      };
      peak.rss = Math.max(peak.rss, usage.rss, highWaterMark.read());
      peak.heapTotal = Math.max(peak.heapTotal, usage.heapTotal);
      peak.heapUsed = Math.max(peak.heapUsed, usage.heapUsed);
      peak.duckdb = Math.max(peak.duckdb, duckdbBytes);
      // `external` includes `arrayBuffers` (Buffers: spool frames, Parquet bodies, socket data).
      peak.external = Math.max(peak.external, usage.external);
      peak.samples++;
      peak.endedMs = now;
      peaks.set(phase, peak);
    };
    // DuckDB's own figure is read asynchronously; each sample takes the latest one.
    let duckdbBytes = 0;
    let readingDuckdb = false;
    const sampleDuckdb = () => {
      if (readingDuckdb) return;
      readingDuckdb = true;
      running.queryEngine
        .memoryBytes()
        .then((bytes) => {
          duckdbBytes = bytes;
        })
        .catch(() => undefined)
        .finally(() => {
          readingDuckdb = false;
        });
    };
    const sampler = setInterval(() => {
      sampleDuckdb();
      sample();
    }, sampleMs);
    // A line a minute within a long phase, so a run stopped before its end still shows how it went.
    const progress = setInterval(() => {
      const peak = peaks.get(phase);
      const usage = process.memoryUsage();
      if (peak)
        console.log(
          `    ${phase}: ${((Date.now() - peak.startedMs) / 1000).toFixed(0)} s, RSS ${mib(usage.rss)}, ` +
            `V8 heap ${mib(usage.heapUsed)} used, DuckDB ${mib(duckdbBytes)}, load ${loadavg()[0]?.toFixed(1)}`,
        );
    }, 60_000);
    try {
      highWaterMark.reset();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      sample();
      console.log(`big transaction: ${changes} changes (new sales and purchase orders) in one commit`);
      enter('reader shipping');
      const startedMs = Date.now();
      const commitLsn = await bigTransaction(sourceUrl, changes);
      console.log(
        `  committed at ${formatLsn(commitLsn)} in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`,
      );
      await waitFor(
        async () => {
          const slot = await withClient(sourceUrl, (client) => inspectSlot(client, 'totesys_stream'));
          const confirmed = slot?.confirmedFlushLsn;
          return typeof confirmed === 'string' && parseLsn(confirmed) >= commitLsn;
        },
        running,
        'the reader to ship the transaction',
      );
      const shippedMs = Date.now();
      enter('firehose delivering');
      await waitFor(
        async () => running.firehoseMetrics().every((stream) => stream.backlogBytes === 0),
        running,
        'the local Firehose to deliver the transaction',
      );
      const deliveredMs = Date.now();
      enter('loader loading');
      await waitForCut(running, commitLsn, 3_600_000);
      const loadedMs = Date.now();
      enter('idle after');
      await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
      sample();
      const after = await factRows(warehouseUrl);
      const loadedRows = after - before;

      console.log(
        `load average (1, 5, 15 min): ${loadavg()
          .map((n) => n.toFixed(2))
          .join(', ')}`,
      );
      console.log(
        'phase                  seconds   peak RSS (× idle before)   V8 heap (used)   buffers      DuckDB',
      );
      for (const name of PHASES) {
        const peak = peaks.get(name);
        if (peak) console.log(phaseLine(name, peak));
      }
      const overall = Math.max(...[...peaks.values()].map((p) => p.rss));
      console.log(
        `peak RSS of the pipeline process: ${mib(overall)} (${(overall / reference()).toFixed(2)}× idle)`,
      );
      console.log(
        `times: shipped ${((shippedMs - startedMs) / 1000).toFixed(1)} s, delivered ` +
          `${((deliveredMs - startedMs) / 1000).toFixed(1)} s, loaded ${((loadedMs - startedMs) / 1000).toFixed(1)} s ` +
          `after the transaction began (${Math.round(changes / ((loadedMs - startedMs) / 1000))} changes/s)`,
      );
      const complete = loadedRows === changes;
      console.log(
        `count check: the warehouse gained ${loadedRows} fact rows for ${changes} changes: ${complete ? 'complete' : 'MISSING ROWS'}`,
      );
      if (!complete) process.exitCode = 1;
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
    }
  } finally {
    await pipeline?.stop();
    await admin.end();
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * One transaction of `changes` inserts: half new sales orders, half new purchase orders, each a copy of the
 * first seeded order with its own id and quantity. Returns the WAL position after the commit.
 */
async function bigTransaction(sourceUrl: string, changes: number): Promise<bigint> {
  const sales = Math.ceil(changes / 2);
  const purchases = changes - sales;
  return withClient(sourceUrl, async (client) => {
    await client.query('BEGIN');
    // Every row copies an existing order's references, so checking its foreign keys (5 trigger queries a row)
    // would only make the commit slower; the rows are written to the WAL and decoded all the same.
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(
      `INSERT INTO sales_order (last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id,
         agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
       SELECT now(), s.design_id, s.staff_id, s.counterparty_id, 1000 + g % 99000, s.unit_price, s.currency_id,
         s.agreed_delivery_date, s.agreed_payment_date, s.agreed_delivery_location_id
       FROM (SELECT * FROM sales_order ORDER BY sales_order_id LIMIT 1) AS s, generate_series(1, $1::integer) AS g`,
      [sales],
    );
    await client.query(
      `INSERT INTO purchase_order (last_updated, staff_id, counterparty_id, item_code, item_quantity, item_unit_price,
         currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
       SELECT now(), p.staff_id, p.counterparty_id, p.item_code, 1 + g % 999, p.item_unit_price, p.currency_id,
         p.agreed_delivery_date, p.agreed_payment_date, p.agreed_delivery_location_id
       FROM (SELECT * FROM purchase_order ORDER BY purchase_order_id LIMIT 1) AS p, generate_series(1, $1::integer) AS g`,
      [purchases],
    );
    await client.query('COMMIT');
    const result = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return parseLsn(result.rows[0]!.lsn);
  });
}

async function factRows(warehouseUrl: string): Promise<number> {
  return withClient(warehouseUrl, async (client) => {
    const result = await client.query<{ n: string }>(
      'SELECT (SELECT count(*) FROM fact_sales_order) + (SELECT count(*) FROM fact_purchase_order) AS n',
    );
    return Number(result.rows[0]?.n ?? 0);
  });
}

/** Polls `condition` every 200 ms; fails when a stage of the pipeline stopped. */
async function waitFor(condition: () => Promise<boolean>, pipeline: LocalPipeline, what: string) {
  for (;;) {
    if (await condition()) return;
    if (pipeline.failure) throw new Error(`waiting for ${what}: ${pipeline.failure.message}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitForCut(pipeline: LocalPipeline, target: bigint, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  await waitFor(
    async () => {
      if (Date.now() > deadline) throw new Error(`the warehouse did not reach ${formatLsn(target)} in time`);
      const cut = await pipeline.warehouse.currentCut();
      return cut !== null && BigInt(cut.lsn) >= target;
    },
    pipeline,
    'the warehouse cut',
  );
}

/**
 * The kernel's high-water mark of this process's RSS (Linux: `VmHWM`), and its reset to the current RSS
 * (`clear_refs` 5). Elsewhere `maxRSS`, not resettable.
 */
function kernelHighWaterMark(): { readonly resettable: boolean; reset(): void; read(): number } {
  const readStatus = (): number | undefined => {
    try {
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  };
  const reset = (): boolean => {
    try {
      writeFileSync('/proc/self/clear_refs', '5');
      return true;
    } catch {
      return false;
    }
  };
  const resettable = readStatus() !== undefined && reset();
  return {
    resettable,
    reset: () => {
      if (resettable) reset();
    },
    read: () => (resettable ? readStatus() : undefined) ?? process.resourceUsage().maxRSS * 1024,
  };
}
