/**
 * @module
 * Output to a pipe whose reader went away (`totesys-stream up | tee log` and Ctrl-C, which stops `tee` too;
 * `query … | head`). Node reports the failed write as an `error` event on process.stdout/stderr, and an
 * unhandled one kills the process where it stands: a signal handler's message would then leave the embedded
 * PostgreSQL running without its parent. Once a reader has gone, output to it is dropped and the command
 * carries on (`up` still stops everything; `query` ends with its own exit code).
 */

/** The write errors that mean "nobody reads this stream any more". */
const READER_GONE: ReadonlySet<string> = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

/** True when `error` says the stream's reader has gone. */
export function isReaderGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && READER_GONE.has(code);
}

/**
 * Makes `streams` (stdout and stderr by default) drop output once their reader has gone instead of crashing
 * the process. Any other write error is rethrown as before. Idempotent per stream.
 */
export function dropOutputWhenReaderGone(
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): void {
  for (const stream of streams) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', (error) => {
      if (!isReaderGone(error)) throw error;
      // Later writes go nowhere rather than into a destroyed stream (which would raise again).
      stream.write = ((_chunk: unknown, ...rest: unknown[]) => {
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof stream.write;
    });
  }
}

const guarded = new WeakSet<NodeJS.WriteStream>();
