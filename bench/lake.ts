/**
 * @module
 * `npm run bench -- lake [--events N] [--lambda-workers N] [--encode-on-main] [--writers] [--keep]`: change events per
 * second from `PutRecordBatch` to Parquet on disk through the local Firehose (spool, the real transformation
 * handler, dynamic partitioning, OpenX conversion, Parquet writing, atomic object store), beside DuckDB
 * writing the same lake rows to Parquet with `COPY ... TO` in the same run.
 *
 * The handler's invocations and the conversion + Parquet encoding run in a `LambdaWorkerPool`
 * (`--lambda-workers`, 0 for everything on the main thread; `--encode-on-main` keeps only the encoding on
 * it). The CPU seconds printed are the whole process's, worker threads included. `--writers` then encodes
 * every object again with hyparquet-writer and with DuckDB's own Parquet writer, side by side
 * (bench/parquet-writers.ts).
 *
 * Events are spread over the 11 tables with totesys-like proportions and rows, committed over 20 days in
 * transactions of a few changes, and packed as the reader packs them: newline-delimited events of one table
 * and one commit date per record, up to 64 KiB, up to 500 records and 4 MiB per call. The input is generated
 * to files before the clocks start, so neither side pays for generation. DuckDB reads the lake rows the
 * handler would produce (NDJSON with explicit column types) and writes them partitioned by dt. The worker pool
 * loads its modules before the clock starts, as DuckDB's instance is created before its own. Both sides' CPU
 * seconds (the process's, all threads) are printed with their ratio and the load average: on a shared
 * machine the wall-time ratio moves with the other work far more than the CPU ratio does.
 */

import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type FirehoseRecord, PUT_RECORD_BATCH_LIMITS } from '../core/ports/record-batch-putter.ts';
import {
  LAKE_TABLES,
  type LakeColumnType,
  lakeColumns,
  lakeTableForSource,
} from '../core/schema/lake-tables.ts';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';
import { LambdaWorkerPool } from '../firehose/lambda-worker-pool.ts';
import { LocalFirehose } from '../firehose/local-firehose.ts';
import { totesysDeliveryStreams } from '../firehose/stream-config.ts';
import { handler } from '../functions/transformer/handler.ts';
import { DUCKDB_TYPES } from '../lake/duckdb-sql.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { mapChangeEvent } from '../transform/lake-row-mapping.ts';
import { ChangeGenerator } from './change-generator.ts';
import { loadAverage } from './cpu-accounting.ts';
import { compareParquetWriters, type WriterComparison } from './parquet-writers.ts';

const MAX_RECORD_BYTES = 64 * 1024;
/** A packed call's header in the input file: source table index, record count, bytes of its records. */
const BATCH_HEADER_BYTES = 9;
const IN_FLIGHT_CALLS = 8;
const DAYS = 20;
const START_MS = Date.UTC(2022, 10, 3);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Writes the packed input (for the Firehose) and the lake rows (for DuckDB) to files. */
async function generate(
  events: number,
  dir: string,
): Promise<{ batches: number; records: number; bytes: number }> {
  const input = await open(join(dir, 'input.bin'), 'w');
  const ndjson = new Map<string, { file: Awaited<ReturnType<typeof open>>; text: string }>();
  for (const table of Object.values(LAKE_TABLES))
    ndjson.set(table.name, { file: await open(join(dir, `${table.name}.ndjson`), 'w'), text: '' });
  const packing = new Map<SourceTableName, { lines: string[]; bytes: number; dt: string }>();
  const batches = new Map<SourceTableName, { records: Buffer[]; bytes: number }>();
  const stats = { batches: 0, records: 0, bytes: 0 };

  const writeBatch = async (table: SourceTableName) => {
    const batch = batches.get(table);
    if (!batch || batch.records.length === 0) return;
    const parts: Buffer[] = [];
    for (const record of batch.records) {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(record.length, 0);
      parts.push(length, record);
    }
    const body = Buffer.concat(parts);
    const header = Buffer.alloc(BATCH_HEADER_BYTES);
    header.writeUInt8(SOURCE_TABLE_NAMES.indexOf(table), 0);
    header.writeUInt32LE(batch.records.length, 1);
    header.writeUInt32LE(body.length, 5);
    await input.write(Buffer.concat([header, body]));
    stats.batches++;
    batches.set(table, { records: [], bytes: 0 });
  };
  const emitRecord = async (table: SourceTableName) => {
    const packed = packing.get(table);
    if (!packed || packed.lines.length === 0) return;
    const record = Buffer.from(packed.lines.join(''));
    packing.set(table, { lines: [], bytes: 0, dt: packed.dt });
    let batch = batches.get(table) ?? { records: [], bytes: 0 };
    if (
      batch.records.length >= PUT_RECORD_BATCH_LIMITS.maxRecords ||
      batch.bytes + record.length > PUT_RECORD_BATCH_LIMITS.maxBatchBytes
    ) {
      await writeBatch(table);
      batch = { records: [], bytes: 0 };
    }
    batch.records.push(record);
    batch.bytes += record.length;
    batches.set(table, batch);
    stats.records++;
    stats.bytes += record.length;
  };

  for (const event of new ChangeGenerator(42).events(events, START_MS, DAYS * 86_400_000)) {
    const line = `${JSON.stringify(event)}\n`;
    const dt = event.commit_ts.slice(0, 10);
    const packed = packing.get(event.table);
    if (packed && (packed.dt !== dt || packed.bytes + line.length > MAX_RECORD_BYTES))
      await emitRecord(event.table);
    const current = packing.get(event.table) ?? { lines: [], bytes: 0, dt };
    current.lines.push(line);
    current.bytes += line.length;
    current.dt = dt;
    packing.set(event.table, current);
    const sink = ndjson.get(lakeTableForSource(event.table).name)!;
    sink.text += `${JSON.stringify({ ...mapChangeEvent(event), dt })}\n`;
    if (sink.text.length > 1 << 20) {
      await sink.file.write(sink.text);
      sink.text = '';
    }
  }
  for (const table of SOURCE_TABLE_NAMES) {
    await emitRecord(table);
    await writeBatch(table);
  }
  await input.close();
  for (const sink of ndjson.values()) {
    await sink.file.write(sink.text);
    await sink.file.close();
  }
  return stats;
}

/**
 * Reads the packed input back, one PutRecordBatch call at a time: one file read per call (the header says how
 * long its records are), each record then copied to its own buffer as the reader hands them over. Reading
 * every record by two reads of its own cost the main thread about 4,000 file system calls inside the clock.
 */
async function* inputBatches(
  path: string,
): AsyncGenerator<{ table: SourceTableName; records: FirehoseRecord[] }> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(BATCH_HEADER_BYTES);
    let position = 0;
    while ((await file.read(header, 0, BATCH_HEADER_BYTES, position)).bytesRead === BATCH_HEADER_BYTES) {
      position += BATCH_HEADER_BYTES;
      const table = SOURCE_TABLE_NAMES[header.readUInt8(0)]!;
      const body = Buffer.alloc(header.readUInt32LE(5));
      await file.read(body, 0, body.length, position);
      position += body.length;
      const records: FirehoseRecord[] = [];
      let at = 0;
      for (let i = header.readUInt32LE(1); i > 0; i--) {
        const length = body.readUInt32LE(at);
        records.push({ Data: Buffer.from(body.subarray(at + 4, at + 4 + length)) });
        at += 4 + length;
      }
      yield { table, records };
    }
  } finally {
    await file.close();
  }
}

function peakRssSampler(): { stop: () => { rss: number; detail: string } } {
  let peak = process.memoryUsage();
  const sample = () => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) peak = now;
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      const detail = `heap ${mib(peak.heapUsed)} of ${mib(peak.heapTotal)}, buffers ${mib(peak.arrayBuffers)}`;
      return { rss: peak.rss, detail };
    },
  };
}

function vmHwmBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

async function runFirehose(
  dir: string,
  inputPath: string,
  workers: number,
  encodeOnMain: boolean,
): Promise<{
  seconds: number;
  cpuSeconds: number;
  mainThreadSeconds: number;
  peakRss: number;
  peakDetail: string;
  rows: number;
  objects: number;
  failures: number;
}> {
  const store = new FsObjectStore(join(dir, 'lake'), 'lake');
  const pool =
    workers > 0
      ? new LambdaWorkerPool({
          module: new URL('../functions/transformer/handler.ts', import.meta.url),
          workers,
        })
      : undefined;
  const firehose = await LocalFirehose.open({
    spoolDir: join(dir, 'spool'),
    streams: totesysDeliveryStreams({
      store,
      bucket: 'lake',
      transform: handler,
      invoker: pool?.invoker,
      encoder: encodeOnMain ? undefined : pool?.encoder,
    }),
  });
  // Outside the clock, as DuckDB's instance is: each worker loads the handler and the encoder through tsx's
  // loader (about 0.3 CPU s a worker), which a running pipeline pays once at start. An empty encoding answers
  // only once its worker has loaded every module, and the pool sends each call to the least busy worker.
  // The pool's workers are unref'd: a timer keeps the process alive while it waits for them.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    if (pool) await Promise.all(Array.from({ length: workers }, () => pool.encoder('department', [])));
  } finally {
    clearInterval(keepAlive);
  }
  const sampler = peakRssSampler();
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for await (const batch of inputBatches(inputPath)) {
    const call = firehose
      .putRecordBatch({ DeliveryStreamName: `totesys-${batch.table}`, Records: batch.records })
      .then((output) => {
        if (output.FailedPutCount > 0) throw new Error(`${output.FailedPutCount} records were refused`);
      });
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
    if (inFlight.size >= IN_FLIGHT_CALLS) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await firehose.close();
  await pool?.close();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const mainThreadSeconds = performance.eventLoopUtilization(eluBefore).active / 1000;
  const { rss: peakRss, detail: peakDetail } = sampler.stop();
  const metrics = firehose.metrics();
  const sum = (pick: (m: (typeof metrics)[number]) => number) =>
    metrics.reduce((total, m) => total + pick(m), 0);
  return {
    seconds,
    cpuSeconds,
    mainThreadSeconds,
    peakRss,
    peakDetail,
    rows: sum((m) => m.deliveredRows),
    objects: sum((m) => m.deliveredObjects),
    failures: sum((m) => m.processingFailedRecords + m.conversionFailedRecords + m.partitioningFailedRecords),
  };
}

async function runDuckDb(
  dir: string,
): Promise<{ seconds: number; cpuSeconds: number; counts: Map<string, [number, number]> }> {
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  const counts = new Map<string, [number, number]>();
  try {
    await mkdir(join(dir, 'duck'), { recursive: true });
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    for (const table of Object.values(LAKE_TABLES)) {
      const columns = [...lakeColumns(table), { name: 'dt', type: 'date' as const }];
      const struct = columns.map((column) => `'${column.name}': '${DUCKDB_TYPES[column.type]}'`).join(', ');
      await connection.run(
        `COPY (SELECT * FROM read_json('${join(dir, `${table.name}.ndjson`)}', format = 'newline_delimited', columns = {${struct}}))
           TO '${join(dir, 'duck', table.name)}' (FORMAT PARQUET, COMPRESSION SNAPPY, PARTITION_BY (dt))`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    // DuckDB's threads are this process's: nothing else runs in it meanwhile.
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // Outside the clock: both lakes must hold the same rows (count and a checksum of _seq per table).
    for (const table of Object.values(LAKE_TABLES)) {
      const totals = async (glob: string) => {
        const reader = await connection.runAndReadAll(
          `SELECT count(*)::BIGINT AS n, coalesce(sum(_seq), 0)::BIGINT AS s FROM read_parquet('${glob}', hive_partitioning = true)`,
        );
        const [row] = reader.getRowObjectsJson();
        return `${row?.n}/${row?.s}`;
      };
      const ours = await totals(join(dir, 'lake', 'lake', table.name, '*', '*.parquet'));
      const theirs = await totals(join(dir, 'duck', table.name, '*', '*.parquet'));
      if (ours !== theirs)
        throw new Error(
          `Lake table ${table.name}: local Firehose has ${ours} rows/checksum, DuckDB ${theirs}.`,
        );
      const [n, s] = ours.split('/').map(Number);
      counts.set(table.name, [n!, s!]);
    }
    return { seconds, cpuSeconds, counts };
  } finally {
    connection.closeSync();
    duck.closeSync();
  }
}

function parseEvents(args: string[]): {
  events: number;
  keep: boolean;
  workers: number;
  encodeOnMain: boolean;
  writers: boolean;
} {
  let events = 1_000_000;
  const at = args.indexOf('--events');
  if (at >= 0) events = Number(args[at + 1]);
  const workersAt = args.indexOf('--lambda-workers');
  // One worker per core: the main thread only spools and hands records over, the workers do the rest.
  const workers = workersAt >= 0 ? Number(args[workersAt + 1]) : availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 0)
    throw new Error('--lambda-workers needs 0 (handler in-process) or more worker threads');
  if (!Number.isSafeInteger(events) || events <= 0)
    throw new Error('--events needs a positive integer, e.g. --events 100000');
  return {
    events,
    keep: args.includes('--keep'),
    workers,
    encodeOnMain: args.includes('--encode-on-main'),
    writers: args.includes('--writers'),
  };
}

/** Runs the benchmark; prints both rates, their ratio and peak memory. */
export async function run(args: string[]): Promise<void> {
  const { events, keep, workers, encodeOnMain, writers } = parseEvents(args);
  const dir = await mkdtemp(join(tmpdir(), 'bench-lake-'));
  try {
    console.log(
      `lake benchmark: ${events.toLocaleString('en')} change events over 11 tables, work dir ${dir}`,
    );
    const generated = await generate(events, dir);
    console.log(
      `input: ${generated.records.toLocaleString('en')} records (${mib(generated.bytes)}) in ${generated.batches.toLocaleString('en')} PutRecordBatch calls`,
    );
    const firehose = await runFirehose(dir, join(dir, 'input.bin'), workers, encodeOnMain);
    if (firehose.rows !== events || firehose.failures > 0)
      throw new Error(
        `local Firehose delivered ${firehose.rows} rows of ${events} with ${firehose.failures} failed records`,
      );
    const ours = events / firehose.seconds;
    console.log(
      `local Firehose: ${firehose.seconds.toFixed(2)} s, ${Math.round(ours).toLocaleString('en')} events/s, ${firehose.objects} Parquet objects, ${firehose.cpuSeconds.toFixed(2)} s CPU (main thread busy ${firehose.mainThreadSeconds.toFixed(2)} s)`,
    );
    const duck = await runDuckDb(dir);
    const theirs = events / duck.seconds;
    const ratio = ours / theirs;
    console.log(
      `DuckDB COPY:    ${duck.seconds.toFixed(2)} s, ${Math.round(theirs).toLocaleString('en')} events/s, ${duck.cpuSeconds.toFixed(2)} s CPU`,
    );
    console.log(`ratio: ${ratio.toFixed(3)}x DuckDB (aim >= 0.25x) ${ratio >= 0.25 ? 'OK' : 'BELOW AIM'}`);
    // Wall time on a shared 2-core machine moves with the other work; CPU seconds hold up far better.
    console.log(
      `CPU ratio: ${(duck.cpuSeconds / firehose.cpuSeconds).toFixed(3)}x (DuckDB's CPU seconds / the local Firehose's), load average ${loadAverage()}`,
    );
    console.log(
      `peak RSS during the Firehose run: ${mib(firehose.peakRss)} (aim < 1024 MiB) ${firehose.peakRss < 1024 ** 3 ? 'OK' : 'OVER AIM'} (${firehose.peakDetail}); process VmHWM ${mib(vmHwmBytes())}`,
    );
    console.log(
      `rows per lake table (identical in both): ${[...duck.counts].map(([t, [n]]) => `${t} ${n}`).join(', ')}`,
    );
    if (writers) {
      const compared = await compareParquetWriters(join(dir, 'lake', 'lake'), dir);
      const line = (name: string, w: WriterComparison['hyparquet']) =>
        `  ${name.padEnd(44)} ${w.seconds.toFixed(2)} s, ${w.cpuSeconds.toFixed(2)} s CPU, ${mib(w.bytes)}, ` +
        `${Math.round(compared.rows / w.seconds).toLocaleString('en')} rows/s`;
      console.log(
        `Parquet writers fed the same converted columns (${compared.objects} objects, ${compared.rows} rows; ${loadAverage()} load):`,
      );
      console.log(line('hyparquet-writer (the lake writer)', compared.hyparquet));
      console.log(line('DuckDB appender + COPY TO (1 thread)', compared.duckdb));
      console.log(
        `  DuckDB / hyparquet-writer: ${(compared.hyparquet.seconds / compared.duckdb.seconds).toFixed(2)}x the speed, ` +
          `${(compared.duckdb.cpuSeconds / compared.hyparquet.cpuSeconds).toFixed(2)}x the CPU; both read back as the cells fed in`,
      );
      for (const difference of compared.schemaDifferences)
        console.log(`  DuckDB's encoding differs from the lake schema: ${difference}`);
    }
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}
