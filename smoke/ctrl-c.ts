/**
 * @module
 * Ctrl-C during a smoke run: the first SIGINT aborts the stage under way so that the clean-up starts at once;
 * later ones only say that the clean-up goes on, because leaving now would leave paid resources behind.
 */

/** The part of `process` the handler needs. */
export interface SignalSource {
  on(event: 'SIGINT', listener: () => void): unknown;
}

/** A signal that aborts at the first SIGINT from `source`; `print` tells the user what the next ones do. */
export function abortOnCtrlC(source: SignalSource, print: (line: string) => void): AbortSignal {
  const interrupt = new AbortController();
  source.on('SIGINT', () => {
    if (!interrupt.signal.aborted) interrupt.abort(new Error('Interrupted by Ctrl-C.'));
    else print('Still cleaning up: the run ends once everything it created is deleted.');
  });
  return interrupt.signal;
}
