/**
 * @module
 * The RoundLog contract (core/ports/round-log.ts) as a test suite every implementation runs: one test per
 * clause of the port's TSDoc (durability, order, quiet mark, pruning).
 */
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import type { CompleteRead, RoundLog, WatermarkRound } from '../../core/ports/round-log.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { CrashingObjectStore } from '../support/crashing-object-store.ts';

/** One log under test, with the ways the contract's clauses need to reach its storage. */
export interface RoundLogUnderTest {
  readonly log: RoundLog;
  /** The same log as a restarted process opens it: a new instance over the same durable storage. */
  reopen(): RoundLog;
  /** The same log over storage that crashes after `allowed` more writes (puts and removals together). */
  crashingAfter(allowed: number): RoundLog;
}

/** An ObjectStoreRoundLog over `open()`'s storage; `open` gives a new store over the same storage each call. */
export function roundLogOver(open: () => ObjectStore): RoundLogUnderTest {
  return {
    log: new ObjectStoreRoundLog(open()),
    reopen: () => new ObjectStoreRoundLog(open()),
    crashingAfter: (allowed) => new ObjectStoreRoundLog(new CrashingObjectStore(open(), allowed)),
  };
}

/** The largest LSN PostgreSQL can give (20 digits), so ordering is checked across digit counts. */
const MAX_LSN = 18_446_744_073_709_551_615n;

function round(lsn: bigint, previousLsn: bigint | null): WatermarkRound {
  return {
    lsn: String(lsn),
    previousLsn: previousLsn === null ? null : String(previousLsn),
    emittedAt: '2026-12-01T19:00:00.123Z',
    partitions: { fact_payment: ['2026-11-30', '2026-12-01'], dim_staff: ['2026-12-01'] },
  };
}

function completeRead(table: CompleteRead['table'], lsn: bigint): CompleteRead {
  return { table, lsn: String(lsn), commitTs: '2026-12-01T18:59:59.250Z', rows: 3 };
}

/** Rounds at 9, 10, 100 and the largest LSN, each naming its predecessor, appended in LSN order. */
async function appendRounds(log: RoundLog): Promise<WatermarkRound[]> {
  const rounds = [round(9n, null), round(10n, 9n), round(100n, 10n), round(MAX_LSN, 100n)];
  for (const each of rounds) await log.append(each);
  return rounds;
}

/** Runs the contract against logs from `fresh`, which returns an empty log each call. */
export function describeRoundLogContract(name: string, fresh: () => Promise<RoundLogUnderTest>): void {
  describe(`${name} (RoundLog contract)`, () => {
    it('reads no rounds, no quiet mark and no proven LSN before anything is recorded', async () => {
      const { log } = await fresh();
      expect(await log.read()).toEqual({
        rounds: [],
        completeReads: [],
        quiet: undefined,
        provenLsn: undefined,
      });
    });

    it('durability: a log opened after a restart reads every appended round and the quiet mark exactly', async () => {
      const subject = await fresh();
      const rounds = await appendRounds(subject.log);
      const mark = {
        lsn: String(MAX_LSN),
        afterRoundLsn: String(MAX_LSN),
        emittedAt: '2026-12-01T19:00:01.000Z',
      };
      await subject.log.markQuiet(mark);

      const read = await subject.reopen().read();

      expect(read).toEqual({ rounds, completeReads: [], quiet: mark, provenLsn: undefined });
    });

    it('order: rounds come back sorted by LSN across digit counts, only those above afterLsn', async () => {
      const subject = await fresh();
      const rounds = await appendRounds(subject.log);

      const all = await subject.log.read();
      const after10 = await subject.log.read(10n);
      const afterNone = await subject.reopen().read(MAX_LSN);

      expect(all.rounds.map((r) => r.lsn)).toEqual(['9', '10', '100', String(MAX_LSN)]);
      expect(after10.rounds).toEqual(rounds.slice(2));
      expect(afterNone.rounds).toEqual([]);
    });

    it('order: a round keeps the previousLsn a reader checks for a round it has not seen yet', async () => {
      const subject = await fresh();
      await subject.log.append(round(10n, null));
      await subject.log.append(round(30n, 20n));
      const { rounds } = await subject.log.read(10n);
      expect(rounds).toEqual([round(30n, 20n)]);
      expect(rounds[0]?.previousLsn).toBe('20');
    });

    it('complete reads: durable once recorded, one per read recorded twice, in LSN order above afterLsn', async () => {
      const subject = await fresh();
      await subject.log.recordCompleteRead(completeRead('fact_payment', MAX_LSN));
      await subject.log.recordCompleteRead(completeRead('fact_sales_order', 150n));
      await subject.log.recordCompleteRead(completeRead('dim_staff', 150n));
      await subject.log.recordCompleteRead(completeRead('fact_payment', MAX_LSN));
      await subject.log.recordCompleteRead(completeRead('dim_staff', 9n));

      const all = await subject.reopen().read();
      const above150 = await subject.reopen().read(150n);

      expect(all.completeReads.map((r) => [r.lsn, r.table])).toEqual([
        ['9', 'dim_staff'],
        ['150', 'dim_staff'],
        ['150', 'fact_sales_order'],
        [String(MAX_LSN), 'fact_payment'],
      ]);
      expect(all.completeReads[0]).toEqual(completeRead('dim_staff', 9n));
      expect(above150.completeReads).toEqual([completeRead('fact_payment', MAX_LSN)]);
    });

    it('quiet mark: one document replaced whole, so a reader sees the newest mark', async () => {
      const subject = await fresh();
      await subject.log.markQuiet({ lsn: '50', afterRoundLsn: null, emittedAt: '2026-12-01T19:00:00.000Z' });
      const newest = { lsn: '70', afterRoundLsn: '10', emittedAt: '2026-12-01T19:00:05.000Z' };
      await subject.log.append(round(10n, null));
      await subject.log.markQuiet(newest);
      expect((await subject.reopen().read()).quiet).toEqual(newest);
    });

    it('pruning removes the rounds and complete reads at or below the LSN, keeps those above and records the LSN as proven', async () => {
      const subject = await fresh();
      const rounds = await appendRounds(subject.log);

      await subject.log.recordCompleteRead(completeRead('dim_staff', 10n));
      await subject.log.recordCompleteRead(completeRead('dim_staff', 100n));
      await subject.log.pruneThrough(10n);

      expect(await subject.reopen().read()).toEqual({
        rounds: rounds.slice(2),
        completeReads: [completeRead('dim_staff', 100n)],
        quiet: undefined,
        provenLsn: '10',
      });
      expect((await subject.log.read()).rounds).toEqual(rounds.slice(2));
    });

    it('pruning never lowers the proven LSN', async () => {
      const subject = await fresh();
      await appendRounds(subject.log);
      await subject.log.pruneThrough(100n);
      await subject.log.pruneThrough(10n);
      expect((await subject.reopen().read()).provenLsn).toBe('100');
    });

    it('pruning that crashes at any write leaves extra rounds and reads, never a gap above the proven LSN', async () => {
      let crashes = 0;
      const reads = [
        completeRead('dim_staff', 10n),
        completeRead('dim_staff', 100n),
        completeRead('dim_staff', MAX_LSN),
      ];
      for (let allowed = 0; allowed <= 5; allowed++) {
        const subject = await fresh();
        const rounds = await appendRounds(subject.log);
        for (const each of reads) await subject.log.recordCompleteRead(each);
        await subject.log.pruneThrough(9n);

        const crashed = await subject
          .crashingAfter(allowed)
          .pruneThrough(100n)
          .then(
            () => false,
            () => true,
          );

        if (crashed) crashes++;
        const { rounds: left, completeReads, provenLsn } = await subject.reopen().read();
        const proven = BigInt(provenLsn ?? -1);
        expect(['9', '100']).toContain(provenLsn);
        // Every round above the proven LSN is still there: a loader resumes from the proven LSN with no gap.
        expect(completeReads.filter((r) => BigInt(r.lsn) > proven)).toEqual(
          reads.filter((r) => BigInt(r.lsn) > proven),
        );
        expect(left.filter((r) => BigInt(r.lsn) > proven)).toEqual(
          rounds.filter((r) => BigInt(r.lsn) > proven),
        );
      }
      expect(crashes, 'crash points that interrupted the prune').toBeGreaterThan(0);
    });
  });
}
