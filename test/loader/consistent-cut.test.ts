import { describe, expect, it } from 'vitest';
import type { RoundLogContents, WatermarkRound } from '../../core/ports/round-log.ts';
import { partitionId, pendingRounds, provenCut, waitingPartitions } from '../../loader/consistent-cut.ts';

const round = (
  lsn: number,
  previous: number | null,
  partitions: WatermarkRound['partitions'],
  emittedAt = `2026-01-02T00:00:0${lsn % 10}.000Z`,
): WatermarkRound => ({
  lsn: String(lsn),
  previousLsn: previous === null ? null : String(previous),
  emittedAt,
  partitions,
});

const contents = (rounds: WatermarkRound[], extra: Partial<RoundLogContents> = {}): RoundLogContents => ({
  rounds,
  completeReads: [],
  quiet: undefined,
  provenLsn: undefined,
  ...extra,
});

/** Watermarks found in the lake: `table|dt` -> LSN. */
const found = (entries: Record<string, number>) =>
  new Map(Object.entries(entries).map(([id, lsn]) => [id, BigInt(lsn)]));

describe('the consistent cut from watermark rounds', () => {
  it('stops at a round one of whose partitions lacks its watermark, even when later rounds are complete', () => {
    // Round 200 named two days of sales orders; only the later day's watermark has landed.
    const log = contents([
      round(200, 100, { fact_sales_order: ['2026-01-01', '2026-01-02'] }),
      round(300, 200, { dim_currency: ['2026-01-02'] }),
    ]);
    const cut = provenCut(
      pendingRounds(100n, log),
      found({ 'fact_sales_order|2026-01-02': 200, 'dim_currency|2026-01-02': 300 }),
    );
    expect(cut.lsn).toBeNull();
    expect(cut.waitingFor?.tables).toEqual(['fact_sales_order']);
  });

  it('moves to the newest of an unbroken run of complete rounds, and says which tables changed from which day', () => {
    const log = contents([
      round(200, 100, { fact_sales_order: ['2026-01-01', '2026-01-02'] }),
      round(300, 200, { dim_currency: ['2026-01-02'] }),
      round(400, 300, { fact_payment: ['2026-01-02'] }),
    ]);
    const cut = provenCut(
      pendingRounds(100n, log),
      found({
        [partitionId('fact_sales_order', '2026-01-01')]: 200,
        [partitionId('fact_sales_order', '2026-01-02')]: 300,
        [partitionId('dim_currency', '2026-01-02')]: 300,
      }),
    );
    expect(cut.lsn).toBe(300n);
    expect(Object.fromEntries(cut.changedFrom)).toEqual({
      fact_sales_order: '2026-01-01',
      dim_currency: '2026-01-02',
    });
    expect(cut.waitingFor?.round.lsn).toBe('400');
  });

  it('waits for a round whose predecessor it has not seen (its record not visible yet)', () => {
    const log = contents([round(300, 200, { dim_currency: ['2026-01-02'] })]);
    const cut = provenCut(pendingRounds(100n, log), found({ 'dim_currency|2026-01-02': 300 }));
    expect(cut.lsn).toBeNull();
  });

  it('follows a quiet mark only once the round it follows is complete', () => {
    const quiet = { lsn: '900', afterRoundLsn: '200', emittedAt: '2026-01-02T00:01:00.000Z' };
    const log = contents([round(200, 100, { dim_design: ['2026-01-02'] })], { quiet });
    expect(provenCut(pendingRounds(100n, log), found({})).lsn).toBeNull();
    expect(provenCut(pendingRounds(100n, log), found({ 'dim_design|2026-01-02': 250 })).lsn).toBe(900n);
    // A quiet mark after a round this run has not seen cannot be used.
    const unseen = contents([], { quiet: { ...quiet, afterRoundLsn: '500' } });
    expect(provenCut(pendingRounds(200n, unseen), found({})).lsn).toBeNull();
  });

  it('reports per table how far it is proven and when, for lake lag: a waiting partition holds only its table', () => {
    const log = contents([
      round(100, null, { dim_design: ['2026-01-02'] }, '2026-01-02T00:00:00.000Z'),
      round(200, 100, { fact_payment: ['2026-01-02'] }, '2026-01-02T00:01:00.000Z'),
      round(300, 200, { dim_design: ['2026-01-02'] }, '2026-01-02T00:02:00.000Z'),
    ]);
    const cut = provenCut(pendingRounds(100n, log), found({ 'dim_design|2026-01-02': 300 }));
    expect(cut.lsn).toBeNull();
    const lake = Object.fromEntries(cut.lake.map((w) => [w.table, w]));
    expect(lake['fact_payment']).toMatchObject({ lsn: '100', emittedAt: '2026-01-02 00:00:00.000' });
    expect(lake['dim_design']).toMatchObject({ lsn: '300', emittedAt: '2026-01-02 00:02:00.000' });
    expect(lake['dim_currency']).toMatchObject({ lsn: '300', newestChangeLsn: null });
  });

  it('treats rounds pruned above the cut as proven, with every table possibly changed', () => {
    const log = contents([], { provenLsn: '500' });
    const cut = provenCut(pendingRounds(100n, log), found({}));
    expect(cut.lsn).toBe(500n);
    expect(cut.changedFrom.size).toBe(11);
  });

  describe('a partition whose object was quarantined (its newest watermark gone with it)', () => {
    // Round 200 named yesterday's sales orders; the object holding that partition's watermark at 200 was
    // quarantined, and yesterday receives no more changes. The table was re-read at 250 into today.
    const lostDay = 'fact_sales_order|2026-01-01';
    const reread = {
      table: 'fact_sales_order',
      lsn: '250',
      commitTs: '2026-01-02T00:00:05.000Z',
      rows: 3,
    } as const;
    const rounds = [
      round(200, 100, { fact_sales_order: ['2026-01-01'], dim_currency: ['2026-01-02'] }),
      round(300, 200, { fact_sales_order: ['2026-01-02'] }),
    ];
    const delivered = { 'fact_sales_order|2026-01-01': 150, 'dim_currency|2026-01-02': 200 };

    it('is passed once the re-read of its table above the round is proven, in the same cut', () => {
      const log = contents(rounds, { completeReads: [reread] });
      const cut = provenCut(
        pendingRounds(100n, log),
        found({ ...delivered, 'fact_sales_order|2026-01-02': 300 }),
        new Set([lostDay]),
      );
      expect(cut.lsn).toBe(300n);
      expect(cut.covered.map((r) => r.lsn)).toEqual(['200', '300']);
      expect(cut.changedFrom.get('fact_sales_order')).toBe('2026-01-01');
    });

    it('holds the cut below it while the re-read is not proven yet', () => {
      const log = contents(rounds, { completeReads: [reread] });
      const cut = provenCut(pendingRounds(100n, log), found(delivered), new Set([lostDay]));
      expect(cut.lsn).toBeNull();
      expect(cut.covered).toEqual([]);
      expect(cut.waitingFor?.round.lsn).toBe('200');
    });

    it('waits without a re-read above the round, and for a partition that is only late, whatever was re-read', () => {
      const proven = found({ ...delivered, 'fact_sales_order|2026-01-02': 300 });
      const atTheRound = { ...reread, lsn: '200' };
      // No re-read yet, or one whose rows a round at 200 would itself have to prove.
      for (const completeReads of [[], [atTheRound]]) {
        const cut = provenCut(
          pendingRounds(100n, contents(rounds, { completeReads })),
          proven,
          new Set([lostDay]),
        );
        expect(cut.lsn).toBeNull();
        expect(cut.waitingFor?.tables).toEqual(['fact_sales_order']);
      }
      // Not quarantined: its watermark may still be on its way (Firehose retries a delivery for up to a day),
      // and its changes are history the re-read does not replace.
      const cut = provenCut(pendingRounds(100n, contents(rounds, { completeReads: [reread] })), proven);
      expect(cut.lsn).toBeNull();
      expect(cut.waitingFor?.tables).toEqual(['fact_sales_order']);
    });
  });
});

describe('the partitions the cut waits for', () => {
  it('are those of the first waiting round without its watermark, lost ones left out', () => {
    const log = contents([
      round(200, 100, { fact_sales_order: ['2026-01-01', '2026-01-02'], dim_staff: ['2026-01-02'] }),
      round(300, 200, { dim_currency: ['2026-01-02'] }),
    ]);
    const pending = pendingRounds(100n, log);
    const watermarks = found({ 'fact_sales_order|2026-01-02': 200 });
    const cut = provenCut(pending, watermarks);
    expect(waitingPartitions(cut, watermarks)).toEqual([
      { table: 'fact_sales_order', dt: '2026-01-01', roundLsn: '200', emittedAt: '2026-01-02T00:00:00.000Z' },
      { table: 'dim_staff', dt: '2026-01-02', roundLsn: '200', emittedAt: '2026-01-02T00:00:00.000Z' },
    ]);
    const lost = new Set(['dim_staff|2026-01-02']);
    expect(waitingPartitions(provenCut(pending, watermarks, lost), watermarks, lost)).toEqual([
      { table: 'fact_sales_order', dt: '2026-01-01', roundLsn: '200', emittedAt: '2026-01-02T00:00:00.000Z' },
    ]);
  });

  it('are none when the cut waits for nothing', () => {
    const log = contents([round(200, 100, { dim_currency: ['2026-01-02'] })]);
    const watermarks = found({ 'dim_currency|2026-01-02': 200 });
    expect(waitingPartitions(provenCut(pendingRounds(100n, log), watermarks), watermarks)).toEqual([]);
  });
});
