/**
 * @module
 * How much memory each stage may hold, whatever the size of a transaction (README, Configuration): one
 * definition, read by the local pipeline (`up`, `sync`) and by the Lambdas alike, each bound a setting in the
 * environment (names in core/operations.ts `ENV`). Every stage works through a transaction in pieces of at
 * most its bound and lets go of each piece once the next stage holds it durably:
 *
 * - the reader holds at most `readerBufferBytes` of changes not yet accepted by Firehose, from the replication
 *   socket's queue (reader/replication-source.ts) to the puts in flight (reader/put-pipeline.ts); PostgreSQL
 *   itself spills a large transaction to disk before sending it;
 * - the local Firehose holds at most `firehoseStreamBytes` per delivery stream, records accepted and not yet
 *   delivered together with their transformed rows (firehose/delivery-stream.ts); the transformation gets
 *   batches of the processor buffering and each Parquet object is one destination buffer
 *   (core/delivery-stream-spec.ts);
 * - the loader reads the lake and writes the warehouse `loaderBatchRows` rows at a time, inside the one
 *   warehouse transaction of its cut (loader/run-load.ts, loader/load-batch.ts, warehouse/star-staging.ts);
 * - DuckDB (the local query engine) keeps at most `duckdbMemoryBytes` and spills the rest to a temporary
 *   directory in the data dir, with `duckdbThreads` threads (each thread holds buffers of its own); the loader
 *   reads a fact window in key ranges that DuckDB sorts within that memory ({@link windowRangeRows}).
 *
 * - V8's heap (old generation) is capped at `heapBytes` in every long-running local process (local/heap-bound.ts
 *   starts the command's Node with `--max-old-space-size`): without a cap V8 lets garbage grow to several
 *   times what is live before a full collection, toward a limit set by the machine's memory, whatever the
 *   bounds above are (README, What it guarantees). Its default is derived from the bounds above. On Lambda the
 *   function's memory size bounds the process instead.
 *
 * The defaults fit a small machine; `npm run bench -- memory` measures what the pipeline holds under them.
 */

/** The bounds, in bytes and rows. */
export interface MemoryBounds {
  /** Decoded changes the reader holds before Firehose accepts them. */
  readonly readerBufferBytes: number;
  /** Per local delivery stream: accepted records not yet delivered, plus their transformed rows. */
  readonly firehoseStreamBytes: number;
  /** Rows the loader reads from the lake, and writes to the warehouse, at a time. */
  readonly loaderBatchRows: number;
  /** DuckDB's `memory_limit`: beyond it, it spills to disk. */
  readonly duckdbMemoryBytes: number;
  /** DuckDB's `threads`. */
  readonly duckdbThreads: number;
  /** V8's old generation (`--max-old-space-size`) in a local process; DuckDB's memory is outside it. */
  readonly heapBytes: number;
}

const MIB = 1024 * 1024;

/** The environment variable of each bound (also listed in core/operations.ts `ENV`). */
export const MEMORY_BOUND_VARIABLES = {
  readerBufferBytes: 'TOTESYS_READER_BUFFER_MIB',
  firehoseStreamBytes: 'TOTESYS_FIREHOSE_STREAM_BUFFER_MIB',
  loaderBatchRows: 'TOTESYS_LOADER_BATCH_ROWS',
  duckdbMemoryBytes: 'TOTESYS_DUCKDB_MEMORY_MIB',
  duckdbThreads: 'TOTESYS_DUCKDB_THREADS',
  heapBytes: 'TOTESYS_HEAP_MIB',
} as const satisfies Record<keyof MemoryBounds, string>;

/**
 * The heap a process needs under the other bounds, when `TOTESYS_HEAP_MIB` does not set it: what the idle
 * pipeline holds (its code, the HTTP app, the state of every stage: `HEAP_BASE_BYTES`), twice what the reader
 * and one busy Firehose stream may hold (room for their garbage), and the loader's two batches
 * (loader/read-ahead.ts) at `HEAP_BYTES_PER_ROW` per row, rounded up to whole MiB.
 */
export function defaultHeapBytes(
  bounds: Pick<MemoryBounds, 'readerBufferBytes' | 'firehoseStreamBytes' | 'loaderBatchRows'>,
): number {
  const bytes =
    HEAP_BASE_BYTES +
    2 * (bounds.readerBufferBytes + bounds.firehoseStreamBytes) +
    2 * bounds.loaderBatchRows * HEAP_BYTES_PER_ROW;
  return Math.ceil(bytes / MIB) * MIB;
}

/**
 * The idle pipeline's heap with room for its garbage (`npm run bench -- memory`: 75 MiB committed, 50 MiB used
 * in its "idle before" phase).
 */
const HEAP_BASE_BYTES = 192 * MIB;
/** A loader row as JavaScript values (a star row of about 15 columns, strings and numbers). */
const HEAP_BYTES_PER_ROW = 2048;

const BASE_BOUNDS = {
  readerBufferBytes: 32 * MIB,
  firehoseStreamBytes: 16 * MIB,
  loaderBatchRows: 20_000,
  duckdbMemoryBytes: 256 * MIB,
  duckdbThreads: 2,
};

/**
 * Versions of a fact window the local loader reads per key range (loader/key-ranges.ts): what DuckDB sorts in
 * `duckdbMemoryBytes` at `DUCKDB_BYTES_PER_SORTED_ROW` a version, never fewer than a batch. Derived, not a
 * setting of its own: raising DuckDB's memory raises it.
 */
export function windowRangeRows(bounds: Pick<MemoryBounds, 'duckdbMemoryBytes' | 'loaderBatchRows'>): number {
  return Math.max(bounds.loaderBatchRows, Math.floor(bounds.duckdbMemoryBytes / DUCKDB_BYTES_PER_SORTED_ROW));
}

/**
 * DuckDB's memory per fact version a window query ranks and sorts, with room to spare: at its 256 MiB default
 * it sorted a window of 1.25M sales order versions and failed for want of memory at 2.5M, so about 200 bytes a
 * version; five times that keeps a range's sort in memory beside the next table's range read ahead
 * (loader/read-ahead.ts).
 */
const DUCKDB_BYTES_PER_SORTED_ROW = 1024;

/** The defaults: small enough for a 2-core, 2 GiB machine, large enough not to slow the pipeline down. */
export const DEFAULT_MEMORY_BOUNDS: MemoryBounds = {
  ...BASE_BOUNDS,
  heapBytes: defaultHeapBytes(BASE_BOUNDS),
};

/** Each setting's unit in the environment, and how its text becomes the bound. */
const UNITS: Readonly<Record<keyof MemoryBounds, { readonly unit: string; readonly scale: number }>> = {
  readerBufferBytes: { unit: 'MiB', scale: MIB },
  firehoseStreamBytes: { unit: 'MiB', scale: MIB },
  loaderBatchRows: { unit: 'rows', scale: 1 },
  duckdbMemoryBytes: { unit: 'MiB', scale: MIB },
  duckdbThreads: { unit: 'threads', scale: 1 },
  heapBytes: { unit: 'MiB', scale: MIB },
};

/** A bound that is not a positive whole number; the message names the variable. */
export class MemoryBoundsError extends RangeError {
  override readonly name = 'MemoryBoundsError';
}

/**
 * The bounds an environment sets, each unset or empty one at its default (the heap's derived from the others
 * set, {@link defaultHeapBytes}). Throws {@link MemoryBoundsError} naming every variable that is not a positive
 * whole number.
 */
export function readMemoryBounds(env: Readonly<Record<string, string | undefined>>): MemoryBounds {
  const bounds: Record<keyof MemoryBounds, number> = { ...DEFAULT_MEMORY_BOUNDS, heapBytes: 0 };
  const problems: string[] = [];
  for (const [key, variable] of Object.entries(MEMORY_BOUND_VARIABLES) as [keyof MemoryBounds, string][]) {
    const text = env[variable]?.trim() ?? '';
    if (text === '') continue;
    const value = Number(text);
    const { unit, scale } = UNITS[key];
    if (!Number.isInteger(value) || value <= 0) {
      problems.push(`${variable} must be a positive whole number of ${unit} (got "${text}")`);
      continue;
    }
    bounds[key] = value * scale;
  }
  if (problems.length > 0) throw new MemoryBoundsError(`${problems.join('; ')}.`);
  if (bounds.heapBytes === 0) bounds.heapBytes = defaultHeapBytes(bounds);
  return bounds;
}

/** The bounds as a person reads them, one `name=value` per bound (for logs and `status`). */
export function describeMemoryBounds(bounds: MemoryBounds): string {
  return (Object.keys(MEMORY_BOUND_VARIABLES) as (keyof MemoryBounds)[])
    .map((key) => {
      const { unit, scale } = UNITS[key];
      return `${MEMORY_BOUND_VARIABLES[key]}=${bounds[key] / scale} ${unit}`;
    })
    .join(', ');
}
