/**
 * @module
 * `npm run bench -- e2e [--rate 1000] [--duration 30] [--sweep 2000,5000,10000,20000] [--sweep-seconds 60]
 * [--scale 0.2] [--phases latency,sweep,loader] [--profile] [--trace-runs]`: the whole local pipeline (reader, local Firehose,
 * lake, DuckDB loader, warehouse) on an embedded cluster of its own.
 *
 * Every step driving the pipeline also prints where its CPU seconds went per 1,000 changes (bench/cpu-accounting.ts):
 * this process's main thread and other threads, the cluster's backends by role, and the source's own cost (the
 * driver's JavaScript and the source's backends) beside the pipeline's. `--profile` splits the main thread by
 * stage from a CPU profile of the step. `--trace-runs` times each DuckDB and warehouse statement of the latency
 * step's loader runs and reads each run's CPU (bench/loader-run-trace.ts).
 *
 * 1. Latency: the simulator drives the source at a fixed rate; every change's commit-to-warehouse latency is
 *    the finish time of the load that made it visible minus its commit time (loads from
 *    `pipeline.load_history`, commit times from the lake, each change once), reported as p50/p95/max, then
 *    per 10 s of the step by when the changes became visible (bench/latency-windows.ts), with the windows a
 *    compaction run finished in: a step longer than a minute covers `up`'s compaction as well.
 * 2. Sustained rate: a sweep of fixed rates of set-based updates (one transaction every 100 ms updating
 *    rate/10 rows of sales_order and payment, from a thread of its own: bench/source-driver-thread.ts; the
 *    simulator's one-statement-per-change cannot reach these rates on 2 cores); a rate is
 *    sustained when the achieved rate is within 10% of it and the warehouse lag stays bounded (the highest lag
 *    over the last third of the step is no more than 2 s above the first third's: it does not grow).
 * 3. Loader beside COPY: everything the lake holds is loaded into a fresh warehouse by one loader run; the
 *    same star rows are then `COPY FROM`-ed into empty copies of the star tables. Rows per second of both, and
 *    the CPU seconds of both per 1,000 rows (this process and the warehouse's backends).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { QueryParameter } from '../core/ports/query-engine.ts';
import { WAREHOUSE_TABLE_NAMES } from '../core/schema/warehouse-tables.ts';
import { DuckDbQueryEngine } from '../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { ObjectStoreRoundLog } from '../lake/object-store-round-log.ts';
import { readLoaderQueries, runLoad } from '../loader/run-load.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../local/data-dir-layout.ts';
import { startEmbeddedPostgres } from '../local/embedded-postgres.ts';
import { LocalPipeline } from '../local/pipeline.ts';
import { runSync } from '../local/sync.ts';
import { seedSource } from '../source/seed/seed-source.ts';
import { Simulator } from '../source/simulator/simulator.ts';
import { migrateSource } from '../source/source-migration.ts';
import { PgWarehouse } from '../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../warehouse/warehouse-migration.ts';
import { freshDatabase, withClient } from './bench-database.ts';
import {
  CpuMeter,
  type CpuStep,
  cpuTable,
  cpuTotal,
  loadAverage,
  sourceSeconds,
  withSourceThread,
} from './cpu-accounting.ts';
import { latencyWindowLines, type VisibleChange, visibleChanges } from './latency-windows.ts';
import { LoaderRunTrace, threadSplit, threadTicks } from './loader-run-trace.ts';
import { percentile } from './percentile.ts';
import { committedBy, type DriveSummary, SourceDriverThread } from './source-driver-thread.ts';
import { profileStatements, statementTable } from './statement-cpu.ts';

/** Runs the benchmark and prints its figures. */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      sweep: { type: 'string' },
      'sweep-seconds': { type: 'string' },
      scale: { type: 'string' },
      phases: { type: 'string' },
      profile: { type: 'boolean' },
      'trace-runs': { type: 'boolean' },
    },
  });
  const phases = new Set((values.phases ?? 'latency,sweep,loader').split(','));
  const profile = values.profile ?? false;
  const traceRuns = values['trace-runs'] ?? false;
  const rate = Number(values.rate ?? '1000');
  const duration = Number(values.duration ?? '30');
  const sweep = (values.sweep ?? '2000,5000,10000,20000').split(',').map(Number);
  const sweepSeconds = Number(values['sweep-seconds'] ?? '60');
  const scale = Number(values.scale ?? '0.2');

  const root = await mkdtemp(join(tmpdir(), 'totesys-bench-e2e-'));
  await chmod(root, 0o755);
  // The source has a cluster of its own, as a real source does: on the warehouse's cluster the driver's
  // transactions took 80-190 ms instead of 7 at 20,000 changes/s, and 5-7% of its updates were HOT
  // (bench/README.md, "The sweep's source").
  const cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg') });
  const sourceCluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg-source') });
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  const sourceAdmin = new pg.Client({ connectionString: sourceCluster.adminUrl });
  await admin.connect();
  await sourceAdmin.connect();
  try {
    const sourceUrl = await freshDatabase(sourceAdmin, sourceCluster.adminUrl, 'bench_source');
    const warehouseUrl = await freshDatabase(admin, cluster.adminUrl, 'bench_warehouse');
    await withClient(sourceUrl, async (client) => {
      await migrateSource(client);
      await seedSource(client, { scale, seed: 3 });
    });
    const dataDir = join(root, 'data');
    const started = Date.now();
    const first = await runSync({ sourceUrl, warehouseUrl, dataDir, timeoutMs: 600_000 });
    console.log(
      `initial snapshot (scale ${scale}) synced in ${((Date.now() - started) / 1000).toFixed(1)} s, cut ${first.cutLsn}`,
    );

    const meter = await CpuMeter.open([admin, sourceAdmin], 'bench_source');
    if (phases.has('latency'))
      await latencyPhase(sourceUrl, warehouseUrl, dataDir, rate, duration, meter, profile, traceRuns);
    if (phases.has('sweep'))
      await sweepPhase(sourceUrl, warehouseUrl, dataDir, sweep, sweepSeconds, meter, profile);
    if (phases.has('loader')) {
      const freshUrl = await freshDatabase(admin, cluster.adminUrl, 'bench_fresh_warehouse');
      await loaderVersusCopy(dataDir, freshUrl, meter, profile);
    }
  } finally {
    await admin.end();
    await sourceAdmin.end();
    await cluster.stop();
    await sourceCluster.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** Source connections driving changes in parallel (one simulator each). */
const CLIENTS = 4;

/**
 * Drives the source at `rate` changes/s: every 100 ms, rate/10 changes, split over up to {@link CLIENTS}
 * simulators each committing its share in one transaction. A client that falls behind catches up, so the achieved rate
 * shows what the source can take.
 */
async function drive(sourceUrl: string, rate: number, seconds: number, onTick?: () => Promise<void>) {
  // Fewer clients below 10 changes per tick per client: each commits at least one change a tick.
  const clients = Math.max(1, Math.min(CLIENTS, Math.round(rate / 10)));
  const simulators = Array.from({ length: clients }, (_, i) => new Simulator({ sourceUrl, seed: rate + i }));
  await Promise.all(simulators.map((s) => s.connect()));
  const perTick = Math.max(1, Math.round(rate / 10 / clients));
  const begun = performance.now();
  let rolledBack = 0;
  const client = async (simulator: Simulator, index: number) => {
    let ticks = 0;
    while (performance.now() - begun < seconds * 1000) {
      const due = Math.floor((performance.now() - begun) / 100);
      if (ticks < due) {
        // Parallel simulators can collide (one deletes a design another just picked); the transaction rolls
        // back, is counted, and the client goes on.
        await simulator.step(perTick).catch(() => {
          rolledBack++;
        });
        ticks++;
        if (index === 0) await onTick?.();
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };
  await Promise.all(simulators.map(client));
  const summaries = await Promise.all(simulators.map((s) => s.stop()));
  return {
    totalChanges: summaries.reduce((sum, s) => sum + s.totalChanges, 0),
    rolledBack,
    elapsedMs: Math.max(...summaries.map((s) => s.elapsedMs)),
  };
}

async function latencyPhase(
  sourceUrl: string,
  warehouseUrl: string,
  dataDir: string,
  rate: number,
  seconds: number,
  meter: CpuMeter,
  profile: boolean,
  traceRuns: boolean,
) {
  const before = await withClient(
    warehouseUrl,
    async (c) =>
      (
        await c.query<{ id: string }>(
          'SELECT coalesce(max(load_id), 0)::text AS id FROM pipeline.load_history',
        )
      ).rows[0]?.id ?? '0',
  );
  // The local defaults (core/operations.ts), as `up` runs them: this step measures what a user sees.
  let trace: LoaderRunTrace | undefined;
  const threadsBefore = traceRuns ? await threadTicks() : undefined;
  const compactionsAtMs: number[] = [];
  const pipeline = await LocalPipeline.start({
    sourceUrl,
    warehouseUrl,
    dataDir,
    onLoad: (outcome) => trace?.onLoad(outcome),
    onCompaction: () => compactionsAtMs.push(Date.now()),
  });
  if (traceRuns)
    trace = LoaderRunTrace.attach(
      { engine: pipeline.queryEngine, warehouse: pipeline.warehouse, queries: await readLoaderQueries() },
      'bench_warehouse',
    );
  let summary: Awaited<ReturnType<typeof drive>>;
  let cpu: Awaited<ReturnType<CpuMeter['measure']>>['cpu'];
  const stepStartMs = Date.now();
  try {
    ({ result: summary, cpu } = await meter.measure(() => drive(sourceUrl, rate, seconds), profile));
    if (summary.rolledBack > 0)
      console.log(`(${summary.rolledBack} simulator transactions collided and rolled back)`);
    // Let the last changes arrive.
    const target = await withClient(
      sourceUrl,
      async (c) =>
        (await c.query<{ l: string }>("SELECT (pg_current_wal_lsn() - '0/0')::text AS l")).rows[0]?.l ?? '0',
    );
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      const cut = await pipeline.warehouse.currentCut();
      if (cut && BigInt(cut.lsn) >= BigInt(target)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    trace?.detach();
    await pipeline.stop();
  }
  if (trace) for (const line of await trace.summary()) console.log(line);
  if (threadsBefore) console.log(await threadSplit(threadsBefore));
  const loads = await withClient(
    warehouseUrl,
    async (c) =>
      (
        await c.query<{ from_lsn: string; to_lsn: string; finished: string }>(
          `SELECT from_lsn::text, to_lsn::text, (extract(epoch FROM finished_at) * 1000)::bigint::text AS finished
         FROM pipeline.load_history WHERE load_id > $1 ORDER BY load_id`,
          [before],
        )
      ).rows,
  );
  const engine = await DuckDbQueryEngine.open({
    lakeDir: pipelinePaths(dataDir).lake,
    bucket: LOCAL_LAKE_BUCKET,
  });
  let visible: VisibleChange[];
  try {
    visible = await visibleChanges(engine, loads);
  } finally {
    await engine.close();
  }
  const latencies = visible.map((change) => change.latencySeconds);
  latencies.sort((a, b) => a - b);
  const achieved = summary.totalChanges / (summary.elapsedMs / 1000);
  console.log(
    `latency at ${rate} changes/s (achieved ${achieved.toFixed(0)}/s, ${summary.totalChanges} changes, ` +
      `${loads.length} loads): p50 ${percentile(latencies, 0.5).toFixed(2)} s, p95 ${percentile(latencies, 0.95).toFixed(2)} s, ` +
      `max ${(latencies.at(-1) ?? Number.NaN).toFixed(2)} s over ${latencies.length} changes`,
  );
  console.log('by when the changes became visible (from the step start):');
  for (const line of latencyWindowLines(visible, stepStartMs, compactionsAtMs)) console.log(line);
  console.log(`CPU while driving ${rate} changes/s (${loadAverage()} load):`);
  for (const line of cpuTable(cpu, summary.totalChanges)) console.log(line);
}

async function sweepPhase(
  sourceUrl: string,
  warehouseUrl: string,
  dataDir: string,
  rates: readonly number[],
  seconds: number,
  meter: CpuMeter,
  profile: boolean,
) {
  let best = 0;
  // The driver runs in a thread of its own, started before the steps (bench/source-driver-thread.ts).
  const driver = await SourceDriverThread.start(sourceUrl);
  try {
    best = await sweepSteps(sourceUrl, warehouseUrl, dataDir, rates, seconds, meter, profile, driver);
  } finally {
    await driver.close();
  }
  console.log(`highest sustained rate with bounded lag: ${best} changes/s`);
}

async function sweepSteps(
  sourceUrl: string,
  warehouseUrl: string,
  dataDir: string,
  rates: readonly number[],
  seconds: number,
  meter: CpuMeter,
  profile: boolean,
  driver: SourceDriverThread,
): Promise<number> {
  let best = 0;
  for (const rate of rates) {
    const pipeline = await LocalPipeline.start({
      sourceUrl,
      warehouseUrl,
      dataDir,
      loaderIntervalMs: 250,
      watermarkIntervalMs: 250,
    });
    const lags: { at: number; lag: number }[] = [];
    const begun = Date.now();
    // Lag: how far the warehouse's newest visible commit is behind now, sampled every second.
    const sampleLag = async () => {
      const cut = await pipeline.warehouse.currentCut();
      lags.push({
        at: Date.now() - begun,
        lag: cut?.commitTs ? (Date.now() - Date.parse(cut.commitTs)) / 1000 : Number.POSITIVE_INFINITY,
      });
    };
    let sampling: Promise<void> = Promise.resolve();
    const sampler = setInterval(() => {
      sampling = sampling.then(sampleLag);
    }, 1000);
    let summary: DriveSummary;
    let cpu: Awaited<ReturnType<CpuMeter['measure']>>['cpu'];
    let endCut: Awaited<ReturnType<typeof pipeline.warehouse.currentCut>>;
    try {
      ({ result: summary, cpu } = await meter.measure(() => driver.drive(rate, seconds), profile));
      endCut = await pipeline.warehouse.currentCut();
    } finally {
      clearInterval(sampler);
      await sampling.catch(() => undefined);
      await pipeline.stop();
    }
    cpu = withSourceThread(cpu, summary.threadSeconds);
    const third = (seconds * 1000) / 3;
    const early = Math.max(...lags.filter((l) => l.at < third).map((l) => l.lag));
    const late = Math.max(...lags.filter((l) => l.at >= 2 * third).map((l) => l.lag));
    const achieved = summary.totalChanges / (summary.elapsedMs / 1000);
    const bounded = late <= early + 2 && achieved >= rate * 0.9;
    if (bounded) best = Math.max(best, rate);
    console.log(
      `sustained ${rate} changes/s for ${seconds} s: achieved ${achieved.toFixed(0)}/s, lag first third max ` +
        `${early.toFixed(1)} s, last third max ${late.toFixed(1)} s -> ${bounded ? 'bounded' : 'NOT bounded'}`,
    );
    const { p50, p95, count } = summary.commitMs;
    console.log(
      `  the source's ${count} transactions of ${Math.round(rate / 10)} updates (the driver's own thread): ` +
        `p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (the step has 100 ms for each)`,
    );
    // A pipeline that fell behind did less than the step's changes in the step's CPU: per change it loaded,
    // its cost is higher than per change driven (an upper bound: work on changes not yet loaded is in it).
    const loaded = endCut?.commitTs ? committedBy(summary, Date.parse(endCut.commitTs)) : 0;
    const pipelineSeconds = cpuTotal(cpu) - sourceSeconds(cpu);
    console.log(
      `  the warehouse's cut at the step's end held ${loaded} of its ${summary.totalChanges} changes: the ` +
        `pipeline's CPU per 1,000 changes loaded ${((1000 * pipelineSeconds) / Math.max(1, loaded)).toFixed(3)} s`,
    );
    console.log(`CPU of the ${rate} changes/s step, per 1,000 changes driven (${loadAverage()} load):`);
    for (const line of cpuTable(cpu, summary.totalChanges)) console.log(line);
    if (!bounded) break;
    // Drain what this step left behind before the next one.
    await runSync({ sourceUrl, warehouseUrl, dataDir, timeoutMs: 600_000 });
  }
  return best;
}

async function loaderVersusCopy(dataDir: string, warehouseUrl: string, meter: CpuMeter, profile: boolean) {
  await withClient(warehouseUrl, (c) => migrateWarehouse(c));
  const engine = await DuckDbQueryEngine.open({
    lakeDir: pipelinePaths(dataDir).lake,
    bucket: LOCAL_LAKE_BUCKET,
  });
  const warehouse = new PgWarehouse({ url: warehouseUrl });
  let loaderSeconds: number;
  let loaderCpu: CpuStep;
  let rows = 0;
  try {
    const queries = await readLoaderQueries();
    let querySeconds = 0;
    // Reading is interleaved with the warehouse's COPY: only the time spent fetching counts.
    async function* fetchTimed<T>(results: AsyncIterable<T>): AsyncGenerator<T> {
      const batches = results[Symbol.asyncIterator]();
      for (;;) {
        const begun = performance.now();
        const next = await batches.next();
        querySeconds += (performance.now() - begun) / 1000;
        if (next.done) return;
        yield next.value;
      }
    }
    const timedEngine = {
      capabilities: engine.capabilities,
      async query(sql: string, parameters?: readonly (string | number | boolean | null)[]) {
        const begun = performance.now();
        try {
          return await engine.query(sql, parameters);
        } finally {
          querySeconds += (performance.now() - begun) / 1000;
        }
      },
      queryBatches: (sql: string, parameters: readonly QueryParameter[], batchRows: number) =>
        fetchTimed(engine.queryBatches(sql, parameters, batchRows)),
      queryLines: (sql: string, parameters: readonly QueryParameter[], batchRows: number) =>
        fetchTimed(engine.queryLines(sql, parameters, batchRows)),
      close: () => engine.close(),
    };
    const statements = profile ? profileStatements(new URL(warehouseUrl).pathname.slice(1)) : undefined;
    const started = performance.now();
    const { result: outcome, cpu } = await meter
      .measure(
        () =>
          runLoad({
            engine: timedEngine,
            warehouse,
            queries,
            roundLog: new ObjectStoreRoundLog(
              new FsObjectStore(pipelinePaths(dataDir).lake, LOCAL_LAKE_BUCKET),
            ),
          }),
        profile,
      )
      .finally(() => {
        const groups = statements?.stop();
        if (groups) {
          console.log('warehouse backend CPU per statement of the loader run:');
          for (const line of statementTable(groups)) console.log(line);
        }
      });
    loaderSeconds = (performance.now() - started) / 1000;
    loaderCpu = cpu;
    console.log(
      `loader run: ${loaderSeconds.toFixed(2)} s, of which DuckDB reading the lake ${querySeconds.toFixed(2)} s ` +
        `and the warehouse transaction ${(loaderSeconds - querySeconds).toFixed(2)} s`,
    );
    if (outcome.status !== 'loaded') throw new Error(`the loader did not load (${outcome.status})`);
    rows = Object.values(outcome.rowsWritten).reduce((sum, n) => sum + (n ?? 0), 0);
  } finally {
    await warehouse.close();
    await engine.close();
  }
  const { copySeconds, copyCpu } = await withClient(warehouseUrl, async (client) => {
    await client.query('CREATE SCHEMA copy_bench');
    const csv = new Map<string, Buffer[]>();
    for (const table of WAREHOUSE_TABLE_NAMES) {
      await client.query(`CREATE TABLE copy_bench.${table} (LIKE public.${table} INCLUDING ALL)`);
      const chunks: Buffer[] = [];
      await streamPipeline(
        client.query(copyTo(`COPY public.${table} TO STDOUT (FORMAT csv)`)),
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            chunks.push(chunk);
            done();
          },
        }),
      );
      csv.set(table, chunks);
    }
    const started = performance.now();
    const { cpu } = await meter.measure(async () => {
      for (const table of WAREHOUSE_TABLE_NAMES) {
        await streamPipeline(
          Readable.from(csv.get(table) ?? []),
          client.query(copyFrom(`COPY copy_bench.${table} FROM STDIN (FORMAT csv)`)),
        );
      }
    });
    return { copySeconds: (performance.now() - started) / 1000, copyCpu: cpu };
  });
  const loaderRate = rows / loaderSeconds;
  const copyRate = rows / copySeconds;
  console.log(
    `loader: ${rows} star rows from the lake in ${loaderSeconds.toFixed(2)} s = ${loaderRate.toFixed(0)} rows/s; ` +
      `COPY FROM of the same rows: ${copySeconds.toFixed(2)} s = ${copyRate.toFixed(0)} rows/s; ratio ${(loaderRate / copyRate).toFixed(2)}x`,
  );
  // CPU seconds hold up under a loaded machine far better than the wall-time ratio above.
  const [loaderTotal, copyTotal] = [cpuTotal(loaderCpu), cpuTotal(copyCpu)];
  console.log(
    `CPU per 1,000 star rows (${loadAverage()} load): loader ${((1000 * loaderTotal) / rows).toFixed(3)} s, ` +
      `COPY ${((1000 * copyTotal) / rows).toFixed(3)} s; CPU ratio ${(copyTotal / loaderTotal).toFixed(2)}x`,
  );
  // Whole seconds per thread group: the per-1,000 figures below round the read side's share away.
  const seconds = (step: CpuStep, name: string) =>
    (step.process[name] ?? step.postgres[name] ?? 0).toFixed(2).padStart(5);
  console.log(
    `CPU seconds of the loader run: main thread ${seconds(loaderCpu, 'node main thread')}, other threads ` +
      `(DuckDB) ${seconds(loaderCpu, 'node other threads (DuckDB, libuv pool, V8 helpers)')}, warehouse backends ` +
      `${seconds(loaderCpu, 'pg warehouse backends (loader)')}; COPY FROM's backends ` +
      `${seconds(copyCpu, 'pg warehouse backends (loader)')}`,
  );
  console.log('CPU of the loader run:');
  for (const line of cpuTable(loaderCpu, rows)) console.log(line);
  console.log('CPU of the COPY FROM reference:');
  for (const line of cpuTable(copyCpu, rows)) console.log(line);
}
