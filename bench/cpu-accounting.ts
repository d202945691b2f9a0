/**
 * @module
 * Where a benchmark step's CPU seconds go (issue: throughput at the machine's limit): CPU time holds up under
 * a loaded machine far better than wall time. One {@link CpuMeter} reads, at the start and the end of a step,
 *
 * - this process: its main thread (every stage's JavaScript runs there unless the opt-in worker pool is used)
 *   and its other threads (DuckDB's, libuv's pool, V8's helpers), from `/proc/self/task`;
 * - the main thread's CPU split by stage in the shares of a V8 CPU profile taken over the step
 *   (`node:inspector`), each sample charged to the innermost frame in one of the project's folders (`reader/`,
 *   `firehose/`, ...) and, for a sample with none (a socket's data handler), to the package it is in;
 * - the benchmark's PostgreSQL cluster: each backend's CPU by role (the walsender decoding for the reader, the
 *   source's client backends, the warehouse's, the background processes), from `/proc/<pid>/stat`, plus the
 *   postmaster's reaped children (backends that ended during the step).
 *
 * Linux only (`/proc`); elsewhere the PostgreSQL part and the thread split read as zero.
 */
import { readdir, readFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { resolve } from 'node:path';
import type pg from 'pg';

/** Clock ticks per second of `/proc` CPU times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** CPU seconds by account, e.g. `{ 'node main thread': 4.2, 'pg walsender': 1.1 }`. */
export type CpuSeconds = Record<string, number>;

/** The project's folders a profile sample is charged to, most specific first. */
const STAGE_FOLDERS: readonly (readonly [string, string])[] = [
  ['source/simulator/', 'source: simulator'],
  // The meter's own sampling of /proc is the benchmark's cost, not the source's.
  ['bench/cpu-accounting', 'bench: the CPU meter'],
  ['bench/', 'source: bench driver'],
  ['reader/', 'reader'],
  ['functions/transformer/', 'transformation'],
  ['transform/', 'transformation'],
  ['firehose/', 'firehose (buffering, conversion, spool)'],
  ['lake/parquet-writer', 'lake: Parquet encoding'],
  ['lake/fs-object-store', 'lake: object writes'],
  ['lake/duckdb', 'loader: DuckDB reads'],
  ['lake/', 'lake: other'],
  ['loader/', 'loader'],
  ['warehouse/', 'loader: warehouse'],
  ['local/', 'local pipeline'],
  ['core/', 'core'],
];

/** The stage of one project file path (relative to the repository), or undefined outside the project. */
function stageOfPath(relative: string): string | undefined {
  return STAGE_FOLDERS.find(([folder]) => relative.startsWith(folder))?.[1];
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A V8 CPU profile's samples as seconds per stage (see the module comment). */
export function profileByStage(profile: Profile, root: string): CpuSeconds {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const cache = new Map<number, string>();
  const classify = (id: number): string => {
    const known = cache.get(id);
    if (known !== undefined) return known;
    const leaf = byId.get(id);
    const name = leaf?.callFrame.functionName ?? '';
    let stage: string | undefined =
      name === '(idle)' ? 'idle' : name === '(garbage collector)' ? 'garbage collection' : undefined;
    for (let at: number | undefined = id; stage === undefined && at !== undefined; at = parent.get(at)) {
      const url = decodeURIComponent(byId.get(at)?.callFrame.url ?? '').replace(/^file:\/\//, '');
      if (url.startsWith(root) && !url.includes('/node_modules/'))
        stage = stageOfPath(url.slice(root.length));
    }
    if (stage === undefined) {
      const url = leaf?.callFrame.url ?? '';
      const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
      stage = npm ? `npm ${npm[1]}` : name === '(program)' ? 'V8 (program)' : 'node internals';
    }
    cache.set(id, stage);
    return stage;
  };
  const seconds: CpuSeconds = {};
  profile.samples.forEach((sample, i) => {
    const stage = classify(sample);
    seconds[stage] = (seconds[stage] ?? 0) + (profile.timeDeltas[i] ?? 0) / 1e6;
  });
  return seconds;
}

/**
 * The profile's stages scaled to the main thread's measured CPU: V8 samples on wall-clock intervals, so on a
 * loaded machine a sample also covers time the thread waited for a core. Its shares hold; its seconds do not.
 */
function scaledTo(stages: CpuSeconds, mainSeconds: number): CpuSeconds {
  const busy = Object.entries(stages).filter(([name]) => name !== 'idle');
  const sampled = busy.reduce((sum, [, seconds]) => sum + seconds, 0);
  return Object.fromEntries(
    busy.map(([name, seconds]) => [name, (seconds * mainSeconds) / Math.max(sampled, 1e-9)]),
  );
}

async function procTicks(path: string): Promise<{ own: number; children: number } | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // Fields after the command name in parentheses (which may hold spaces): utime is field 14 of the line.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(fields[field - 3] ?? 0);
  return { own: at(14) + at(15), children: at(16) + at(17) };
}

async function threadSeconds(): Promise<{ main: number; others: number }> {
  const tasks = await readdir('/proc/self/task').catch(() => [] as string[]);
  let main = 0;
  let others = 0;
  for (const tid of tasks) {
    const ticks = (await procTicks(`/proc/self/task/${tid}/stat`))?.own ?? 0;
    if (Number(tid) === process.pid) main += ticks;
    else others += ticks;
  }
  return { main: main / TICKS_PER_SECOND, others: others / TICKS_PER_SECOND };
}

/** The role of one PostgreSQL process, from its command line (`postgres: user db host state`). */
function backendRole(cmdline: string, sourceDatabase: string): string {
  if (cmdline.includes('walsender')) return 'pg walsender (decoding for the reader)';
  if (cmdline.includes(` ${sourceDatabase} `)) return 'pg source backends (the simulator)';
  if (/postgres: \S+ \S+ /.test(cmdline) && !/postgres: (io worker|autovacuum)/.test(cmdline))
    return 'pg warehouse backends (loader)';
  return 'pg background (WAL writer, checkpointer, I/O, autovacuum)';
}

interface PgSample {
  readonly byPid: Map<number, { readonly role: string; readonly seconds: number }>;
  readonly reaped: number;
}

/** The postmaster's children: its `children` file (one read), else a scan of every process's parent. */
async function childPids(postmaster: number): Promise<number[]> {
  const listed = await readFile(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').catch(
    () => undefined,
  );
  if (listed !== undefined) return listed.split(' ').filter(Boolean).map(Number);
  const children: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    if (stat !== undefined && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster)
      children.push(Number(entry));
  }
  return children;
}

async function pgSample(
  postmasters: readonly number[],
  sourceDatabase: string,
  roles: Map<number, string>,
): Promise<PgSample> {
  const byPid = new Map<number, { role: string; seconds: number }>();
  let reaped = 0;
  // Sampled every second during a step: reading every process of a busy machine cost the main thread more
  // than some of the stages it measures. A backend's role is read from its command line once it has one.
  for (const postmaster of postmasters) {
    for (const pid of await childPids(postmaster)) {
      const ticks = await procTicks(`/proc/${pid}/stat`);
      if (!ticks) continue;
      let role = roles.get(pid);
      if (role === undefined) {
        const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll(
          '\0',
          ' ',
        );
        role = backendRole(cmdline, sourceDatabase);
        // A backend just forked still shows the postmaster's command line: read it again next time.
        if (cmdline.startsWith('postgres: ')) roles.set(pid, role);
      }
      byPid.set(pid, { role, seconds: ticks.own / TICKS_PER_SECOND });
    }
    const own = await procTicks(`/proc/${postmaster}/stat`);
    reaped += ((own?.children ?? 0) + (own?.own ?? 0)) / TICKS_PER_SECOND;
  }
  return { byPid, reaped };
}

/** A step's CPU seconds: totals and, when profiled, the main thread's split by stage. */
export interface CpuStep {
  readonly process: CpuSeconds;
  readonly postgres: CpuSeconds;
  readonly mainThreadStages: CpuSeconds | undefined;
}

/** Measures the CPU of steps of a benchmark that runs the pipeline in this process on its own cluster. */
export class CpuMeter {
  readonly #postmasters: readonly number[];
  readonly #sourceDatabase: string;
  readonly #roles = new Map<number, string>();
  readonly #root = `${resolve(import.meta.dirname, '..')}/`;

  private constructor(postmasters: readonly number[], sourceDatabase: string) {
    this.#postmasters = postmasters;
    this.#sourceDatabase = sourceDatabase;
  }

  /**
   * A meter of this process and of the clusters `admins` are connected to (the benchmark's source may have a
   * cluster of its own beside the warehouse's); `sourceDatabase` is the source's database.
   */
  static async open(admins: readonly pg.Client[], sourceDatabase: string): Promise<CpuMeter> {
    const postmasters: number[] = [];
    for (const admin of admins) {
      const backend = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const stat = await readFile(`/proc/${backend}/stat`, 'utf8').catch(() => undefined);
      if (stat) postmasters.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    }
    return new CpuMeter(postmasters, sourceDatabase);
  }

  /** Runs `work` and returns its result with the CPU seconds it took; `profile` adds the stage split. */
  async measure<T>(work: () => Promise<T>, profile = false): Promise<{ result: T; cpu: CpuStep }> {
    const session = profile ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 1000 });
      await session.post('Profiler.start');
    }
    const [threads0, pg0, cpu0] = [await threadSeconds(), await this.#pg(), process.cpuUsage()];
    // Backends that end before the step does (a driver's connections closed at its end) keep the CPU of their
    // last sample, taken every second.
    const lastSeen = new Map(pg0.byPid);
    const sampling = setInterval(() => {
      void this.#pg().then((sample) => {
        for (const [pid, seen] of sample.byPid) lastSeen.set(pid, seen);
      });
    }, 1000);
    let result: T;
    let stages: CpuSeconds | undefined;
    try {
      result = await work();
    } finally {
      clearInterval(sampling);
      if (session) {
        const { profile: taken } = await session.post('Profiler.stop');
        stages = profileByStage(taken as Profile, this.#root);
        session.disconnect();
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const [threads1, pg1] = [await threadSeconds(), await this.#pg()];
    if (stages) stages = scaledTo(stages, threads1.main - threads0.main);
    for (const [pid, seen] of pg1.byPid) lastSeen.set(pid, seen);
    const postgres: CpuSeconds = {};
    let ended = pg1.reaped - pg0.reaped;
    for (const [pid, after] of lastSeen) {
      const used = after.seconds - (pg0.byPid.get(pid)?.seconds ?? 0);
      postgres[after.role] = (postgres[after.role] ?? 0) + used;
      if (!pg1.byPid.has(pid)) ended -= after.seconds;
    }
    postgres['pg backends that ended unsampled'] = Math.max(0, ended);
    return {
      result,
      cpu: {
        process: {
          'node main thread': threads1.main - threads0.main,
          [OTHER_THREADS]: threads1.others - threads0.others,
          'node process (cpuUsage)': (cpu.user + cpu.system) / 1e6,
        },
        postgres,
        mainThreadStages: stages,
      },
    };
  }

  async #pg(): Promise<PgSample> {
    return pgSample(this.#postmasters, this.#sourceDatabase, this.#roles);
  }
}

const OTHER_THREADS = 'node other threads (DuckDB, libuv pool, V8 helpers)';
const SOURCE_THREAD = 'node source driver thread (the source, not the pipeline)';

/**
 * The step with `seconds` of its other threads' CPU charged to the source's driver thread, which measures its
 * own (bench/source-driver-thread.ts).
 */
export function withSourceThread(step: CpuStep, seconds: number): CpuStep {
  return {
    ...step,
    process: {
      ...step.process,
      [OTHER_THREADS]: (step.process[OTHER_THREADS] ?? 0) - seconds,
      [SOURCE_THREAD]: seconds,
    },
  };
}

/**
 * The source's part of a step: the simulator's or driver's JavaScript (on the main thread, or in the driver's
 * own thread) and the source's backends (not the walsender).
 */
export function sourceSeconds(step: CpuStep): number {
  const stages = step.mainThreadStages ?? {};
  return (
    (stages['source: simulator'] ?? 0) +
    (stages['source: bench driver'] ?? 0) +
    (step.process[SOURCE_THREAD] ?? 0) +
    (step.postgres['pg source backends (the simulator)'] ?? 0)
  );
}

/**
 * CPU seconds of this process's children that have ended and been waited for (`/proc/self/stat` cutime and
 * cstime): the difference around a child's run is that child's CPU (a reference tool like pg_recvlogical).
 */
export async function endedChildrenSeconds(): Promise<number> {
  return ((await procTicks('/proc/self/stat'))?.children ?? 0) / TICKS_PER_SECOND;
}

/** The step's CPU seconds in all: this process's and the cluster's. */
export function cpuTotal(step: CpuStep): number {
  return (
    (step.process['node process (cpuUsage)'] ?? 0) +
    Object.values(step.postgres).reduce((sum, seconds) => sum + seconds, 0)
  );
}

/** `uptime`'s three load averages, to print beside a step's figures. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** The step's CPU as lines of a table: seconds per 1,000 changes, and share of the step's total. */
export function cpuTable(step: CpuStep, changes: number): string[] {
  const per = (seconds: number) => ((seconds * 1000) / Math.max(1, changes)).toFixed(3);
  const lines: string[] = [];
  const total = cpuTotal(step);
  const row = (name: string, seconds: number) =>
    lines.push(
      `  ${name.padEnd(58)} ${per(seconds).padStart(8)} s/1k  ${((100 * seconds) / Math.max(total, 1e-9)).toFixed(1).padStart(5)}%`,
    );
  for (const [name, seconds] of Object.entries(step.process)) row(name, seconds);
  if (step.mainThreadStages) {
    const sorted = Object.entries(step.mainThreadStages).sort((a, b) => b[1] - a[1]);
    for (const [name, seconds] of sorted) if (name !== 'idle') row(`  main thread: ${name}`, seconds);
  }
  for (const [name, seconds] of Object.entries(step.postgres).sort((a, b) => b[1] - a[1])) row(name, seconds);
  row('total CPU (node process + PostgreSQL)', total);
  const source = sourceSeconds(step);
  row("the source's own cost (simulator JS + source backends)", source);
  row('the pipeline (total less the source)', total - source);
  return lines;
}
