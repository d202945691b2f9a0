/**
 * @module
 * LeaseStore: single-flight for scheduled jobs that may overlap (the loader, the lake compactor). A run takes
 * the job's lease before it works and gives it back after; a run that finds it held does nothing. A lease
 * expires on its own, so a crashed holder blocks the next runs for at most its time to live.
 */

/** A lease this process holds. */
export interface HeldLease {
  readonly name: string;
  /** Unique to this acquisition. */
  readonly holder: string;
  /** When it lapses unless renewed. */
  readonly expiresAt: Date;
  /** Extends the lease by `ttlMs` from now; false when it was lost (expired and taken by another). */
  renew(ttlMs: number): Promise<boolean>;
  /** Gives the lease back so the next run need not wait for it to expire. Releasing twice is harmless. */
  release(): Promise<void>;
}

/**
 * Named leases with a time to live.
 *
 * Contract:
 * - **Mutual exclusion.** Of any number of concurrent `acquire` calls for one name while no unexpired lease
 *   exists, exactly one resolves with a lease; the others resolve `undefined`. Implementations use an atomic
 *   compare-and-set (S3 conditional writes: `If-None-Match: *` to create, `If-Match: <ETag>` to replace).
 * - **Expiry.** A lease whose `expiresAt` has passed may be taken by the next `acquire`; its old holder's
 *   `renew` then returns false and its `release` leaves the new holder's lease alone.
 * - **Release.** After `release`, the next `acquire` succeeds at once.
 * - Clocks: expiry compares the acquirer's clock with the stored `expiresAt`; keep the TTL well above the
 *   clock skew between hosts (Lambda hosts are NTP-synchronised; the TTL is minutes).
 * - Names are short slash-separated words (`loader`, `lake/compactor`).
 *
 * @example
 * const lease = await leases.acquire('loader', 6 * 60_000);
 * if (!lease) return { status: 'busy' };
 * try { await runLoad(deps); } finally { await lease.release(); }
 */
export interface LeaseStore {
  acquire(name: string, ttlMs: number): Promise<HeldLease | undefined>;
}

/** The stored form of a lease. */
export interface LeaseDocument {
  readonly holder: string;
  /** ISO-8601 UTC; a released lease is stored with an expiry in the past. */
  readonly expiresAt: string;
}

/** Whether a stored lease still binds at `now`. */
export function leaseBinds(document: LeaseDocument | undefined, now: Date): boolean {
  return document !== undefined && Date.parse(document.expiresAt) > now.getTime();
}

const LEASE_NAME = /^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;

/** Refuses a lease name that could escape its prefix. */
export function checkLeaseName(name: string): void {
  if (!LEASE_NAME.test(name)) {
    throw new RangeError(`Lease name "${name}" is not a short slash-separated name (a-z, 0-9, _ and -).`);
  }
}
