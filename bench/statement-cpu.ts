/**
 * @module
 * The warehouse backend's CPU per statement of a load (`e2e --phases loader --profile`): every query a
 * `pg.Client` of one database sends is timed by its backend's CPU (`/proc/<pid>/stat`, 10 ms ticks) from
 * submission to completion, and grouped by the statement's opening words. The warehouse runs one load's
 * statements one after another on one connection, so each backend interval belongs to exactly one statement
 * (a COPY's includes the time its backend waits on the JavaScript feeding it, which costs it no CPU).
 * Benchmarks only: it patches `pg.Client.prototype.query` while it is installed. Linux only.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** Clock ticks per second of `/proc` CPU times (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** One group of statements: how many ran and their backends' CPU seconds. */
export interface StatementCpu {
  readonly statement: string;
  readonly count: number;
  readonly seconds: number;
}

function backendSeconds(pid: number | null): number {
  if (pid === null) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A statement's group: its text with whitespace collapsed and literals dropped, cut to `width` characters. */
export function statementGroup(sql: string, width = 96): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/'[^']*'/g, "'…'")
    .trim()
    .slice(0, width);
}

type Query = (this: pg.Client, ...args: unknown[]) => unknown;

/**
 * Starts timing the statements of every client connected to `database`; `stop` restores `pg.Client` and
 * returns the groups, most CPU first.
 */
export function profileStatements(database: string): { stop(): StatementCpu[] } {
  const groups = new Map<string, { count: number; seconds: number }>();
  const prototype = pg.Client.prototype as unknown as { query: Query };
  const original = prototype.query;
  const note = (sql: string, seconds: number) => {
    const key = statementGroup(sql);
    const group = groups.get(key) ?? { count: 0, seconds: 0 };
    group.count++;
    group.seconds += seconds;
    groups.set(key, group);
  };
  prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [first] = args;
    if (this.database !== database) return original.apply(this, args);
    const pid = (this as unknown as { processID: number | null }).processID;
    const before = backendSeconds(pid);
    const submittable = first as { submit?: unknown; text?: string; on?: unknown } | undefined;
    if (typeof submittable?.submit === 'function' && typeof submittable.on === 'function') {
      // A COPY stream (pg-copy-streams): done when it finishes or fails.
      const stream = submittable as unknown as NodeJS.EventEmitter & { text?: string };
      const done = () => note(stream.text ?? 'COPY', backendSeconds(pid) - before);
      stream.once('finish', done);
      stream.once('error', done);
      return original.apply(this, args);
    }
    const sql = typeof first === 'string' ? first : (submittable?.text ?? '?');
    const result = original.apply(this, args);
    if (result instanceof Promise) {
      return result.finally(() => note(sql, backendSeconds(pid) - before));
    }
    return result;
  };
  return {
    stop() {
      prototype.query = original;
      return [...groups]
        .map(([statement, { count, seconds }]) => ({ statement, count, seconds }))
        .sort((a, b) => b.seconds - a.seconds);
    },
  };
}

/** The groups as lines of a table, with their total. */
export function statementTable(groups: readonly StatementCpu[]): string[] {
  const total = groups.reduce((sum, g) => sum + g.seconds, 0);
  const lines = groups
    .filter((g) => g.seconds > 0)
    .map((g) => `  ${g.seconds.toFixed(2).padStart(6)} s  ${String(g.count).padStart(4)}×  ${g.statement}`);
  lines.push(`  ${total.toFixed(2).padStart(6)} s  in all`);
  return lines;
}
