/**
 * @module
 * The LeaseStore port's contract (core/ports/lease-store.ts), run against every implementation. Each test
 * opens stores that share one backing store and one movable clock, as two Lambda containers would.
 */
import { describe, expect, it } from 'vitest';
import type { LeaseStore } from '../../core/ports/lease-store.ts';

/** A movable clock shared by the stores of one test. */
export class TestClock {
  #now = Date.parse('2026-12-01T12:00:00.000Z');
  readonly now = (): Date => new Date(this.#now);
  advance(ms: number): void {
    this.#now += ms;
  }
}

const MINUTE = 60_000;

/**
 * Registers the contract tests. `open(clock, name)` returns a store over the implementation's shared
 * backing store; `name` is unique per test so tests do not see each other's leases.
 */
export function describeLeaseStoreContract(
  implementation: string,
  open: (clock: () => Date) => LeaseStore,
): void {
  let serial = 0;
  const fresh = () => `contract-${++serial}`;

  describe(`LeaseStore contract: ${implementation}`, () => {
    it('gives a lease to exactly one of several runs asking at once', async () => {
      const clock = new TestClock();
      const name = fresh();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => open(clock.now).acquire(name, 5 * MINUTE)),
      );
      expect(results.filter((lease) => lease !== undefined)).toHaveLength(1);
    });

    it('refuses a held lease until it is released, then gives it at once', async () => {
      const clock = new TestClock();
      const name = fresh();
      const first = await open(clock.now).acquire(name, 5 * MINUTE);
      expect(first).toBeDefined();
      expect(await open(clock.now).acquire(name, 5 * MINUTE)).toBeUndefined();
      await first!.release();
      await first!.release();
      expect(await open(clock.now).acquire(name, 5 * MINUTE)).toBeDefined();
    });

    it('lets an expired lease be taken; the old holder can then neither renew nor release it', async () => {
      const clock = new TestClock();
      const name = fresh();
      const crashed = await open(clock.now).acquire(name, 5 * MINUTE);
      clock.advance(5 * MINUTE + 1);
      const next = await open(clock.now).acquire(name, 5 * MINUTE);
      expect(next).toBeDefined();
      expect(next!.holder).not.toBe(crashed!.holder);
      expect(await crashed!.renew(5 * MINUTE)).toBe(false);
      await crashed!.release();
      expect(await open(clock.now).acquire(name, 5 * MINUTE)).toBeUndefined();
    });

    it('keeps a renewed lease past its first expiry', async () => {
      const clock = new TestClock();
      const name = fresh();
      const lease = await open(clock.now).acquire(name, 5 * MINUTE);
      clock.advance(4 * MINUTE);
      expect(await lease!.renew(5 * MINUTE)).toBe(true);
      clock.advance(2 * MINUTE);
      expect(await open(clock.now).acquire(name, 5 * MINUTE)).toBeUndefined();
      expect(lease!.expiresAt.getTime()).toBe(clock.now().getTime() + 3 * MINUTE);
    });

    it('refuses a name that could escape its prefix', async () => {
      const clock = new TestClock();
      await expect(open(clock.now).acquire('../state', MINUTE)).rejects.toThrow(/not a short/);
    });
  });
}
