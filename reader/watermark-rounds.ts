/**
 * @module
 * Watermark rounds: the reader's ChangeStream wrapped so that it knows which lake partitions received changes,
 * and puts watermarks only there (see core/ports/round-log.ts for why a watermark proves only its partition).
 *
 * Every put notes the `(lake table, dt)` partitions of its events with their LSN range. A round at LSN `L`
 * puts a watermark at `L` into every noted partition holding an event at or below `L`, then records the round
 * in the round log, then forgets what the round covered. With nothing noted, a round only replaces the quiet
 * mark (no lake object), and an idle source writes nothing to the lake at all.
 *
 * What survives a crash: puts that were acknowledged but never covered by a recorded round are not sent
 * again by the next reader (the slot moved past them), so their partitions must not be forgotten. Before a put
 * resolves, the range of days noted since the last round is durable in the StateStore (one write when a round
 * opens, or when a put reaches a day outside the range); a reader that finds such an open range starts with a
 * full round: a watermark into every lake table for every day of the range.
 */
import { type ChangeEvent, commitDate } from '../core/change-event.ts';
import { type Lsn, lsnToDecimal } from '../core/lsn.ts';
import type { ChangeStream, PutReport } from '../core/ports/change-stream.ts';
import type { RoundLog, WatermarkRound } from '../core/ports/round-log.ts';
import { type StateStore, stateKey } from '../core/ports/state-store.ts';
import {
  LAKE_TABLE_NAMES,
  LAKE_TABLES,
  type LakeTableName,
  lakeTableForSource,
} from '../core/schema/lake-tables.ts';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';

/** What the StateStore keeps between runs. */
export interface RoundsState {
  /** The newest round recorded in the round log (decimal LSN), or null before the first. */
  readonly lastRoundLsn: string | null;
  /** Days of changes put since the last round and not yet covered by one, or null when none. */
  readonly open: { readonly fromDt: string; readonly toDt: string } | null;
}

/** StateStore key of the rounds' durable state. */
export const ROUNDS_STATE_KEY = stateKey<RoundsState>('reader/rounds');

/** What a round did. */
export type RoundOutcome = 'round' | 'quiet' | 'nothing';

/** Options of {@link WatermarkRounds}. */
export interface WatermarkRoundsOptions {
  readonly stream: ChangeStream;
  readonly stateStore: StateStore;
  /**
   * Where rounds are recorded. Without one (a consumer that reads no round log), every round puts a watermark
   * into every stream as well, quiet periods included, as one watermark per stream per round.
   */
  readonly roundLog?: RoundLog;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** A partition that received changes not yet covered by a round. */
interface NotedPartition {
  readonly source: SourceTableName;
  readonly table: LakeTableName;
  readonly dt: string;
  minLsn: bigint;
  maxLsn: bigint;
  /**
   * Per commit LSN, the changes put into the partition: how many distinct ones, and the newest position seen.
   * A transaction sent again (after a reconnect) starts over at a lower position, so it is not counted twice.
   */
  readonly records: Map<bigint, { count: number; lastSeq: number }>;
}

/** The ChangeStream the reader puts into, with rounds on top; see the module comment. */
export class WatermarkRounds implements ChangeStream {
  readonly #stream: ChangeStream;
  readonly #state: StateStore;
  readonly #log: RoundLog | undefined;
  readonly #now: () => Date;
  readonly #noted = new Map<string, NotedPartition>();
  #lastRoundLsn: bigint | null = null;
  #lastQuietLsn = -1n;
  /** The days durably recorded as open (what a crash would leave to the next reader). */
  #open: { fromDt: string; toDt: string } | null = null;
  /** A full round owed to a crashed predecessor: every table, every day of this range. */
  #owed: { fromDt: string; toDt: string } | null = null;
  /** The state write under way (updates are serialised). */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: WatermarkRoundsOptions) {
    this.#stream = options.stream;
    this.#state = options.stateStore;
    this.#log = options.roundLog;
    this.#now = options.now ?? (() => new Date());
  }

  /** Reads the state a previous run left; an open range there becomes a full round owed by this run. */
  async start(): Promise<void> {
    const state = await this.#state.get(ROUNDS_STATE_KEY);
    this.#lastRoundLsn = state?.lastRoundLsn == null ? null : BigInt(state.lastRoundLsn);
    this.#open = state?.open ?? null;
    this.#owed = this.#open;
  }

  // Not async: a put that throws at once (before anything was sent) still throws at once to the caller.
  put(events: readonly ChangeEvent[]): Promise<PutReport> {
    let fromDt: string | undefined;
    let toDt: string | undefined;
    for (const event of events) {
      if (event.op === 'w') continue;
      const dt = commitDate(event);
      const lsn = BigInt(event.lsn);
      const table = lakeTableForSource(event.table).name;
      const id = `${table}|${dt}`;
      let noted = this.#noted.get(id);
      if (noted) {
        if (lsn < noted.minLsn) noted.minLsn = lsn;
        if (lsn > noted.maxLsn) noted.maxLsn = lsn;
      } else {
        noted = { source: event.table, table, dt, minLsn: lsn, maxLsn: lsn, records: new Map() };
        this.#noted.set(id, noted);
      }
      const records = noted.records.get(lsn);
      if (!records) noted.records.set(lsn, { count: 1, lastSeq: event.seq });
      else if (event.seq > records.lastSeq) {
        records.count += 1;
        records.lastSeq = event.seq;
      }
      if (fromDt === undefined || dt < fromDt) fromDt = dt;
      if (toDt === undefined || dt > toDt) toDt = dt;
    }
    if (fromDt === undefined || toDt === undefined) return this.#stream.put(events);
    const open = this.#open;
    if (open && open.fromDt <= fromDt && open.toDt >= toDt) return this.#stream.put(events);
    // The open range must be durable before the put can be acknowledged: both run at once.
    const widened = this.#widenOpen(fromDt, toDt);
    return this.#stream.put(events).then((report) => widened.then(() => report));
  }

  close(): Promise<void> {
    return this.#stream.close();
  }

  /**
   * Closes a round at `lsn` (every change at or below it accepted): watermarks into the partitions it covers,
   * the round recorded, then what it covered forgotten; with nothing to cover, the quiet mark moves to `lsn`.
   */
  async closeRound(lsn: Lsn): Promise<RoundOutcome> {
    const covered = [...this.#noted.values()].filter((noted) => noted.minLsn <= lsn);
    const partitions = new Map<LakeTableName, Set<string>>();
    const add = (table: LakeTableName, dt: string) => {
      const days = partitions.get(table) ?? new Set<string>();
      days.add(dt);
      partitions.set(table, days);
    };
    const records: Partial<Record<LakeTableName, Record<string, number>>> = {};
    for (const noted of covered) {
      add(noted.table, noted.dt);
      let count = 0;
      for (const [at, put] of noted.records) {
        if (at > lsn) continue;
        // Only changes above the previous round belong to this one (the loader counts that range).
        if (this.#lastRoundLsn === null || at > this.#lastRoundLsn) count += put.count;
        noted.records.delete(at);
      }
      records[noted.table] = { ...records[noted.table], [noted.dt]: count };
    }
    const owed = this.#owed;
    if (owed) for (const table of LAKE_TABLE_NAMES) for (const dt of days(owed)) add(table, dt);
    const emittedAt = this.#now().toISOString();
    // Without a round log the watermarks themselves are the only sign of progress: every round puts them.
    if (partitions.size === 0 && this.#log) return this.#markQuiet(lsn, emittedAt);

    const text = lsnToDecimal(lsn);
    const watermarks: ChangeEvent[] = [];
    for (const [table, dts] of partitions)
      for (const dt of dts) watermarks.push(watermark(LAKE_TABLES[table].source, text, emittedAt, dt));
    // A consumer without a round log reads a watermark in every stream as before: one per stream, so a stream
    // whose partitions already got theirs gets no second one.
    if (!this.#log)
      for (const source of SOURCE_TABLE_NAMES)
        if (!partitions.has(lakeTableForSource(source).name))
          watermarks.push(watermark(source, text, emittedAt, undefined));
    await this.#stream.put(watermarks);
    const round: WatermarkRound = {
      lsn: text,
      previousLsn: this.#lastRoundLsn === null ? null : lsnToDecimal(this.#lastRoundLsn),
      emittedAt,
      partitions: Object.fromEntries([...partitions].map(([table, dts]) => [table, [...dts].sort()])),
      records,
    };
    await this.#log?.append(round);
    this.#lastRoundLsn = lsn;
    this.#owed = null;
    for (const noted of covered) if (noted.maxLsn <= lsn) this.#noted.delete(`${noted.table}|${noted.dt}`);
    await this.#serialised(() => {
      this.#open = this.#remainingRange();
      return this.#saveState();
    });
    return 'round';
  }

  async #markQuiet(lsn: Lsn, emittedAt: string): Promise<RoundOutcome> {
    // Quiet only when nothing at all is noted: a change above `lsn` may still be in flight.
    if (!this.#log || this.#noted.size > 0 || lsn <= this.#lastQuietLsn) return 'nothing';
    if (this.#lastRoundLsn !== null && lsn <= this.#lastRoundLsn) return 'nothing';
    await this.#log.markQuiet({
      lsn: lsnToDecimal(lsn),
      afterRoundLsn: this.#lastRoundLsn === null ? null : lsnToDecimal(this.#lastRoundLsn),
      emittedAt,
    });
    this.#lastQuietLsn = lsn;
    return 'quiet';
  }

  /** Makes the open range cover [fromDt, toDt] durably (writes only when it grows). */
  #widenOpen(fromDt: string, toDt: string): Promise<void> {
    return this.#serialised(async () => {
      const open = this.#open;
      if (open && open.fromDt <= fromDt && open.toDt >= toDt) return;
      this.#open = {
        fromDt: open && open.fromDt < fromDt ? open.fromDt : fromDt,
        toDt: open && open.toDt > toDt ? open.toDt : toDt,
      };
      await this.#saveState();
    });
  }

  /** Runs state updates one after another, so a smaller range never overwrites a larger one written later. */
  #serialised(update: () => Promise<void>): Promise<void> {
    const next = this.#writing.catch(() => undefined).then(update);
    this.#writing = next;
    return next;
  }

  #remainingRange(): { fromDt: string; toDt: string } | null {
    const dts = [...this.#noted.values()].map((noted) => noted.dt).sort();
    return dts.length === 0 ? null : { fromDt: dts[0]!, toDt: dts[dts.length - 1]! };
  }

  #saveState(): Promise<void> {
    const state: RoundsState = {
      lastRoundLsn: this.#lastRoundLsn === null ? null : lsnToDecimal(this.#lastRoundLsn),
      open: this.#open,
    };
    return this.#state.put(ROUNDS_STATE_KEY, state);
  }
}

function watermark(
  table: SourceTableName,
  lsn: string,
  emittedAt: string,
  dt: string | undefined,
): ChangeEvent {
  const event = { table, op: 'w', key: {}, row: null, lsn, seq: 0, xid: null, commit_ts: emittedAt } as const;
  return dt === undefined ? event : { ...event, dt };
}

/** Every UTC day from `fromDt` to `toDt`, both included. */
function days(range: { readonly fromDt: string; readonly toDt: string }): string[] {
  const result: string[] = [];
  for (let day = Date.parse(`${range.fromDt}T00:00:00Z`); ; day += 86_400_000) {
    const dt = new Date(day).toISOString().slice(0, 10);
    if (dt > range.toDt) break;
    result.push(dt);
  }
  return result;
}
