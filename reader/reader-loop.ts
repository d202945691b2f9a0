/**
 * @module
 * The reader loop: check and prepare the source, finish the snapshot, then stream until the time budget is
 * nearly spent, the signal aborts or a target LSN is durable; reconnect with backoff in between; keep the slot
 * moving with a heartbeat; close watermark rounds (reader/watermark-rounds.ts); and end with everything shipped
 * and acknowledged.
 * The Lambda handler and the local runtime run this same function; each step is a method of
 * reader/reader-run.ts.
 */
import type { ReaderOptions, ReaderSummary } from './reader-options.ts';
import { ReaderRun } from './reader-run.ts';

export { ReaderError, type ReaderOptions, type ReaderSummary } from './reader-options.ts';

/** Streams changes from the source into the change stream; see the module comment. */
export async function runReader(options: ReaderOptions): Promise<ReaderSummary> {
  const run = new ReaderRun(options);
  try {
    await run.prepareSource();
    if (await run.finishSnapshot()) {
      await run.startAtSlotPosition();
      run.startPeriodicTasks();
      await run.streamUntilStopped();
      await run.closeOut();
    }
  } finally {
    await run.release();
  }
  return run.summary();
}
