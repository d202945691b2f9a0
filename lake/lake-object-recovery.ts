/**
 * @module
 * What the loader's host and compaction do when the lake lost something (README, "An unreadable lake object"),
 * locally and on AWS alike, over the ObjectStore port: a read that fails on one object (lake/unreadable-objects.ts) moves it
 * to `quarantine/`; a round whose partition holds fewer changes than the reader put there (an object deleted
 * while nothing read it, loader/round-records.ts) gets a note there too. Either way the source table that fed
 * it is re-read (the resnapshot mechanism: the re-read rows are newer than anything lost, and a completed
 * re-read deletes what the source no longer holds, loader/complete-reads.ts), it is said once, loudly, counted
 * (`LakeObjectsQuarantined`), and loading goes on.
 */
import { ERROR_OUTPUT_TYPES, parseErrorDocuments } from '../core/error-documents.ts';
import { LAKE_PREFIXES } from '../core/lake-layout.ts';
import { METRICS } from '../core/operations.ts';
import type { Log, LogStage } from '../core/ports/log.ts';
import { type MetricsPublisher, UNPUBLISHED_METRICS } from '../core/ports/metrics.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import type { MissingRecords, WaitingPartition } from '../core/ports/round-log.ts';
import { LAKE_TABLES } from '../core/schema/lake-tables.ts';
import { isMarketLakeTableName } from '../core/schema/market-lake-tables.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import { type QuarantineNote, quarantineObject, unreadableObjectIn } from './unreadable-objects.ts';

/** What the recovery needs. */
export interface LakeObjectRecoveryOptions {
  readonly store: ObjectStore;
  /** Where the query engine sees the bucket: the lake directory locally, `s3://<bucket>` on AWS. */
  readonly root: string;
  /** Asks the reader to re-read source tables (reader/resnapshot-requests.ts over the reader's state store). */
  readonly requestReread: (tables: readonly SourceTableName[]) => Promise<void>;
  readonly log?: Log;
  readonly metrics?: MetricsPublisher;
  /** Who met the object, for the log: the loader's host, or compaction (lake/lake-compaction.ts). @default 'loader' */
  readonly stage?: Extract<LogStage, 'loader' | 'compaction'>;
}

/** Quarantines what the lake lost and has its tables re-read; see the module comment. */
export class LakeObjectRecovery {
  readonly #options: LakeObjectRecoveryOptions;
  readonly #metrics: MetricsPublisher;
  readonly #quarantined: QuarantineNote[] = [];

  constructor(options: LakeObjectRecoveryOptions) {
    this.#options = options;
    this.#metrics = options.metrics ?? UNPUBLISHED_METRICS;
  }

  /** Objects (and short partitions) this process quarantined. */
  get quarantined(): readonly QuarantineNote[] {
    return this.#quarantined;
  }

  /**
   * When `error` names a lake object that cannot be read: quarantines it, requests the re-read of its source
   * table and returns true (the caller tries again at once). False for any other failure.
   */
  async recover(error: unknown): Promise<boolean> {
    const object = unreadableObjectIn(error, this.#options.root);
    // The same object twice means moving it aside did not help: not this module's failure to handle.
    if (object === undefined || this.#quarantined.some((done) => done.key === object.key)) return false;
    const note = await quarantineObject(this.#options.store, object);
    await this.#reread(note, `a lake object could not be read (${object.kind}); it was moved to quarantine/`);
    return true;
  }

  /**
   * Notes each partition that holds fewer changes than its round promised and has its table re-read, unless
   * what is missing went to the error location (a record the transformation refused is not in the lake) or an
   * object of that partition was quarantined already. Returns how many it noted.
   */
  async recoverMissing(missing: readonly MissingRecords[]): Promise<number> {
    let noted = 0;
    for (const short of missing) {
      const partition = `${short.table}/dt=${short.dt}/`;
      if (this.#quarantined.some((done) => done.key.startsWith(partition))) continue;
      const failed = await this.#failedRecords(short);
      if (short.found + failed >= short.expected) continue;
      const note = await quarantineObject(this.#options.store, {
        key: `${partition}round-${short.roundLsn}`,
        table: short.table,
        kind: 'missing',
        reason:
          `round ${short.roundLsn} put ${short.expected} change(s) into ${partition} and the lake holds ` +
          `${short.found}${failed > 0 ? ` (${failed} more under errors/)` : ''}: an object is gone`,
      });
      await this.#reread(
        note,
        'a lake partition holds fewer changes than the reader put there (an object is gone)',
      );
      noted++;
    }
    return noted;
  }

  /**
   * Notes each partition whose watermark a round waits for although its delivery stream has delivered all it
   * accepted (the caller knows; locally the Firehose's backlog): the object that held it is gone, and a day
   * that is over gets no later one. Its table is re-read, and the cut passes the round below that read
   * (loader/consistent-cut.ts). A partition noted before is not noted again. Returns how many it noted.
   */
  async recoverLostWatermarks(waiting: readonly WaitingPartition[]): Promise<number> {
    let noted = 0;
    for (const partition of waiting) {
      const prefix = `${partition.table}/dt=${partition.dt}/`;
      if (this.#quarantined.some((done) => done.key.startsWith(prefix))) continue;
      const note = await quarantineObject(this.#options.store, {
        key: `${prefix}round-${partition.roundLsn}`,
        table: partition.table,
        kind: 'missing',
        reason:
          `round ${partition.roundLsn} waits for a watermark in ${prefix} and its delivery stream has ` +
          'delivered everything it accepted: the object that held it is gone',
      });
      await this.#reread(note, 'a lake partition lost the watermark its round waits for (an object is gone)');
      noted++;
    }
    return noted;
  }

  async #reread(note: QuarantineNote, message: string): Promise<void> {
    // A market table's observations have no source table: a collector's next fetch of that day brings them back.
    const source = isMarketLakeTableName(note.table) ? undefined : LAKE_TABLES[note.table].source;
    if (source !== undefined) await this.#options.requestReread([source]);
    this.#quarantined.push(note);
    this.#metrics.publish([{ name: METRICS.lake.objectsQuarantined, unit: 'Count', value: 1 }]);
    const then =
      source === undefined
        ? `its observations are not in the lake until ${note.table}'s collector fetches that day again (\`collect\`)`
        : `table ${source} is re-read from the source`;
    this.#options.log?.error(`${message}; ${then}`, {
      stage: this.#options.stage ?? 'loader',
      table: note.table,
      object: note.key,
      reason: note.reason,
    });
  }

  /** Distinct changes of the short partition's range that the error location holds (any error type). */
  async #failedRecords(short: MissingRecords): Promise<number> {
    const above = BigInt(short.afterLsn);
    const upTo = BigInt(short.roundLsn);
    const seen = new Set<string>();
    for (const { key } of await this.#options.store.list(`${LAKE_PREFIXES.errors}${short.table}/`)) {
      if (!Object.values(ERROR_OUTPUT_TYPES).some((type) => key.includes(`/${type}/`))) continue;
      const body = await this.#options.store.get(key);
      if (body === undefined) continue;
      let documents: ReturnType<typeof parseErrorDocuments>;
      try {
        documents = parseErrorDocuments(body);
      } catch {
        continue; // not an error object this module can read; `errors list` names it
      }
      for (const document of documents) {
        for (const change of changesOf(document.rawData)) {
          if (!change.commitTs.startsWith(short.dt)) continue;
          if (change.lsn > above && change.lsn <= upTo) seen.add(`${change.lsn}|${change.seq}`);
        }
      }
    }
    return seen.size;
  }
}

/**
 * The LSN, position and commit time of each change in a failed record: a record the reader packed holds one
 * change event per line (or lake rows, `_lsn`, …), and every one of them failed with it. Lines that cannot be
 * read are left out.
 */
function changesOf(raw: Uint8Array | undefined): { lsn: bigint; seq: string; commitTs: string }[] {
  if (raw === undefined) return [];
  const changes: { lsn: bigint; seq: string; commitTs: string }[] = [];
  for (const line of Buffer.from(raw).toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      const lsn = record.lsn ?? record._lsn;
      const commitTs = record.commit_ts ?? record._commit_ts;
      if ((typeof lsn !== 'string' && typeof lsn !== 'number') || typeof commitTs !== 'string') continue;
      changes.push({ lsn: BigInt(lsn), seq: String(record.seq ?? record._seq ?? 0), commitTs });
    } catch {
      // not a change: nothing of it is counted
    }
  }
  return changes;
}
