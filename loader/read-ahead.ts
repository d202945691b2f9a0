/**
 * @module
 * Reading the next star table's lake window while the warehouse stages the current one. The warehouse reads the
 * windows one after another inside its transaction (loader/load-batch.ts); without this, every lake read waits
 * for the warehouse's COPY and merges of the table before it, and a run's time is the sum of both. With it, the
 * query engine works on table i+1's first batch while PostgreSQL works on table i: a run takes about the larger
 * of the two. Only one batch of one table is read ahead, so a load holds at most two batches
 * (core/memory-bounds.ts `loaderBatchRows`) whatever the size of its transactions.
 */

/** Windows read in order, each one's first batch requested when the window before it starts being read. */
export interface ReadAhead<T> {
  /** The windows, in the order the warehouse reads them. */
  readonly windows: readonly AsyncIterable<T>[];
  /**
   * Ends a window read ahead whose reader never came (a load that failed half-way), so its query gives back
   * its connection. Safe to call after a load that read every window.
   */
  close(): Promise<void>;
}

/**
 * `sources` read one ahead: starting to iterate window i calls window i+1's first `next()`. Each source is
 * iterated at most once. A window read ahead that fails reports its error when its reader reaches it.
 */
export function readAhead<T>(sources: readonly AsyncIterable<T>[]): ReadAhead<T> {
  const started: (
    | { readonly iterator: AsyncIterator<T>; readonly first: Promise<IteratorResult<T>> }
    | undefined
  )[] = sources.map(() => undefined);
  const taken = sources.map(() => false);
  const start = (index: number) => {
    const source = sources[index];
    if (source === undefined || started[index] !== undefined) return started[index];
    const iterator = source[Symbol.asyncIterator]();
    const first = iterator.next();
    // Its reader sees the error; until then it must not count as unhandled.
    first.catch(() => undefined);
    started[index] = { iterator, first };
    return started[index];
  };
  const windows = sources.map(
    (_, index): AsyncIterable<T> => ({
      [Symbol.asyncIterator]: () => {
        const own = start(index);
        taken[index] = true;
        start(index + 1);
        if (own === undefined) throw new Error('readAhead: a window without a source');
        let first: Promise<IteratorResult<T>> | undefined = own.first;
        return {
          next: () => {
            const next = first ?? own.iterator.next();
            first = undefined;
            return next;
          },
          return: async (value?: unknown) => {
            first = undefined;
            return (await own.iterator.return?.(value)) ?? { done: true, value: undefined };
          },
        };
      },
    }),
  );
  return {
    windows,
    close: async () => {
      for (const [index, window] of started.entries()) {
        if (window === undefined || taken[index]) continue;
        await window.first.catch(() => undefined);
        await window.iterator.return?.();
      }
    },
  };
}
