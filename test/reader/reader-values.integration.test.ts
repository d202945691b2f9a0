import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import type { LogEntry } from '../../core/ports/log.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { asObject, eventsOf, memoryLog, replay, sourceState } from './reader-test-kit.ts';

/** One row in every table, ids from `id`, with the value shapes the tests check. */
async function insertChain(client: pg.ClientBase, id: number, bigText: string): Promise<void> {
  const ts = '2022-11-03 14:20:52.186';
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO address VALUES ($1, '6826 Herzog Via', NULL, 'Avon', 'New Patienceburgh', '28441',
       'Turkey', '1803 637401', $2, $2)`,
    [id, ts],
  );
  await client.query(
    `INSERT INTO counterparty VALUES ($1, 'Fahey and Sons', $1, 'Micheal Toy', NULL, $2, $2)`,
    [id, ts],
  );
  await client.query(`INSERT INTO currency VALUES ($1, 'GBP', $2, $2)`, [id, ts]);
  await client.query(`INSERT INTO department VALUES ($1, 'Sales', $3, 'Richard Roma', $2, $2)`, [
    id,
    ts,
    AWKWARD_TEXT,
  ]);
  await client.query(
    `INSERT INTO staff VALUES ($1, 'Jeremie', 'Franey', $1, 'jeremie.franey@terrifictotes.com', $2, $2)`,
    [id, ts],
  );
  await client.query(`INSERT INTO design VALUES ($1, $2, 'Wooden', $3, 'wooden-20220717-npgz.json', $2)`, [
    id,
    ts,
    bigText,
  ]);
  await client.query(
    `INSERT INTO sales_order VALUES ($1, $2, '2022-11-03 14:20:52.188', $1, $1, $1, 42972, 3.94, $1,
       '2022-11-07', '2022-11-08', $1)`,
    [id, ts],
  );
  await client.query(`INSERT INTO payment_type VALUES ($1, 'SALES_RECEIPT', $2, $2)`, [id, ts]);
  await client.query(`INSERT INTO transaction VALUES ($1, 'SALE', $1, NULL, $2, $2)`, [id, ts]);
  await client.query(
    `INSERT INTO payment VALUES ($1, $2, $2, $1, $1, 12345678.05, $1, $1, false, '2022-11-03', 67305075, 31622269)`,
    [id, ts],
  );
  await client.query('COMMIT');
}

/** Text that COPY must escape (tab, newline, backslash) plus quotes and multi-byte characters. */
const AWKWARD_TEXT = 'Manchester\tM1\nFloor "2" \\ back-slash, ünïcødé ✓';

/** Incompressible text well over the TOAST threshold, so PostgreSQL stores it out of line. */
const BIG_TEXT_SQL = `SELECT string_agg(md5(g::text), '') AS t FROM generate_series(1, 4000) AS g`;

describe('reader values', () => {
  let database: TestDatabase;
  let events: ChangeEvent[];
  let bigText: string;
  let logLines: LogEntry[];
  beforeAll(async () => {
    database = await createSourceDatabase();
    const stream = new MemoryChangeStream();
    const stateStore = new MemoryStateStore();
    const { lines, log } = memoryLog();
    logLines = lines;
    await withClient(database.url, async (client) => {
      bigText = (await client.query<{ t: string }>(BIG_TEXT_SQL)).rows[0]!.t;
      await insertChain(client, 1, bigText);
    });
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      stopAtLsn: 'current',
      log,
    });
    await withClient(database.url, async (client) => {
      await insertChain(client, 2, bigText);
      await client.query(`UPDATE design SET design_name = 'Granite' WHERE design_id = 2`);
      await client.query(`DELETE FROM payment WHERE payment_id = 1`);
      await client.query('TRUNCATE payment');
    });
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      stopAtLsn: 'current',
      log,
    });
    events = stream.events;
  });
  afterAll(async () => {
    await database.drop();
  });

  it('encodes numeric to the cent, timestamps to the millisecond, text dates, enums, booleans and NULL exactly', () => {
    const [snapshotOrder] = eventsOf(events, 'sales_order', 'r');
    const [streamedOrder] = eventsOf(events, 'sales_order', 'c');
    const expectedOrder = (id: number) => ({
      sales_order_id: id,
      created_at: '2022-11-03 14:20:52.186',
      last_updated: '2022-11-03 14:20:52.188',
      design_id: id,
      staff_id: id,
      counterparty_id: id,
      units_sold: 42972,
      unit_price: '3.94',
      currency_id: id,
      agreed_delivery_date: '2022-11-07',
      agreed_payment_date: '2022-11-08',
      agreed_delivery_location_id: id,
    });
    expect(snapshotOrder?.row).toEqual(expectedOrder(1));
    expect(streamedOrder?.row).toEqual(expectedOrder(2));
    const [payment] = eventsOf(events, 'payment', 'c');
    expect(payment?.row).toMatchObject({
      payment_amount: '12345678.05',
      paid: false,
      payment_date: '2022-11-03',
    });
    expect(eventsOf(events, 'payment_type', 'c')[0]?.row).toMatchObject({
      payment_type_name: 'SALES_RECEIPT',
    });
    expect(eventsOf(events, 'transaction', 'c')[0]?.row).toMatchObject({
      transaction_type: 'SALE',
      purchase_order_id: null,
    });
    expect(eventsOf(events, 'address', 'r')[0]?.row).toMatchObject({
      address_line_2: null,
      district: 'Avon',
    });
  });

  it('keeps text COPY must escape exactly, in the snapshot and in the stream', () => {
    expect(eventsOf(events, 'department', 'r')[0]?.row?.location).toBe(AWKWARD_TEXT);
    expect(eventsOf(events, 'department', 'c')[0]?.row?.location).toBe(AWKWARD_TEXT);
  });

  it('gives snapshot rows and streamed rows one encoding', () => {
    for (const table of ['address', 'design', 'payment', 'transaction'] as const) {
      const snapshotRow = { ...eventsOf(events, table, 'r')[0]?.row };
      const streamedRow = { ...eventsOf(events, table, 'c')[0]?.row };
      const key = Object.keys(snapshotRow)[0]!;
      expect(typeof snapshotRow[key]).toBe('number');
      for (const column of Object.keys(snapshotRow)) {
        expect(typeof streamedRow[column], `${table}.${column}`).toBe(typeof snapshotRow[column]);
      }
    }
  });

  it('marks an unchanged large value in an UPDATE as unchanged instead of sending NULL', () => {
    const [update] = eventsOf(events, 'design', 'u');
    expect(update?.op).toBe('u');
    if (update?.op !== 'u') return;
    expect(update.unchanged).toEqual(['file_location']);
    expect(update.row).not.toHaveProperty('file_location');
    expect(update.row).toMatchObject({ design_id: 2, design_name: 'Granite' });
    expect(eventsOf(events, 'design', 'c')[0]?.row?.file_location).toBe(bigText);
  });

  it('emits deletes with the key and a commit lsn, seq and xid on every change', () => {
    const [deletion] = eventsOf(events, 'payment', 'd');
    expect(deletion).toMatchObject({ key: { payment_id: 1 }, row: null });
    expect(deletion?.xid).toEqual(expect.any(Number));
    const inserts = events.filter((event) => event.op === 'c');
    expect(new Set(inserts.map((event) => event.lsn)).size).toBe(1);
    expect(inserts.map((event) => event.seq)).toEqual(inserts.map((_, index) => index));
    expect(inserts[0]?.commit_ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('emits TRUNCATE as a t event of the table and logs a warning naming it', () => {
    const [truncate] = eventsOf(events, 'payment', 't');
    expect(truncate).toMatchObject({ op: 't', key: {}, row: null });
    expect(BigInt(truncate!.lsn)).toBeGreaterThan(BigInt(eventsOf(events, 'payment', 'd')[0]!.lsn));
    expect(logLines).toContainEqual(
      expect.objectContaining({ level: 'WARN', stage: 'reader', table: 'payment', lsn: truncate!.lsn }),
    );
  });

  it('rebuilds exactly the source tables from the events', async () => {
    expect(asObject(replay(events))).toEqual(asObject(await sourceState(database.url)));
  });

  it('leaves the process-wide pg type parsers alone for other clients', async () => {
    const row = await withClient(database.url, async (client) => {
      const result = await client.query<{ t: unknown; b: unknown; n: unknown }>(
        `SELECT '2022-11-03 14:20:52.186'::timestamp AS t, 9007199254740993::int8 AS b, 2.5::numeric AS n`,
      );
      return result.rows[0]!;
    });
    expect(row.t).toBeInstanceOf(Date);
    expect(row.b).toBe('9007199254740993');
    expect(row.n).toBe('2.5');
    expect(pg.types.getTypeParser(1114)('2022-11-03 14:20:52.186')).toBeInstanceOf(Date);
  });
});
