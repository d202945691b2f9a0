/**
 * @module
 * The RoundLog port over the lake's ObjectStore (S3 on AWS, the lake directory locally): each round is one
 * small immutable object `rounds/<LSN, 20 digits>.json`, so a listing sorted by key is sorted by LSN; each
 * complete read is `rounds/reads/<LSN, 20 digits>-<lake table>.json`; the quiet mark is `rounds/quiet.json` and
 * the proven LSN `rounds/proven.json`, each replaced whole.
 *
 * @example
 * const log = new ObjectStoreRoundLog(new FsObjectStore(lakeDir, 'totesys-lake'));
 * const { rounds, quiet } = await log.read(cutLsn);
 */
import type { ObjectStore } from '../core/ports/object-store.ts';
import {
  type CompleteRead,
  type QuietMark,
  ROUND_LOG_PREFIX,
  type RoundLog,
  type RoundLogContents,
  type WatermarkRound,
} from '../core/ports/round-log.ts';

const QUIET_KEY = `${ROUND_LOG_PREFIX}quiet.json`;
const PROVEN_KEY = `${ROUND_LOG_PREFIX}proven.json`;
const ROUND_KEY = /^rounds\/(\d{20})\.json$/;
const READS_PREFIX = `${ROUND_LOG_PREFIX}reads/`;
const READ_KEY = /^rounds\/reads\/(\d{20})-[a-z_]+\.json$/;

/** A round log object that cannot be read back: names the key and what to do. */
export class RoundLogError extends Error {
  override readonly name = 'RoundLogError';
}

/** {@link RoundLog} over an ObjectStore. Round records are cached once read (they never change). */
export class ObjectStoreRoundLog implements RoundLog {
  readonly #store: ObjectStore;
  readonly #rounds = new Map<string, WatermarkRound>();

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  async append(round: WatermarkRound): Promise<void> {
    await this.#store.put(roundKey(BigInt(round.lsn)), encode(round));
  }

  async recordCompleteRead(read: CompleteRead): Promise<void> {
    const lsn = String(BigInt(read.lsn)).padStart(20, '0');
    await this.#store.put(`${READS_PREFIX}${lsn}-${read.table}.json`, encode(read));
  }

  async markQuiet(mark: QuietMark): Promise<void> {
    await this.#store.put(QUIET_KEY, encode(mark));
  }

  async read(afterLsn = -1n): Promise<RoundLogContents> {
    const listed = await this.#store.listKeys(ROUND_LOG_PREFIX);
    const rounds: WatermarkRound[] = [];
    for (const key of listed) {
      const match = ROUND_KEY.exec(key);
      if (!match || BigInt(match[1]!) <= afterLsn) continue;
      let round = this.#rounds.get(key);
      if (!round) {
        round = await this.#document<WatermarkRound>(key);
        if (!round) continue; // pruned between the listing and the read
        this.#rounds.set(key, round);
      }
      rounds.push(round);
    }
    // Forget rounds the caller no longer asks for, so a long-running loader's cache stays small.
    for (const key of this.#rounds.keys()) {
      const match = ROUND_KEY.exec(key);
      if (match && BigInt(match[1]!) <= afterLsn) this.#rounds.delete(key);
    }
    const completeReads: CompleteRead[] = [];
    for (const key of await this.#store.listKeys(READS_PREFIX)) {
      const match = READ_KEY.exec(key);
      if (!match || BigInt(match[1]!) <= afterLsn) continue;
      const read = await this.#document<CompleteRead>(key);
      if (read) completeReads.push(read);
    }
    const [quiet, proven] = await Promise.all([
      this.#document<QuietMark>(QUIET_KEY),
      this.#document<{ lsn: string }>(PROVEN_KEY),
    ]);
    return { rounds, completeReads, quiet, provenLsn: proven?.lsn };
  }

  async pruneThrough(lsn: bigint): Promise<void> {
    const proven = await this.#document<{ lsn: string }>(PROVEN_KEY);
    if (proven === undefined || BigInt(proven.lsn) < lsn)
      await this.#store.put(PROVEN_KEY, encode({ lsn: String(lsn) }));
    for (const key of await this.#store.listKeys(ROUND_LOG_PREFIX)) {
      const match = ROUND_KEY.exec(key) ?? READ_KEY.exec(key);
      if (match && BigInt(match[1]!) <= lsn) {
        await this.#store.delete(key);
        this.#rounds.delete(key);
      }
    }
  }

  async #document<T>(key: string): Promise<T | undefined> {
    const body = await this.#store.get(key);
    if (body === undefined) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(body)) as T;
    } catch (error) {
      throw new RoundLogError(
        `The round log object ${key} is not valid JSON. It is written whole by the reader, so it was changed ` +
          'by hand: restore it, or delete it and restart the reader (its next round names every partition again).',
        { cause: error },
      );
    }
  }
}

/** The object key of the round at `lsn`. */
export function roundKey(lsn: bigint): string {
  return `${ROUND_LOG_PREFIX}${String(lsn).padStart(20, '0')}.json`;
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value)}\n`);
}
