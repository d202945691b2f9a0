/**
 * @module
 * Progress of long work on stderr (rows and rows/s), only when stderr is a terminal or --progress asks for it,
 * so piped output and logs stay clean.
 */
import type { SnapshotProgress } from '../reader/initial-snapshot.ts';

/** Reports progress; `done` ends the line. */
export interface ProgressReporter {
  /** Shows the figures; at most every 200 ms unless `final` (the last figures of a step always show). */
  update(label: string, rows: number, elapsedMs: number, final?: boolean): void;
  done(): void;
}

/** A reporter writing to stderr at most every 200 ms, or a silent one. */
export function progressReporter(requested: boolean | undefined): ProgressReporter {
  const enabled = requested === true || process.stderr.isTTY === true;
  if (!enabled) return { update() {}, done() {} };
  const terminal = process.stderr.isTTY === true;
  let last = 0;
  let wrote = false;
  return {
    update(label, rows, elapsedMs, final = false) {
      const now = performance.now();
      if (now - last < 200 && !final) return;
      last = now;
      const rate = elapsedMs > 0 ? Math.round((rows * 1000) / elapsedMs) : 0;
      const line = `${label}: ${rows.toLocaleString('en-GB')} rows (${rate.toLocaleString('en-GB')} rows/s)`;
      process.stderr.write(terminal ? `\r\x1b[2K${line}` : `${line}\n`);
      wrote = true;
    },
    done() {
      if (wrote && terminal) process.stderr.write('\n');
      wrote = false;
    },
  };
}

/**
 * Shows the reader's snapshot progress: one line per table with rows and rows/s, finished when the table is.
 */
export function snapshotProgressReporter(
  requested: boolean | undefined,
): (progress: SnapshotProgress) => void {
  const reporter = progressReporter(requested);
  return (progress) => {
    const elapsedMs = progress.rowsPerSecond > 0 ? (progress.rows / progress.rowsPerSecond) * 1000 : 0;
    reporter.update(`snapshot ${progress.table}`, progress.rows, elapsedMs, progress.done);
    if (progress.done) reporter.done();
  };
}
