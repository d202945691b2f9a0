/**
 * @module
 * Waiting for a long-lived stop signal from something that may end first. A listener added to the signal for
 * each wait and never taken off gathers without bound when the waiter restarts for ever (a reader reconnecting,
 * a simulator restarted by its supervisor; Node warns at 11), so every wait comes with its `release`.
 */

/** A wait for `signal` to abort; `release` takes its listener off when the wait ends otherwise. */
export interface StopRequest {
  /** Resolves once the signal aborts (at once when it already has). */
  readonly requested: Promise<void>;
  /** Takes the wait's listener off the signal; call it however the wait ended. */
  release(): void;
}

/** A {@link StopRequest} on `signal`. */
export function stopRequest(signal: AbortSignal): StopRequest {
  let onAbort: () => void = () => undefined;
  const requested = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { requested, release: () => signal.removeEventListener('abort', onAbort) };
}
