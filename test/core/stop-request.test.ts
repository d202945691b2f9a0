import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { stopRequest } from '../../core/stop-request.ts';

describe('a stop request on a long-lived signal', () => {
  it('leaves no listener behind once released, however many waits came and went', () => {
    const abort = new AbortController();
    for (let i = 0; i < 20; i++) stopRequest(abort.signal).release();
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  it('resolves when the signal aborts, and at once when it already has', async () => {
    const abort = new AbortController();
    const waiting = stopRequest(abort.signal);
    let resolved = false;
    void waiting.requested.then(() => {
      resolved = true;
    });
    await Promise.resolve();
    expect(resolved).toBe(false);
    abort.abort();
    await waiting.requested;
    expect(resolved).toBe(true);
    await stopRequest(abort.signal).requested;
  });
});
