/**
 * @module
 * Where one loader run's time and CPU go (`e2e --trace-runs`): every DuckDB statement (the catalog's view
 * refreshes and file inspections, each loader query's prepare and execution) and every warehouse statement is
 * timed, and each run's CPU is read from `/proc` at its start and end: this process's main thread, its other
 * threads (DuckDB's), and the warehouse backends the run's statements ran on. Bench only: it wraps the DuckDB
 * and pg client prototypes for the step it traces and puts them back after.
 *
 * A run starts at the loader's `currentCut` (the first thing `runLoad` does, loader/run-load.ts) and ends at
 * `onLoad` (local/pipeline.ts); a statement is charged to the run open when it began.
 */
import { readdir, readFile } from 'node:fs/promises';
import { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import pg from 'pg';
import type { DuckDbQueryEngine } from '../lake/duckdb-query-engine.ts';
import type { LoaderQueries, LoadOutcome } from '../loader/run-load.ts';
import type { PgWarehouse } from '../warehouse/pg-warehouse.ts';

/** Clock ticks per second of `/proc` CPU times (USER_HZ). */
const TICKS_PER_SECOND = 100;

interface Span {
  readonly label: string;
  readonly ms: number;
  /** The warehouse backend's CPU seconds over the statement (pg statements only). */
  readonly backendSeconds?: number;
}

interface RunRecord {
  readonly startedAt: number;
  endedAt?: number;
  status?: LoadOutcome['status'];
  readonly cpu0: { main: number; others: number };
  cpu?: { main: number; others: number; backends: number };
  readonly spans: Span[];
  readonly backends0: Map<number, number>;
  /** Files each lake table's view read in the run (null: the whole glob). */
  files?: ReadonlyMap<string, number | null>;
}

async function ticksOf(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return 0;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
}

async function threads(): Promise<{ main: number; others: number }> {
  let main = 0;
  let others = 0;
  for (const tid of await readdir('/proc/self/task').catch(() => [] as string[])) {
    const ticks = await ticksOf(`/proc/self/task/${tid}/stat`);
    if (Number(tid) === process.pid) main += ticks;
    else others += ticks;
  }
  return { main: main / TICKS_PER_SECOND, others: others / TICKS_PER_SECOND };
}

/** Each thread's CPU seconds now, by thread id. */
export async function threadTicks(): Promise<Map<number, number>> {
  const ticks = new Map<number, number>();
  for (const tid of await readdir('/proc/self/task').catch(() => [] as string[]))
    ticks.set(Number(tid), (await ticksOf(`/proc/self/task/${tid}/stat`)) / TICKS_PER_SECOND);
  return ticks;
}

/**
 * The step's CPU by thread: the main thread, the threads that existed before the pipeline started (V8's
 * platform workers, libuv's pool), and those it started (DuckDB's; Node 20 names no thread, so creation is
 * the only tell).
 */
export async function threadSplit(before: ReadonlyMap<number, number>): Promise<string> {
  const now = await threadTicks();
  let main = 0;
  let older = 0;
  let newer = 0;
  for (const [tid, seconds] of now) {
    const used = seconds - (before.get(tid) ?? 0);
    if (tid === process.pid) main += used;
    else if (before.has(tid)) older += used;
    else newer += used;
  }
  return (
    `threads over the step: main ${main.toFixed(2)} s, threads from before the pipeline (V8, libuv) ` +
    `${older.toFixed(2)} s, threads the pipeline started (DuckDB's) ${newer.toFixed(2)} s`
  );
}

/** A statement's label: a loader query's name, else its first words with literals and lists cut. */
function labelOf(sql: string, names: ReadonlyMap<string, string>): string {
  const known = names.get(sql);
  if (known !== undefined) return known;
  for (const [text, name] of names) if (sql.includes(text)) return `${name} (as text)`;
  const flat = sql.replace(/\s+/g, ' ').trim();
  if (/^CREATE OR REPLACE VIEW "[^"]+_latest"/.test(flat)) return 'catalog: CREATE VIEW <table>_latest';
  if (/^CREATE OR REPLACE VIEW "[^"]+_snapshot"/.test(flat)) return 'catalog: CREATE VIEW <table>_snapshot';
  if (flat.startsWith('CREATE OR REPLACE VIEW')) return 'catalog: CREATE VIEW <table>';
  if (flat.startsWith('SELECT filename, CAST(max(_lsn)')) return 'catalog: inspect new files';
  return flat
    .replace(/'[^']*'/g, "'…'")
    .replace(/\$\d+/g, '$')
    .replace(/\(\s*[^()]{60,}\)/g, '(…)')
    .slice(0, 70);
}

/** The trace of the loader runs of one step. */
export class LoaderRunTrace {
  readonly #runs: RunRecord[] = [];
  #open: RunRecord | undefined;
  readonly #undo: (() => void)[] = [];
  readonly #names: Map<string, string>;
  readonly #pending: Promise<unknown>[] = [];
  #engine: DuckDbQueryEngine | undefined;

  private constructor(queries: LoaderQueries) {
    this.#names = new Map(Object.entries(queries).map(([name, query]) => [query.sql, `query: ${name}`]));
  }

  /** Starts tracing the loader of a running pipeline whose warehouse is the database `warehouseDatabase`. */
  static attach(
    parts: { engine: DuckDbQueryEngine; warehouse: PgWarehouse; queries: LoaderQueries },
    warehouseDatabase: string,
  ): LoaderRunTrace {
    const trace = new LoaderRunTrace(parts.queries);
    trace.#engine = parts.engine;
    trace.#wrapRunStart(parts.warehouse);
    trace.#wrapDuckDb();
    trace.#wrapPg(warehouseDatabase);
    const catalog = parts.engine.catalog;
    const ensure = catalog.ensureTables.bind(catalog);
    catalog.ensureTables = () => trace.#timed('catalog: ensureTables (whole)', () => ensure());
    trace.#undo.push(() => {
      catalog.ensureTables = ensure;
    });
    return trace;
  }

  /** The pipeline's `onLoad`: ends the open run. */
  readonly onLoad = (outcome: LoadOutcome): void => {
    const run = this.#open;
    if (run === undefined) return;
    this.#open = undefined;
    run.endedAt = performance.now();
    run.status = outcome.status;
    run.files = new Map(this.#engine?.catalog.viewFileCounts() ?? []);
    this.#pending.push(
      (async () => {
        const now = await threads();
        let backends = 0;
        for (const [pid, before] of run.backends0)
          backends += ((await ticksOf(`/proc/${pid}/stat`)) - before) / TICKS_PER_SECOND;
        run.cpu = { main: now.main - run.cpu0.main, others: now.others - run.cpu0.others, backends };
      })(),
    );
  };

  /** Puts the prototypes back. */
  detach(): void {
    for (const undo of this.#undo.reverse()) undo();
  }

  /** Lines of the summary: per run status, mean wall and CPU; per label, count and time per run. */
  async summary(): Promise<string[]> {
    await Promise.all(this.#pending);
    const lines: string[] = [];
    // The first run began before the trace was attached and the last may not have ended.
    const runs = this.#runs.filter((run) => run.cpu !== undefined);
    for (const status of ['loaded', 'unchanged', 'blocked'] as const) {
      const of = runs.filter((run) => run.status === status);
      if (of.length === 0) continue;
      const mean = (f: (run: RunRecord) => number) => of.reduce((sum, run) => sum + f(run), 0) / of.length;
      const wall = mean((run) => (run.endedAt ?? run.startedAt) - run.startedAt);
      lines.push(
        `${of.length} ${status} runs: wall ${wall.toFixed(0)} ms a run; CPU a run: main thread ${(1000 * mean((r) => r.cpu?.main ?? 0)).toFixed(0)} ms, ` +
          `other threads (DuckDB) ${(1000 * mean((r) => r.cpu?.others ?? 0)).toFixed(0)} ms, ` +
          `warehouse backend ${(1000 * mean((r) => r.cpu?.backends ?? 0)).toFixed(0)} ms`,
      );
      const byLabel = new Map<string, { count: number; ms: number; backend: number }>();
      for (const run of of)
        for (const span of run.spans) {
          const entry = byLabel.get(span.label) ?? { count: 0, ms: 0, backend: 0 };
          entry.count++;
          entry.ms += span.ms;
          entry.backend += span.backendSeconds ?? 0;
          byLabel.set(span.label, entry);
        }
      lines.push(...LoaderRunTrace.#byThird(of));
      const sorted = [...byLabel].sort((a, b) => b[1].ms - a[1].ms);
      lines.push(
        `  ${'statement'.padEnd(72)} ${'a run'.padStart(6)} ${'ms/run'.padStart(8)} ${'backend'.padStart(8)}`,
      );
      for (const [label, entry] of sorted) {
        lines.push(
          `  ${label.padEnd(72)} ${(entry.count / of.length).toFixed(1).padStart(6)} ${(entry.ms / of.length).toFixed(1).padStart(8)} ` +
            `${entry.backend > 0 ? ((1000 * entry.backend) / of.length).toFixed(1).padStart(8) : ''}`,
        );
      }
    }
    return lines;
  }

  /** The runs' mean wall and CPU in each third of the step, in order: a cost that grows with the lake's age shows. */
  static #byThird(runs: readonly RunRecord[]): string[] {
    const lines: string[] = [];
    const third = Math.ceil(runs.length / 3);
    for (let part = 0; part < 3 && third > 0; part++) {
      const of = runs.slice(part * third, (part + 1) * third);
      if (of.length === 0) continue;
      const mean = (f: (run: RunRecord) => number) => of.reduce((sum, run) => sum + f(run), 0) / of.length;
      lines.push(
        `  third ${part + 1} (${of.length} runs): wall ${mean((r) => (r.endedAt ?? r.startedAt) - r.startedAt).toFixed(0)} ms, ` +
          `main ${(1000 * mean((r) => r.cpu?.main ?? 0)).toFixed(0)} ms, DuckDB ${(1000 * mean((r) => r.cpu?.others ?? 0)).toFixed(0)} ms, ` +
          `warehouse ${(1000 * mean((r) => r.cpu?.backends ?? 0)).toFixed(0)} ms; files a run ` +
          [...(of[0]?.files?.keys() ?? [])]
            .map((table) => `${table} ${mean((r) => r.files?.get(table) ?? 0).toFixed(0)}`)
            .join(', '),
      );
      // Its costliest statements, to see which ones grow.
      const byLabel = new Map<string, number>();
      for (const run of of)
        for (const span of run.spans) byLabel.set(span.label, (byLabel.get(span.label) ?? 0) + span.ms);
      const top = [...byLabel].sort((a, b) => b[1] - a[1]).slice(0, 6);
      lines.push(
        `    ${top.map(([label, ms]) => `${label.slice(0, 48)} ${(ms / of.length).toFixed(0)} ms`).join('; ')}`,
      );
    }
    return lines;
  }

  #wrapRunStart(warehouse: PgWarehouse): void {
    const original = warehouse.currentCut.bind(warehouse);
    warehouse.currentCut = () => {
      if (this.#open === undefined) {
        const run: RunRecord = {
          startedAt: performance.now(),
          cpu0: { main: 0, others: 0 },
          spans: [],
          backends0: new Map(),
        };
        this.#open = run;
        this.#runs.push(run);
        // Read before the run's own statements (its first is the one below).
        return threads().then((t) => {
          Object.assign(run.cpu0, t);
          return this.#timed('warehouse.currentCut (pool)', original);
        });
      }
      return original();
    };
    this.#undo.push(() => {
      warehouse.currentCut = original;
    });
  }

  async #timed<T>(label: string, work: () => Promise<T>): Promise<T> {
    const run = this.#open;
    const began = performance.now();
    try {
      return await work();
    } finally {
      run?.spans.push({ label, ms: performance.now() - began });
    }
  }

  #wrapDuckDb(): void {
    const trace = this;
    const sqlOf = new WeakMap<object, string>();
    const connection = DuckDBConnection.prototype;
    const statement = DuckDBPreparedStatement.prototype;
    const { run, prepare } = connection;
    const { run: runPrepared, stream } = statement;
    connection.run = function (this: DuckDBConnection, sql, ...rest) {
      return trace.#timed(`duckdb run: ${labelOf(sql, trace.#names)}`, () => run.call(this, sql, ...rest));
    };
    connection.prepare = async function (this: DuckDBConnection, sql) {
      const prepared = await trace.#timed(`duckdb prepare: ${labelOf(sql, trace.#names)}`, () =>
        prepare.call(this, sql),
      );
      sqlOf.set(prepared, sql);
      return prepared;
    };
    statement.run = function (this: DuckDBPreparedStatement) {
      const label = labelOf(sqlOf.get(this) ?? '?', trace.#names);
      return trace.#timed(`duckdb execute: ${label}`, () => runPrepared.call(this));
    };
    statement.stream = function (this: DuckDBPreparedStatement) {
      const label = labelOf(sqlOf.get(this) ?? '?', trace.#names);
      return trace.#timed(`duckdb stream start: ${label}`, () => stream.call(this));
    };
    this.#undo.push(() => {
      connection.run = run;
      connection.prepare = prepare;
      statement.run = runPrepared;
      statement.stream = stream;
    });
  }

  #wrapPg(database: string): void {
    const trace = this;
    const client = pg.Client.prototype as unknown as {
      query: (...args: unknown[]) => unknown;
    };
    const original = client.query;
    client.query = function (
      this: pg.Client & { database?: string; processID?: number },
      ...args: unknown[]
    ) {
      const result = original.apply(this, args);
      const run = trace.#open;
      if (this.database !== database || run === undefined) return result;
      const first = args[0];
      const sql = typeof first === 'string' ? first : ((first as { text?: string })?.text ?? 'COPY stream');
      // A COPY returns its stream: it is done at 'finish' (or 'error').
      const done =
        result instanceof Promise
          ? result
          : typeof (result as { once?: unknown })?.once === 'function'
            ? new Promise<void>((resolve) => {
                const stream = result as NodeJS.EventEmitter;
                stream.once('finish', () => resolve());
                stream.once('error', () => resolve());
              })
            : undefined;
      if (done === undefined) return result;
      const pid = this.processID ?? undefined;
      const began = performance.now();
      const before = pid === undefined ? Promise.resolve(0) : ticksOf(`/proc/${pid}/stat`);
      if (pid !== undefined && !run.backends0.has(pid)) {
        run.backends0.set(pid, 0);
        void before.then((ticks) => run.backends0.set(pid, ticks));
      }
      const settle = async () => {
        const ms = performance.now() - began;
        const backendSeconds =
          pid === undefined ? 0 : ((await ticksOf(`/proc/${pid}/stat`)) - (await before)) / TICKS_PER_SECOND;
        run.spans.push({ label: `pg: ${labelOf(sql, trace.#names)}`, ms, backendSeconds });
      };
      trace.#pending.push(done.then(settle, settle));
      return result;
    };
    this.#undo.push(() => {
      client.query = original;
    });
  }
}
