/**
 * @module
 * Waiting in tests: poll a condition until it holds, with a deadline. Never a fixed sleep.
 *
 * The wait runs on the real clock even in a test that fakes timers (`vi.useFakeTimers`) to drive the code
 * under test: the functions are taken before any test can replace them.
 */
const realSetTimeout = globalThis.setTimeout;
const realNow = performance.now.bind(performance);

/**
 * Polls `check` until it returns a truthy value (which is returned) or `timeoutMs` passes (then throws with
 * `what`). Between polls it yields to the event loop and waits a few milliseconds, so a condition that queries
 * PostgreSQL does not hammer it.
 */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const deadline = realNow() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (realNow() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => realSetTimeout(resolve, 10));
  }
}
