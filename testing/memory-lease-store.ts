/**
 * @module
 * An in-memory LeaseStore for tests, with the port's compare-and-set semantics (a version per lease).
 */
import { randomUUID } from 'node:crypto';
import {
  checkLeaseName,
  type HeldLease,
  type LeaseDocument,
  type LeaseStore,
  leaseBinds,
} from '../core/ports/lease-store.ts';

/** {@link LeaseStore} in a Map; `clock` lets a test move time. */
export class MemoryLeaseStore implements LeaseStore {
  readonly #leases = new Map<string, { document: LeaseDocument; version: number }>();
  readonly #clock: () => Date;

  constructor(clock: () => Date = () => new Date()) {
    this.#clock = clock;
  }

  async acquire(name: string, ttlMs: number): Promise<HeldLease | undefined> {
    checkLeaseName(name);
    const current = this.#leases.get(name);
    if (leaseBinds(current?.document, this.#clock())) return undefined;
    const holder = randomUUID();
    let version = (current?.version ?? 0) + 1;
    let expiresAt = new Date(this.#clock().getTime() + ttlMs);
    this.#leases.set(name, { document: { holder, expiresAt: expiresAt.toISOString() }, version });
    const replace = (until: Date): boolean => {
      if (this.#leases.get(name)?.version !== version) return false;
      version += 1;
      this.#leases.set(name, { document: { holder, expiresAt: until.toISOString() }, version });
      return true;
    };
    let released = false;
    return {
      name,
      holder,
      get expiresAt() {
        return expiresAt;
      },
      renew: async (ttl) => {
        if (released) return false;
        const next = new Date(this.#clock().getTime() + ttl);
        if (!replace(next)) return false;
        expiresAt = next;
        return true;
      },
      release: async () => {
        if (released) return;
        released = true;
        replace(new Date(0));
      },
    };
  }
}
