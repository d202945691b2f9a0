/**
 * @module
 * Waiting in tests: poll a condition until it holds, with a deadline. Never a fixed sleep.
 */

/**
 * Polls `check` until it returns a truthy value (which is returned) or `timeoutMs` passes (then throws with
 * `what`). Between polls it yields to the event loop and waits a few milliseconds, so a condition that queries
 * PostgreSQL does not hammer it.
 */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
