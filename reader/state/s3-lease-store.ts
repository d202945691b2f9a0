/**
 * @module
 * LeaseStore on S3: one JSON object per lease, `<prefix>leases/<name>.json`, created with
 * `If-None-Match: *` and replaced with `If-Match: <ETag>` (S3 conditional writes), so of two runs racing for
 * a lease exactly one write succeeds. A released lease is overwritten with an expiry in the past rather than
 * deleted, so every change of it stays a conditional write.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  checkLeaseName,
  type HeldLease,
  type LeaseDocument,
  type LeaseStore,
  leaseBinds,
} from '../../core/ports/lease-store.ts';
import { ConditionFailedError, readS3Document, writeS3Document } from './s3-document.ts';

/** Where the lease objects live. */
export interface S3LeaseStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * Key prefix; leases go under `<prefix>leases/`.
   * @default 'state/'
   */
  readonly prefix?: string;
  readonly clock?: () => Date;
}

/** A {@link LeaseStore} of conditionally written S3 objects. */
export class S3LeaseStore implements LeaseStore {
  readonly #options: S3LeaseStoreOptions;
  readonly #clock: () => Date;

  constructor(options: S3LeaseStoreOptions) {
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
  }

  async acquire(name: string, ttlMs: number): Promise<HeldLease | undefined> {
    checkLeaseName(name);
    const { client, bucket } = this.#options;
    const key = `${this.#options.prefix ?? 'state/'}leases/${name}.json`;
    const current = await readS3Document(client, bucket, key);
    const document = current ? (JSON.parse(current.text) as LeaseDocument) : undefined;
    const now = this.#clock();
    if (leaseBinds(document, now)) return undefined;
    const holder = randomUUID();
    const write = (expiresAt: Date, etag: string | undefined) =>
      writeS3Document(
        client,
        bucket,
        key,
        JSON.stringify({ holder, expiresAt: expiresAt.toISOString() } satisfies LeaseDocument),
        etag === undefined ? { ifAbsent: true } : { ifEtag: etag },
      );
    let etag: string;
    let expiresAt = new Date(now.getTime() + ttlMs);
    try {
      etag = await write(expiresAt, current?.etag);
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
    let released = false;
    const clock = this.#clock;
    return {
      name,
      holder,
      get expiresAt() {
        return expiresAt;
      },
      async renew(ttl: number): Promise<boolean> {
        if (released) return false;
        const next = new Date(clock().getTime() + ttl);
        try {
          etag = await write(next, etag);
          expiresAt = next;
          return true;
        } catch (error) {
          if (error instanceof ConditionFailedError) return false;
          throw error;
        }
      },
      async release(): Promise<void> {
        if (released) return;
        released = true;
        try {
          await write(new Date(0), etag);
        } catch (error) {
          // Taken over after it expired: the new holder's lease is not ours to end.
          if (!(error instanceof ConditionFailedError)) throw error;
        }
      },
    };
  }
}
