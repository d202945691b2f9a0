/**
 * @module
 * `npm run bench -- aging [--days 30] [--window N] [--history-step 21600] [--scenario NAME] [--cadence aws|local]
 * [--no-delete-pass] [--warm-up] [--cpu-prof DIR] [--record]`: how the lake and each loader run age over a month of operation, and what that costs on AWS
 * (core/cost/cost-model.ts). `--record` writes the AWS-cadence counts to core/cost/measured-usage.json, which
 * the README's cost table is computed from (core/cost/measured-usage.ts).
 *
 * Each scenario (an idle source, a totesys-like 1 change/s, 100 changes/s) drives the real pieces on a
 * simulated clock: synthetic change events (bench/change-generator.ts, commit times on the simulated clock) go
 * through the reader's watermark rounds (reader/watermark-rounds.ts) into the local Firehose (the real
 * transformation handler, dynamic partitioning, Parquet), and the real loader (round log, DuckDB, PostgreSQL
 * warehouse, state snapshots) runs once per loader interval, and compaction (lake/lake-compaction.ts, the
 * code the compaction Lambda and `up` run) on its schedule (core/compaction-schedule.ts: hourly on the AWS
 * cadence with a delete pass every 5 minutes between, every minute on the local one; replaced objects are
 * deleted by the first run or pass after their grace period; `--no-delete-pass` leaves them to the next
 * compaction run, as before the AWS delete pass, to measure its effect like for like; `--cpu-prof DIR` writes a
 * V8 CPU profile of each sampled window, the main thread's JavaScript only, not DuckDB's own threads; `--warm-up`
 * runs one compaction period at the cadence before each window, see {@link Simulation.warmUp}) at the
 * warehouse's cut, taking the state snapshots the loader's as-of lookups read. A simulated interval is:
 * put its events, close a round, flush every delivery stream once (one object per partition that received
 * records, as a buffer interval on AWS delivers), run the loader, then compaction when it is due. The days
 * before each sampled day (1, 7, 30) are simulated in coarser steps (`--history-step` seconds, one object per
 * active partition per step, at most `--history-events` changes a step, one compaction run a step) to keep the
 * run short; the sampled days run `--window` intervals (by default one compaction period) from noon at the
 * cadence itself: the AWS one (60 s buffers, a loader run a minute) and the local one (1 s). 100 changes/s
 * samples day 1 only (a month of it is 259 million events).
 *
 * What a loader run would open on Athena is counted from the lake itself: for each lake table a query reads,
 * the objects of the `dt` partitions its filter admits (every partition when it has none), 2 GETs each (the
 * footer, then the columns) and a LIST per partition, once the run's clocks have stopped. Round-log, market
 * digest (each loader run's market step, loader/market-merge.ts) and Firehose requests are counted at the
 * ObjectStore (compaction's too); a state snapshot read opens every object
 * of the snapshot's folder; Firehose records at the putter. The compaction Lambda's time is its local run time; the loader Lambda's time on AWS is the local run time plus
 * {@link ATHENA_SECONDS_PER_QUERY_ROUND} per round of queries (the watermark query, then the window queries
 * in parallel).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { COMPACTION_SCHEDULE, type CompactionSchedule } from '../core/compaction-schedule.ts';
import { formatCostTable, type MeasuredUsage, monthlyCost, UsageTally } from '../core/cost/cost-model.ts';
import { MEASURED_USAGE_FILE, type MeasuredRun, usageCostMarkdown } from '../core/cost/measured-usage.ts';
import { DESTINATION_BUFFERING } from '../core/delivery-stream-spec.ts';
import { snapshotPrefix } from '../core/lake-layout.ts';
import { maxLsn } from '../core/lsn.ts';
import { LOADER_INTERVAL_MS } from '../core/operations.ts';
import type { ListPrefixesOptions, ObjectInfo, ObjectStore } from '../core/ports/object-store.ts';
import type { LineResult, QueryEngine, QueryParameter, QueryResult } from '../core/ports/query-engine.ts';
import type { PutRecordBatchInput, RecordBatchPutter } from '../core/ports/record-batch-putter.ts';
import { NO_SNAPSHOT } from '../core/schema/lake-snapshots.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';
import { LocalFirehose } from '../firehose/local-firehose.ts';
import { totesysDeliveryStreams } from '../firehose/stream-config.ts';
import type { TransformFunction } from '../firehose/transformation-invocation.ts';
import { handler } from '../functions/transformer/handler.ts';
import { DuckDbQueryEngine } from '../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { compactLake, deleteReplacedObjects } from '../lake/lake-compaction.ts';
import { ObjectStoreRoundLog } from '../lake/object-store-round-log.ts';
import { ObjectStoreStateSnapshots } from '../lake/object-store-state-snapshots.ts';
import { EVERY_DAY } from '../loader/consistent-cut.ts';
import { MarketMergeGate } from '../loader/market-merge.ts';
import { readLoaderQueries, runLoad } from '../loader/run-load.ts';
import { startEmbeddedPostgres } from '../local/embedded-postgres.ts';
import { FirehoseChangeStream } from '../reader/firehose-change-stream.ts';
import { WatermarkRounds } from '../reader/watermark-rounds.ts';
import { MemoryStateStore } from '../testing/memory-state-store.ts';
import { PgMarketWarehouse } from '../warehouse/pg-market-warehouse.ts';
import { PgWarehouse } from '../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../warehouse/warehouse-migration.ts';
import { freshDatabase } from './bench-database.ts';
import { ChangeGenerator } from './change-generator.ts';

const BUCKET = 'totesys-lake';
const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2026, 0, 1);
const SAMPLE_DAYS = [1, 7, 30] as const;
/** Seconds one round of Athena queries adds to a loader run on AWS (submit, poll, read the result). */
const ATHENA_SECONDS_PER_QUERY_ROUND = 2;
/** Memory of the functions (cdk/lib/constructs: the reader and the loader 1 GB, the transformer 512 MB, the compactor 2 GB). */
const MEMORY_MIB = { reader: 1024, loader: 1024, transformer: 512, compactor: 2048 } as const;

const SCENARIOS = [
  { name: 'idle', changesPerSecond: 0, aging: true, heading: () => 'idle source' },
  {
    name: 'totesys-like',
    changesPerSecond: 1,
    aging: true,
    heading: (day: number) => `totesys-like, 1 change/s, day ${day}`,
  },
  {
    name: '100/s',
    changesPerSecond: 100,
    aging: false,
    heading: (day: number) => `100 changes/s, day ${day}`,
  },
] as const;
type ScenarioName = (typeof SCENARIOS)[number]['name'];

/** Each runtime's loader interval and compaction schedule (core/compaction-schedule.ts). */
const CADENCES = {
  aws: { intervalS: LOADER_INTERVAL_MS.aws / 1000, compaction: COMPACTION_SCHEDULE.aws },
  local: { intervalS: LOADER_INTERVAL_MS.local / 1000, compaction: COMPACTION_SCHEDULE.local },
} as const;
type CadenceName = keyof typeof CADENCES;

/** What one loader run did. */
interface RunSample {
  readonly objectsOpened: number;
  /** Of those, objects of reads over every `dt` (the as-of lookups of dim_staff and dim_counterparty before a snapshot). */
  readonly wholeHistoryObjects: number;
  /** Of those, objects the watermark query opened. */
  readonly watermarkObjects: number;
  readonly bytesOpened: number;
  readonly queries: number;
  readonly runMs: number;
  /** CPU time of this process during the run (DuckDB's threads included): less sensitive to a loaded machine. */
  readonly cpuMs: number;
}

/** One sampled day: the lake's size and the mean loader run of the window. */
interface DaySample {
  readonly day: number;
  readonly lakeObjects: number;
  readonly lakeBytes: number;
  readonly objectsOpened: number;
  readonly wholeHistoryObjects: number;
  readonly watermarkObjects: number;
  readonly bytesOpened: number;
  readonly runMs: number;
  /** CPU time of this process during the run (DuckDB's threads included): less sensitive to a loaded machine. */
  readonly cpuMs: number;
  /** AWS usage of the window (requests, queries, records, Lambda time). */
  readonly usage: MeasuredUsage;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      days: { type: 'string', default: '30' },
      window: { type: 'string' },
      'history-step': { type: 'string', default: '21600' },
      'history-events': { type: 'string', default: '2000' },
      scenario: { type: 'string', multiple: true },
      cadence: { type: 'string', multiple: true },
      'no-delete-pass': { type: 'boolean', default: false },
      'warm-up': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      record: { type: 'boolean', default: false },
    },
  });
  const lastDay = Number(values.days);
  const window = values.window === undefined ? undefined : Number(values.window);
  const historyStepS = Number(values['history-step']);
  const historyEvents = Number(values['history-events']);
  const chosen = SCENARIOS.filter((s) => !values.scenario || values.scenario.includes(s.name));
  const days = SAMPLE_DAYS.filter((day) => day <= lastDay);
  const cadences = (Object.keys(CADENCES) as CadenceName[]).filter(
    (c) => !values.cadence || values.cadence.includes(c),
  );
  if (values.record && (chosen.length < SCENARIOS.length || !cadences.includes('aws')))
    throw new RangeError(
      "--record writes the README's cost table: run every scenario at the AWS cadence with it.",
    );
  if (values.record && values['no-delete-pass'])
    throw new RangeError(
      "--record writes the README's cost table of the deployed schedule: drop --no-delete-pass.",
    );
  const deletePass = !values['no-delete-pass'];

  const root = await mkdtemp(join(tmpdir(), 'totesys-bench-aging-'));
  const cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg') });
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  const costs: { name: ScenarioName; heading: string; usage: MeasuredUsage }[] = [];
  try {
    for (const scenario of chosen) {
      for (const cadence of cadences) {
        const sampled = scenario.aging ? days : days.filter((day) => day === 1);
        const name = `${scenario.name} ${cadence}`.replace(/\W+/g, '_');
        console.error(`${scenario.name}, ${cadence} cadence (${new Date().toISOString().slice(11, 19)})`);
        const url = await freshDatabase(admin, cluster.adminUrl, `aging_${name}`);
        const samples = await simulate({
          dir: join(root, name),
          warehouseUrl: url,
          changesPerSecond: scenario.changesPerSecond,
          intervalS: CADENCES[cadence].intervalS,
          compaction: CADENCES[cadence].compaction,
          deletePass,
          warmUp: values['warm-up'],
          ...(values['cpu-prof'] ? { cpuProfile: join(values['cpu-prof'], name) } : {}),
          historyStepS,
          historyEvents,
          // One compaction period by default: a loader run's reads vary over it (a partition holds the
          // replaced objects beside their merged output until the first delete pass after the grace period).
          window: window ?? (CADENCES[cadence].compaction.everyMinutes * 60) / CADENCES[cadence].intervalS,
          days: sampled,
        });
        printSamples(`${scenario.name}, ${cadence} cadence`, samples);
        const last = samples[samples.length - 1]!;
        if (cadence === 'aws')
          costs.push({ name: scenario.name, heading: scenario.heading(last.day), usage: last.usage });
      }
    }
    for (const { name, usage } of costs)
      console.log(`\n${formatCostTable(`Monthly AWS cost, ${name} source`, monthlyCost(usage))}`);
    const recorded: MeasuredRun = {
      measuredOn: new Date().toISOString().slice(0, 10),
      loadAverage: Number(loadavg()[0]!.toFixed(1)),
      scenarios: costs.map(({ heading, usage }) => ({ heading, usage })),
    };
    console.log(
      `\nThe README's usage table (load average ${recorded.loadAverage}):\n${usageCostMarkdown(recorded)}`,
    );
    if (values.record) {
      await writeFile(MEASURED_USAGE_FILE, `${JSON.stringify(recorded, null, 2)}\n`);
      console.log(
        `Recorded in ${MEASURED_USAGE_FILE.pathname}: paste the table into the README's cost section.`,
      );
    }
  } finally {
    await admin.end();
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  }
}

interface Simulation {
  readonly dir: string;
  readonly warehouseUrl: string;
  readonly changesPerSecond: number;
  readonly intervalS: number;
  readonly compaction: CompactionSchedule;
  /** Whether the delete pass runs between compaction runs (on AWS every 5 minutes). */
  readonly deletePass: boolean;
  /**
   * Whether one compaction period runs at the cadence, unmeasured, before each sampled window: then the merge
   * at the window's start replaces a period of deliveries, as in steady operation, instead of the history's
   * few coarse objects.
   */
  readonly warmUp: boolean;
  /** Where each sampled window's V8 CPU profile goes (`<this>-day<N>.cpuprofile`), if anywhere. */
  readonly cpuProfile?: string;
  readonly historyStepS: number;
  readonly historyEvents: number;
  readonly window: number;
  readonly days: readonly number[];
}

async function simulate(simulation: Simulation): Promise<DaySample[]> {
  const lakeDir = join(simulation.dir, 'lake');
  const store = new FsObjectStore(lakeDir, BUCKET);
  const tally = new UsageTally();
  const counted = new CountingObjectStore(store, tally);
  let clockMs = START_MS;
  const transform: TransformFunction = async (event) => {
    const started = performance.now();
    try {
      return await handler(event);
    } finally {
      tally.lambdaRun((performance.now() - started) / 1000, MEMORY_MIB.transformer);
    }
  };
  // Deliveries happen on flush() only: buffers never fill or time out between two simulated intervals.
  const never = { sizeInMBs: DESTINATION_BUFFERING.aws.sizeInMBs, intervalInSeconds: 900 };
  const firehose = await LocalFirehose.open({
    spoolDir: join(simulation.dir, 'spool'),
    streams: totesysDeliveryStreams({
      store: counted,
      bucket: BUCKET,
      transform,
      processorBuffering: { sizeInMBs: 3, intervalInSeconds: 900 },
      bufferingHints: never,
    }),
  });
  const roundLog = new ObjectStoreRoundLog(counted);
  const snapshots = new ObjectStoreStateSnapshots(counted);
  const compactionState = new MemoryStateStore();
  const compactEveryMs = simulation.compaction.everyMinutes * 60_000;
  let compactAtMs = START_MS + compactEveryMs;
  const deletePassEveryMs = simulation.compaction.deletePassEveryMinutes * 60_000;
  let deletePassAtMs = START_MS + deletePassEveryMs;
  const rounds = new WatermarkRounds({
    stream: new FirehoseChangeStream({ putter: new CountingPutter(firehose, tally) }),
    stateStore: new MemoryStateStore(),
    roundLog,
    now: () => new Date(clockMs),
  });
  await rounds.start();
  const engine = await DuckDbQueryEngine.open({ lakeDir, bucket: BUCKET });
  const queries = await readLoaderQueries();
  const athena = new AthenaReadCounter(engine, store, tally);
  const warehouse = new PgWarehouse({ url: simulation.warehouseUrl });
  const client = new pg.Client({ connectionString: simulation.warehouseUrl });
  await client.connect();
  await migrateWarehouse(client);
  await client.end();
  // The market step every loader run takes after its star load (functions/loader/handler.ts): its digest lists
  // the market tables' objects (loader/market-merge.ts), S3 LISTs the counting store tallies.
  const marketPool = new pg.Pool({ connectionString: simulation.warehouseUrl, max: 1 });
  const market = new MarketMergeGate({
    engine: athena,
    warehouse: new PgMarketWarehouse(marketPool),
    lake: counted,
  });
  const generator = new ChangeGenerator(7);
  let heartbeatLsn = generator.lsn;

  /** One simulated interval of `seconds`: events, a round, one delivery per partition, a loader run. */
  const interval = async (seconds: number, maxEvents = Number.POSITIVE_INFINITY): Promise<RunSample> => {
    const count = Math.min(maxEvents, Math.round(simulation.changesPerSecond * seconds));
    const events = [...generator.events(count, clockMs, seconds * 1000)];
    for (let at = 0; at < events.length; at += 5000) await rounds.put(events.slice(at, at + 5000));
    clockMs += seconds * 1000;
    // Heartbeats move the WAL on an idle source too.
    heartbeatLsn = maxLsn(generator.lsn, heartbeatLsn) + 1n;
    await rounds.closeRound(heartbeatLsn);
    await firehose.flush();
    const before = athena.snapshot();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await runLoad({ engine: athena, warehouse, queries, roundLog, snapshots });
    const merged = await market.mergeIfLakeChanged();
    if (merged.status === 'failed') throw new Error('The market step failed', { cause: merged.error });
    const runMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    await athena.countQueriedReads();
    const read = athena.since(before);
    tally.lambdaRun(runMs / 1000 + ATHENA_SECONDS_PER_QUERY_ROUND * read.rounds, MEMORY_MIB.loader);
    if (clockMs >= compactAtMs) {
      await compactOnSchedule();
      // The schedule's next tick after now (a coarse history step covers several).
      compactAtMs += Math.ceil((clockMs + 1 - compactAtMs) / compactEveryMs) * compactEveryMs;
    } else if (simulation.deletePass && deletePassEveryMs < compactEveryMs && clockMs >= deletePassAtMs) {
      await deleteReplacedOnSchedule();
    }
    if (clockMs >= deletePassAtMs)
      deletePassAtMs += Math.ceil((clockMs + 1 - deletePassAtMs) / deletePassEveryMs) * deletePassEveryMs;
    return { ...read, runMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  };

  /** One scheduled compaction run at the warehouse's cut, as the compaction Lambda and `up` run it. */
  const compactOnSchedule = async (): Promise<void> => {
    const cut = await warehouse.currentCut();
    const started = performance.now();
    await compactLake(
      { store: counted, state: compactionState, roundLog, now: () => clockMs },
      {
        cutLsn: cut === null ? null : BigInt(cut.lsn),
        cutCommitTs: cut?.commitTs ?? null,
        targetObjectBytes: simulation.compaction.targetObjectBytes,
        graceMs: simulation.compaction.graceSeconds * 1000,
      },
    );
    tally.lambdaRun((performance.now() - started) / 1000, MEMORY_MIB.compactor);
  };

  /** A delete pass between two compaction runs, as the compaction Lambda's second schedule runs it. */
  const deleteReplacedOnSchedule = async (): Promise<void> => {
    const started = performance.now();
    await deleteReplacedObjects(
      { store: counted, state: compactionState, roundLog, now: () => clockMs },
      { graceMs: simulation.compaction.graceSeconds * 1000 },
    );
    tally.lambdaRun((performance.now() - started) / 1000, MEMORY_MIB.compactor);
  };

  const samples: DaySample[] = [];
  try {
    for (const day of simulation.days) {
      // History up to noon of the sampled day, in coarse steps.
      const windowStart = START_MS + (day - 1) * DAY_MS + DAY_MS / 2;
      while (clockMs + simulation.historyStepS * 1000 <= windowStart)
        await interval(simulation.historyStepS, simulation.historyEvents);
      if (clockMs < windowStart) await interval((windowStart - clockMs) / 1000, simulation.historyEvents);
      if (simulation.warmUp) for (let i = 0; i < simulation.window; i++) await interval(simulation.intervalS);
      tally.reset();
      const runs: RunSample[] = [];
      const profiler = simulation.cpuProfile ? await startCpuProfile() : undefined;
      for (let i = 0; i < simulation.window; i++) runs.push(await interval(simulation.intervalS));
      if (profiler) await profiler.stopInto(`${simulation.cpuProfile}-day${day}.cpuprofile`);
      const windowS = simulation.window * simulation.intervalS;
      // The reader runs all the time (budget-bound runs, one started a minute).
      tally.lambda.gbSeconds += windowS * (MEMORY_MIB.reader / 1024);
      tally.lambda.requests += windowS / 60;
      const lake = await store.list('');
      tally.storedBytes = lake.reduce((sum, o) => sum + o.size, 0);
      samples.push({
        day,
        lakeObjects: lake.filter((o) => o.key.endsWith('.parquet')).length,
        lakeBytes: tally.storedBytes,
        objectsOpened: mean(runs.map((r) => r.objectsOpened)),
        wholeHistoryObjects: mean(runs.map((r) => r.wholeHistoryObjects)),
        watermarkObjects: mean(runs.map((r) => r.watermarkObjects)),
        bytesOpened: mean(runs.map((r) => r.bytesOpened)),
        runMs: mean(runs.map((r) => r.runMs)),
        cpuMs: mean(runs.map((r) => r.cpuMs)),
        usage: tally.usage(windowS),
      });
      console.error(`  sampled day ${day} (${new Date().toISOString().slice(11, 19)})`);
    }
  } finally {
    await firehose.close({ deliver: false });
    await engine.close();
    await warehouse.close();
    await marketPool.end();
  }
  return samples;
}

/** A V8 CPU profile of this process (node:inspector) from now until `stopInto` writes it (DevTools' format). */
async function startCpuProfile(): Promise<{ stopInto(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stopInto(file: string) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(profile));
    },
  };
}

function printSamples(title: string, samples: readonly DaySample[]): void {
  console.log(`\n${title}`);
  console.log(
    '  day  lake objects  lake MiB  objects opened/run  (whole history)  (watermark query)  KiB opened/run  run ms  CPU ms',
  );
  for (const s of samples)
    console.log(
      `  ${String(s.day).padStart(3)}  ${String(s.lakeObjects).padStart(12)}  ${(s.lakeBytes / 2 ** 20).toFixed(1).padStart(8)}` +
        `  ${s.objectsOpened.toFixed(1).padStart(18)}  ${s.wholeHistoryObjects.toFixed(1).padStart(15)}  ${s.watermarkObjects.toFixed(1).padStart(17)}  ${(s.bytesOpened / 1024).toFixed(1).padStart(14)}  ${s.runMs.toFixed(0).padStart(6)}  ${s.cpuMs.toFixed(0).padStart(6)}`,
    );
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first && last && last !== first)
    console.log(
      `  day ${last.day} / day ${first.day}: objects opened ${ratio(last.objectsOpened, first.objectsOpened)}, ` +
        `run time ${ratio(last.runMs, first.runMs)}, CPU time ${ratio(last.cpuMs, first.cpuMs)}`,
    );
}

function ratio(a: number, b: number): string {
  if (b === 0) return a === 0 ? '1.00 (both 0)' : 'n/a (day 1 opened none)';
  return (a / b).toFixed(2);
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Counts S3 requests at the ObjectStore port (the Firehose's deliveries and the round log's reads). */
class CountingObjectStore implements ObjectStore {
  constructor(
    readonly inner: ObjectStore,
    readonly tally: UsageTally,
  ) {}

  async put(key: string, body: Uint8Array): Promise<void> {
    this.tally.s3.puts += 1;
    if (key.endsWith('.parquet')) this.tally.firehose.objectsDelivered += 1;
    await this.inner.put(key, body);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    this.tally.s3.gets += 1;
    return this.inner.get(key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const objects = await this.inner.list(prefix);
    this.tally.s3.lists += Math.max(1, Math.ceil(objects.length / 1000));
    return objects;
  }

  async listKeys(prefix: string): Promise<string[]> {
    return (await this.list(prefix)).map((object) => object.key);
  }

  listPrefixes(prefix: string, options?: ListPrefixesOptions): Promise<string[]> {
    this.tally.s3.lists += 1;
    return this.inner.listPrefixes(prefix, options);
  }

  delete(key: string): Promise<void> {
    this.tally.s3.deletes += 1;
    return this.inner.delete(key);
  }
}

/** Counts the Firehose records the reader puts (billed in 5 KB increments each). */
class CountingPutter implements RecordBatchPutter {
  constructor(
    readonly inner: RecordBatchPutter,
    readonly tally: UsageTally,
  ) {}

  putRecordBatch(input: PutRecordBatchInput) {
    for (const record of input.Records) this.tally.firehoseRecord(record.Data.byteLength);
    return this.inner.putRecordBatch(input);
  }
}

/** Running totals of an {@link AthenaReadCounter}. */
interface ReadTotals {
  readonly objectsOpened: number;
  readonly wholeHistoryObjects: number;
  readonly watermarkObjects: number;
  readonly bytesOpened: number;
  readonly queries: number;
  readonly watermarkQueries: number;
}

/** The reads of one loader run, counted from the lake. */
interface ReadCount {
  readonly objectsOpened: number;
  readonly wholeHistoryObjects: number;
  readonly watermarkObjects: number;
  readonly bytesOpened: number;
  readonly queries: number;
  /** Rounds of queries run one after another (the watermark query, then the window queries at once). */
  readonly rounds: number;
}

/**
 * Runs each query on DuckDB and counts what Athena would read for it: per `FROM <lake table>`, the objects of
 * the `dt` partitions its filter admits (`dt BETWEEN ? AND ?`, `dt >= ?`; every partition without a filter).
 */
class AthenaReadCounter implements QueryEngine {
  readonly #engine: QueryEngine;
  readonly #store: ObjectStore;
  readonly #tally: UsageTally;
  readonly #queried: { sql: string; parameters: readonly QueryParameter[] }[] = [];
  #count: ReadTotals = {
    objectsOpened: 0,
    wholeHistoryObjects: 0,
    watermarkObjects: 0,
    bytesOpened: 0,
    queries: 0,
    watermarkQueries: 0,
  };

  constructor(engine: QueryEngine, store: ObjectStore, tally: UsageTally) {
    this.#engine = engine;
    this.#store = store;
    this.#tally = tally;
  }

  get capabilities() {
    return this.#engine.capabilities;
  }

  snapshot(): ReadTotals {
    return { ...this.#count };
  }

  since(before: ReadTotals): ReadCount {
    const queries = this.#count.queries - before.queries;
    const watermarkQueries = this.#count.watermarkQueries - before.watermarkQueries;
    return {
      objectsOpened: this.#count.objectsOpened - before.objectsOpened,
      wholeHistoryObjects: this.#count.wholeHistoryObjects - before.wholeHistoryObjects,
      watermarkObjects: this.#count.watermarkObjects - before.watermarkObjects,
      bytesOpened: this.#count.bytesOpened - before.bytesOpened,
      queries,
      rounds: (watermarkQueries > 0 ? 1 : 0) + (queries > watermarkQueries ? 1 : 0),
    };
  }

  async query(sql: string, parameters: readonly QueryParameter[] = []): Promise<QueryResult> {
    this.#queried.push({ sql, parameters });
    return this.#engine.query(sql, parameters);
  }

  async *queryBatches(
    sql: string,
    parameters: readonly QueryParameter[],
    batchRows: number,
  ): AsyncGenerator<QueryResult> {
    this.#queried.push({ sql, parameters });
    yield* this.#engine.queryBatches(sql, parameters, batchRows);
  }

  async *queryLines(
    sql: string,
    parameters: readonly QueryParameter[],
    batchRows: number,
  ): AsyncGenerator<LineResult> {
    this.#queried.push({ sql, parameters });
    yield* this.#engine.queryLines(sql, parameters, batchRows);
  }

  /**
   * Counts the reads of the queries run since the last call. Called after a loader run's clocks stop, so the
   * count's own listings are not the run's time; the lake is the same then (nothing delivers or compacts
   * during a run).
   */
  async countQueriedReads(): Promise<void> {
    for (const { sql, parameters } of this.#queried.splice(0)) await this.#countReads(sql, parameters);
  }

  async #countReads(sql: string, parameters: readonly QueryParameter[]): Promise<void> {
    let objects = 0;
    let wholeHistory = 0;
    let bytes = 0;
    for (const read of tableReads(sql, parameters)) {
      for (const partition of await this.#store.listPrefixes(`${read.table}/dt=`)) {
        const dt = partition.slice(partition.indexOf('dt=') + 3, -1);
        if ((read.from !== undefined && dt < read.from) || (read.to !== undefined && dt > read.to)) continue;
        const inPartition = (await this.#store.list(partition)).filter((o) => o.key.endsWith('.parquet'));
        this.#tally.s3.lists += Math.max(1, Math.ceil(inPartition.length / 1000));
        objects += inPartition.length;
        if (read.from === undefined || read.from === EVERY_DAY) wholeHistory += inPartition.length;
        bytes += inPartition.reduce((sum, o) => sum + o.size, 0);
      }
    }
    for (const read of snapshotReads(sql, parameters)) {
      // A snapshot's partition is its folder (the Glue table `<lake table>_snapshot`, see lake-snapshots.ts).
      const inSnapshot = (await this.#store.list(`${snapshotPrefix(read.table)}${read.folder}/`)).filter(
        (o) => o.key.endsWith('.parquet'),
      );
      objects += inSnapshot.length;
      bytes += inSnapshot.reduce((sum, o) => sum + o.size, 0);
    }
    this.#tally.s3.gets += 2 * objects;
    this.#tally.athenaQuery(bytes);
    const isWatermarkQuery = sql.includes('watermark_lsn');
    this.#count = {
      objectsOpened: this.#count.objectsOpened + objects,
      wholeHistoryObjects: this.#count.wholeHistoryObjects + wholeHistory,
      watermarkObjects: this.#count.watermarkObjects + (isWatermarkQuery ? objects : 0),
      bytesOpened: this.#count.bytesOpened + bytes,
      queries: this.#count.queries + 1,
      watermarkQueries: this.#count.watermarkQueries + (isWatermarkQuery ? 1 : 0),
    };
  }

  close(): Promise<void> {
    return this.#engine.close();
  }
}

/** Each lake table a query reads, with the `dt` range its filter admits (per `FROM` occurrence). */
function tableReads(
  sql: string,
  parameters: readonly QueryParameter[],
): { table: LakeTableName; from?: string; to?: string }[] {
  const reads = new Map<LakeTableName, { table: LakeTableName; from?: string; to?: string }>();
  const from = /\bFROM\s+([a-z_]+)\b/g;
  const matches = [...sql.matchAll(from)].filter((m) =>
    (LAKE_TABLE_NAMES as readonly string[]).includes(m[1]!),
  );
  matches.forEach((match, index) => {
    const table = match[1] as LakeTableName;
    const end = matches[index + 1]?.index ?? sql.length;
    const segment = sql.slice(match.index, end);
    const at = (offset: number) => String(parameters[countPlaceholders(sql.slice(0, match.index + offset))]);
    const between = segment.search(/dt BETWEEN CAST\(\? AS date\) AND CAST\(\? AS date\)/);
    const atLeast = segment.search(/dt >= CAST\(\? AS date\)/);
    let read: { table: LakeTableName; from?: string; to?: string } = { table };
    if (between >= 0) {
      const first = segment.indexOf('?', between);
      read = { table, from: at(first), to: at(segment.indexOf('?', first + 1)) };
    } else if (atLeast >= 0) read = { table, from: at(segment.indexOf('?', atLeast)) };
    // A table read twice (as of the cut and since the previous one) opens the wider of the two.
    const known = reads.get(table);
    if (!known || read.from === undefined || (known.from !== undefined && read.from < known.from))
      reads.set(table, known && known.from === undefined ? known : read);
  });
  return [...reads.values()];
}

/** Each state snapshot a query reads (`FROM <lake table>_snapshot WHERE snapshot_lsn = ?`), by its folder. */
function snapshotReads(
  sql: string,
  parameters: readonly QueryParameter[],
): { table: LakeTableName; folder: string }[] {
  const reads: { table: LakeTableName; folder: string }[] = [];
  for (const match of sql.matchAll(/\bFROM\s+([a-z_]+)_snapshot\s+WHERE\s+snapshot_lsn\s*=\s*\?/g)) {
    const table = match[1] as LakeTableName;
    const folder = String(parameters[countPlaceholders(sql.slice(0, match.index + match[0].length - 1))]);
    if ((LAKE_TABLE_NAMES as readonly string[]).includes(table) && folder !== NO_SNAPSHOT)
      reads.push({ table, folder });
  }
  return reads;
}

function countPlaceholders(text: string): number {
  return text.split('?').length - 1;
}
