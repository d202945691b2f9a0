import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../../core/ports/object-store.ts';
import { LAKE_TABLES, lakeColumns } from '../../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLES } from '../../core/schema/market-lake-tables.ts';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import {
  COMPACTION_PLAN_KEY,
  compactLake,
  deleteReplacedObjects,
  planCompaction,
} from '../../lake/lake-compaction.ts';
import { LakeObjectRecovery } from '../../lake/lake-object-recovery.ts';
import { LakeParquetReadError } from '../../lake/lake-parquet-reader.ts';
import { type LakeRow, parseJsonRow } from '../../lake/lake-value.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';
import { quarantineNotes } from '../../lake/unreadable-objects.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { CrashingObjectStore } from '../support/crashing-object-store.ts';
import { paymentVersion } from '../support/lake-payments.ts';

const payment = LAKE_TABLES.fact_payment;
const PARTITION = 'fact_payment/dt=2026-11-30/';

/** A payment version at `lsn` with exact edge values: cents, a timestamp's milliseconds, a NULL. */
const version = (id: number, lsn: bigint, op = 'u'): LakeRow => paymentVersion(id, lsn, op);

function watermark(lsn: bigint): LakeRow {
  return { _op: 'w', _lsn: lsn, _seq: 0, _commit_ts: BigInt(Date.UTC(2026, 10, 30, 12)) };
}

let dir: string;
let store: FsObjectStore;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'compaction-'));
  store = new FsObjectStore(dir, 'lake');
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});

afterEach(async () => {
  duck.closeSync();
  await rm(dir, { recursive: true, force: true });
});

/** Ten small Firehose-like objects: a change and a watermark each, LSNs 10..100. */
async function landSmallObjects(count = 10): Promise<void> {
  for (let n = 1; n <= count; n++) {
    const lsn = BigInt(n * 10);
    await store.put(
      `${PARTITION}totesys-fact_payment-${String(n).padStart(4, '0')}.parquet`,
      writeLakeParquet(payment, [version(n, lsn), watermark(lsn)]),
    );
  }
}

/** Every row of the partition as DuckDB (an independent reader) reads it, one string per distinct row. */
async function partitionRows(): Promise<string[]> {
  const files = (await store.list(PARTITION)).filter((o) => o.key.endsWith('.parquet'));
  if (files.length === 0) return [];
  const list = files.map((o) => `'${store.localPath(o.key)}'`).join(', ');
  const reader = await duck.runAndReadAll(
    `SELECT DISTINCT CAST(payment_id AS VARCHAR) || '|' || coalesce(CAST(payment_amount AS VARCHAR), '-') || '|' ||
       coalesce(CAST(payment_date AS VARCHAR), '-') || '|' || CAST(_commit_ts AS VARCHAR) || '|' || _op || '|' ||
       CAST(_lsn AS VARCHAR) || '|' || CAST(paid AS VARCHAR) AS line
     FROM read_parquet([${list}]) WHERE _op <> 'w' ORDER BY line`,
  );
  return reader.getRowsJson().map((row) => String(row[0]));
}

async function watermarkLsns(): Promise<string[]> {
  const files = (await store.list(PARTITION)).filter((o) => o.key.endsWith('.parquet'));
  const list = files.map((o) => `'${store.localPath(o.key)}'`).join(', ');
  const reader = await duck.runAndReadAll(
    `SELECT DISTINCT CAST(_lsn AS VARCHAR) FROM read_parquet([${list}]) WHERE _op = 'w' ORDER BY 1`,
  );
  return reader.getRowsJson().map((row) => String(row[0]));
}

describe('compactLake', () => {
  it('merges the small objects at or below the cut into one, exact values, and deletes them after the grace period', async () => {
    await landSmallObjects();
    const before = await partitionRows();
    const state = new MemoryStateStore();
    let clock = Date.UTC(2026, 11, 1, 12);
    const deps = { store, state, roundLog: new ObjectStoreRoundLog(store), now: () => clock };
    const options = { cutLsn: 70n, graceMs: 60_000, targetObjectBytes: 1 << 20 };

    const first = await compactLake(deps, options);

    expect(first.status).toBe('waiting');
    // During the grace period readers find every row (twice: the loader's dedupe absorbs it).
    expect(await partitionRows()).toEqual(before);
    clock += 60_000;
    const second = await compactLake(deps, options);
    expect(second.objectsDeleted).toBe(7);
    const keys = (await store.list(PARTITION)).map((o: ObjectInfo) => o.key);
    // Objects 1..7 (every row <= 70) became one; 8..10 hold rows above the cut and wait for the loader.
    expect(keys.filter((k) => k.includes('compacted-'))).toHaveLength(1);
    expect(keys.filter((k) => !k.includes('compacted-'))).toHaveLength(3);
    expect(await partitionRows()).toEqual(before);
    // Watermarks the cut already proved are gone; newer ones stay.
    expect(await watermarkLsns()).toEqual(['100', '80', '90']);
    expect(await state.get(COMPACTION_PLAN_KEY)).toBeUndefined();
    // The cut is proven in the lake, so a loader from an empty warehouse never asks for those watermarks.
    expect((await deps.roundLog.read()).provenLsn).toBe('70');
  });

  it('cuts outputs at the target size and leaves a quiet partition alone the next time', async () => {
    await landSmallObjects(12);
    const size = (await store.list(PARTITION))[0]!.size;
    const deps = { store, state: new MemoryStateStore(), roundLog: new ObjectStoreRoundLog(store) };
    const options = { cutLsn: 1000n, graceMs: 0, targetObjectBytes: size * 4.5 };

    const outcome = await compactLake(deps, options);

    expect(outcome.objectsWritten).toBe(3);
    expect((await store.list(PARTITION)).length).toBe(3);
    expect(await partitionRows()).toHaveLength(12);
    // Outputs below half the target merge again on later runs, until the partition is settled.
    let runs = 0;
    while ((await compactLake(deps, options)).status !== 'nothing-to-do') runs++;
    expect(runs).toBeLessThan(3);
    expect(await partitionRows()).toHaveLength(12);
    for (const object of await store.list(PARTITION)) expect(object.size).toBeLessThanOrEqual(size * 4.5);
  });

  it('never loses a row whatever operation a crash interrupts, and the next run finishes the plan', async () => {
    await landSmallObjects();
    const before = await partitionRows();
    // Count the operations of one uninterrupted run, then crash a fresh copy of the lake after each of them.
    const probeDir = await mkdtemp(join(tmpdir(), 'compaction-probe-'));
    try {
      const probe = new FsObjectStore(probeDir, 'lake');
      for (const object of await store.list('')) await probe.put(object.key, (await store.get(object.key))!);
      const probeCounting = new CrashingObjectStore(probe, Number.POSITIVE_INFINITY);
      await compactLake(
        {
          store: probeCounting,
          state: new MemoryStateStore(),
          roundLog: new ObjectStoreRoundLog(probeCounting),
        },
        { cutLsn: 1000n, graceMs: 0, targetObjectBytes: 1 << 20, snapshots: false },
      );
      expect(probeCounting.operations).toBeGreaterThan(10);
      for (let crashAfter = 0; crashAfter < probeCounting.operations; crashAfter++) {
        await rm(join(dir, 'lake'), { recursive: true, force: true });
        await landSmallObjects();
        const state = new MemoryStateStore();
        const crashing = new CrashingObjectStore(store, crashAfter);
        await expect(
          compactLake(
            { store: crashing, state, roundLog: new ObjectStoreRoundLog(crashing) },
            { cutLsn: 1000n, graceMs: 0, targetObjectBytes: 1 << 20, snapshots: false },
          ),
        ).rejects.toThrow('crash');
        // A reader at the moment of the crash finds every row.
        expect(await partitionRows()).toEqual(before);
        await compactLake(
          { store, state, roundLog: new ObjectStoreRoundLog(store) },
          { cutLsn: 1000n, graceMs: 0, targetObjectBytes: 1 << 20, snapshots: false },
        );
        expect(await partitionRows()).toEqual(before);
        expect((await store.list(PARTITION)).length).toBe(1);
      }
    } finally {
      await rm(probeDir, { recursive: true, force: true });
    }
  });
});

describe('compactLake meeting an object it cannot read', () => {
  const third = `${PARTITION}totesys-fact_payment-0003.parquet`;
  /** A recovery as the compaction hosts make it, its re-read requests collected. */
  const recovery = (requested: string[]) =>
    new LakeObjectRecovery({
      store,
      root: store.root,
      stage: 'compaction',
      requestReread: async (tables) => {
        requested.push(...tables);
      },
    });

  it('quarantines a corrupt object, merges the rest of its partition and has the table re-read', async () => {
    await landSmallObjects();
    await store.put(third, Buffer.from('not a parquet file '.repeat(20)));
    const requested: string[] = [];
    const deps = { store, state: new MemoryStateStore(), roundLog: new ObjectStoreRoundLog(store) };
    const options = { cutLsn: 1000n, graceMs: 0, targetObjectBytes: 1 << 20 };
    // Without a recovery the run fails on it, every time (the object stays).
    await expect(compactLake(deps, options)).rejects.toThrow(LakeParquetReadError);

    const outcome = await compactLake({ ...deps, unreadableObjects: recovery(requested) }, options);

    expect(outcome).toMatchObject({ status: 'compacted', quarantined: 1, objectsDeleted: 9 });
    expect(await store.list(PARTITION)).toHaveLength(1);
    expect((await partitionRows()).map((row) => row.split('|')[0]).sort()).toEqual([
      '1',
      '10',
      '2',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
    expect(await quarantineNotes(store)).toEqual([
      expect.objectContaining({ key: third, table: 'fact_payment', kind: 'corrupt' }),
    ]);
    expect((await store.get(`quarantine/${third}`))?.byteLength).toBe(380);
    expect(requested).toEqual(['payment']);
  });

  it('quarantines an input whose pages are damaged after the plan was made, and finishes the plan', async () => {
    await landSmallObjects();
    const deps = { store, state: new MemoryStateStore(), roundLog: new ObjectStoreRoundLog(store) };
    const options = { cutLsn: 1000n, graceMs: 0, targetObjectBytes: 1 << 20 };
    // A run killed after recording its plan; then one input's pages are overwritten, its footer kept.
    await deps.state.put(COMPACTION_PLAN_KEY, await planCompaction(store, options));
    const bytes = Buffer.from((await store.get(third))!);
    bytes.fill(0xff, 4, bytes.length - 8 - bytes.readUInt32LE(bytes.length - 8));
    await store.put(third, bytes);
    const requested: string[] = [];

    const outcome = await compactLake({ ...deps, unreadableObjects: recovery(requested) }, options);

    expect(outcome).toMatchObject({ status: 'compacted', quarantined: 1 });
    expect(await store.list(PARTITION)).toHaveLength(1);
    expect(await partitionRows()).toHaveLength(9);
    expect(await quarantineNotes(store)).toEqual([
      expect.objectContaining({ key: third, kind: 'corrupt', reason: expect.stringMatching(/pages/) }),
    ]);
    expect(requested).toEqual(['payment']);
  });
});

describe('compactLake over the market tables', () => {
  const fx = MARKET_LAKE_TABLES.fx_rate;
  const FX_PARTITION = 'fx_rate/dt=2026-11-30/';
  /** A fetch of one pair's rate for 2026-11-27 at `minute` past 16:00 (a re-fetch of a key is a new version). */
  const fetch = (quote: string, rate: string, minute: number): LakeRow =>
    parseJsonRow(lakeColumns(fx), {
      rate_date: '2026-11-27',
      base_currency: 'GBP',
      quote_currency: quote,
      rate,
      source: 'frankfurter',
      fetched_at: `2026-11-30 16:${String(minute).padStart(2, '0')}:00.123`,
    });

  it('merges a market partition’s small objects into one, every row exact, and `_latest` returns the same rows', async () => {
    // Six deliveries, one per fetch: USD fetched three times (the newest wins), EUR and JPY once or twice.
    const fetches = [
      fetch('USD', '1.26950000', 1),
      fetch('EUR', '1.19000001', 2),
      fetch('USD', '1.26960000', 3),
      fetch('JPY', '190.12345678', 4),
      fetch('EUR', '1.19000002', 5),
      fetch('USD', '1.26970000', 6),
    ];
    for (const [n, row] of fetches.entries())
      await store.put(`${FX_PARTITION}totesys-fx_rate-${n}.parquet`, writeLakeParquet(fx, [row]));
    const engine = await DuckDbQueryEngine.open({ lakeDir: dir, bucket: 'lake' });
    const rowsSql = `SELECT quote_currency, CAST(rate AS VARCHAR) AS rate, CAST(fetched_at AS VARCHAR) AS fetched_at`;
    const read = async (from: string) =>
      (await engine.query(`${rowsSql} FROM ${from} ORDER BY quote_currency, fetched_at`)).rows;
    try {
      const before = { rows: await read('fx_rate'), latest: await read('fx_rate_latest') };
      expect(before.latest).toEqual([
        ['EUR', '1.19000002', '2026-11-30 16:05:00.123'],
        ['JPY', '190.12345678', '2026-11-30 16:04:00.123'],
        ['USD', '1.26970000', '2026-11-30 16:06:00.123'],
      ]);
      const deps = { store, state: new MemoryStateStore(), roundLog: new ObjectStoreRoundLog(store) };

      // Any cut will do: observations have no LSN for it to cover.
      const outcome = await compactLake(deps, { cutLsn: 1n, graceMs: 0, targetObjectBytes: 1 << 20 });

      expect(outcome).toMatchObject({ status: 'compacted', objectsWritten: 1, objectsDeleted: 6 });
      const keys = (await store.list(FX_PARTITION)).map((o) => o.key);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toContain('compacted-');
      expect(await read('fx_rate')).toEqual(before.rows);
      expect(await read('fx_rate_latest')).toEqual(before.latest);
    } finally {
      await engine.close();
    }
  });

  it('quarantines a market object it cannot read, with no re-read to ask for, and merges the rest', async () => {
    for (const [n, row] of [fetch('USD', '1.26950000', 1), fetch('EUR', '1.19000001', 2)].entries())
      await store.put(`${FX_PARTITION}totesys-fx_rate-${n}.parquet`, writeLakeParquet(fx, [row]));
    await store.put(`${FX_PARTITION}totesys-fx_rate-torn.parquet`, Buffer.from('PAR1 torn '.repeat(10)));
    const requested: string[] = [];
    const unreadableObjects = new LakeObjectRecovery({
      store,
      root: store.root,
      stage: 'compaction',
      requestReread: async (tables) => {
        requested.push(...tables);
      },
    });
    const deps = {
      store,
      state: new MemoryStateStore(),
      roundLog: new ObjectStoreRoundLog(store),
      unreadableObjects,
    };

    const outcome = await compactLake(deps, { cutLsn: 1n, graceMs: 0, targetObjectBytes: 1 << 20 });

    expect(outcome).toMatchObject({ status: 'compacted', objectsWritten: 1, quarantined: 1 });
    expect(await store.list(FX_PARTITION)).toHaveLength(1);
    expect(await quarantineNotes(store)).toEqual([
      expect.objectContaining({ key: `${FX_PARTITION}totesys-fx_rate-torn.parquet`, table: 'fx_rate' }),
    ]);
    expect(requested).toEqual([]);
  });
});

describe('deleteReplacedObjects (the delete pass)', () => {
  it('deletes a waiting merge’s inputs once the grace period has passed, and only those', async () => {
    await landSmallObjects();
    const before = await partitionRows();
    const state = new MemoryStateStore();
    let clock = Date.UTC(2026, 11, 1, 12);
    const deps = { store, state, roundLog: new ObjectStoreRoundLog(store), now: () => clock };
    await compactLake(deps, { cutLsn: 70n, graceMs: 60_000, targetObjectBytes: 1 << 20 });
    // An object delivered after the merge is no input of it.
    await store.put(
      `${PARTITION}totesys-fact_payment-late.parquet`,
      writeLakeParquet(payment, [version(11, 110n)]),
    );

    clock += 59_999;
    const early = await deleteReplacedObjects(deps, { graceMs: 60_000 });
    clock += 1;
    const due = await deleteReplacedObjects(deps, { graceMs: 60_000 });

    expect(early.status).toBe('waiting');
    expect(due).toMatchObject({ status: 'compacted', objectsDeleted: 7, objectsWritten: 0 });
    const keys = (await store.list(PARTITION)).map((o: ObjectInfo) => o.key);
    expect(keys.filter((k) => k.includes('compacted-'))).toHaveLength(1);
    expect(keys.filter((k) => !k.includes('compacted-'))).toHaveLength(4);
    const after = await partitionRows();
    expect(after.filter((row) => !row.startsWith('11|'))).toEqual(before);
    expect(after.filter((row) => row.startsWith('11|'))).toHaveLength(1);
    expect(await state.get(COMPACTION_PLAN_KEY)).toBeUndefined();
  });

  it('deletes nothing of a plan whose outputs a crashed merge left unwritten', async () => {
    await landSmallObjects();
    const before = await partitionRows();
    const state = new MemoryStateStore();
    // A merge that recorded its plan and was killed before its outputs were durable.
    const options = { cutLsn: 1000n, graceMs: 0, targetObjectBytes: 1 << 20 };
    await state.put(COMPACTION_PLAN_KEY, await planCompaction(store, options));

    const outcome = await deleteReplacedObjects(
      { store, state, roundLog: new ObjectStoreRoundLog(store) },
      { graceMs: 0 },
    );

    expect(outcome.status).toBe('nothing-to-do');
    expect(await store.list(PARTITION)).toHaveLength(10);
    expect(await partitionRows()).toEqual(before);
    // The next merge finishes the plan as after any crash.
    await compactLake(
      { store, state, roundLog: new ObjectStoreRoundLog(store) },
      { ...options, snapshots: false },
    );
    expect(await partitionRows()).toEqual(before);
    expect(await store.list(PARTITION)).toHaveLength(1);
  });
});
