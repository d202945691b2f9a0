import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import { SILENT_LOG } from '../../core/ports/log.ts';
import { LocalPipeline } from '../../local/pipeline.ts';
import { runSync } from '../../local/sync.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { Simulator } from '../../source/simulator/simulator.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { type E2eWorld, openWorld } from './e2e-harness.ts';

/** What one read of the warehouse saw, at the cut it records. */
interface WarehouseRead {
  readonly cut: bigint;
  readonly state: Star;
}

/** The parts of the star the check compares: joined dimension columns and each current order's latest version. */
interface Star {
  readonly staffDepartment: Record<string, string | null>;
  readonly counterpartyCity: Record<string, string | null>;
  /** order id -> measure of the latest version + '#' + number of versions. */
  readonly salesOrders: Record<string, string | null>;
  readonly purchaseOrders: Record<string, string | null>;
  readonly payments: Record<string, string | null>;
}

let world: E2eWorld;

beforeEach(async () => {
  world = await openWorld(0.01);
});

afterEach(async () => {
  await world.close();
});

async function deadline<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('the warehouse is always at one cut', () => {
  it('every read taken while the pipeline runs matches the source as of the cut it records', async () => {
    // An independent record of the source: a second slot read by the reader into memory.
    const audit = new MemoryChangeStream();
    const auditStop = new AbortController();
    const auditRun = runReader({
      sourceUrl: world.source.url,
      changeStream: audit,
      stateStore: new MemoryStateStore(),
      slot: `${world.slot}_audit`,
      publication: `${world.source.name}_audit`,
      signal: auditStop.signal,
      watermarkIntervalMs: 200,
      heartbeatIntervalMs: 200,
      log: SILENT_LOG,
    });
    const snapshotDone = (events: readonly ChangeEvent[]) =>
      events.some((e) => e.op === 'w' && e.table === 'payment');
    await deadline('the audit snapshot', 60_000, async () => (snapshotDone(audit.events) ? true : undefined));

    const reads: Promise<WarehouseRead>[] = [];
    let loads = 0;
    const pipeline = await LocalPipeline.start({
      sourceUrl: world.source.url,
      warehouseUrl: world.warehouse.url,
      dataDir: world.dataDir,
      slot: world.slot,
      publication: `${world.source.name}_pub`,
      loaderIntervalMs: 200,
      watermarkIntervalMs: 200,
      onLoad: (outcome) => {
        if (outcome.status === 'loaded') {
          loads++;
          if (reads.length < 40) reads.push(readWarehouse(world.warehouse.url));
        }
      },
    });
    const simulator = new Simulator({ sourceUrl: world.source.url, seed: 5 });
    try {
      await deadline('the first load', 60_000, async () =>
        (await pipeline.warehouse.currentCut()) ? true : undefined,
      );
      for (let round = 0; round < 12; round++) {
        await simulator.step(15);
        const seen = loads;
        await deadline('the next load', 30_000, async () => (loads > seen ? true : undefined));
      }
    } finally {
      await simulator.stop();
      await pipeline.stop();
    }
    // One more sync so the last changes are in, then let the audit reader catch up past every cut read.
    await runSync({
      sourceUrl: world.source.url,
      warehouseUrl: world.warehouse.url,
      dataDir: world.dataDir,
      slot: world.slot,
      publication: `${world.source.name}_pub`,
      timeoutMs: 60_000,
    });
    reads.push(readWarehouse(world.warehouse.url));
    const taken = await Promise.all(reads);
    let highest = 0n;
    for (const read of taken) if (read.cut > highest) highest = read.cut;
    await deadline('the audit reader', 60_000, async () =>
      audit.events.some((e) => e.op === 'w' && BigInt(e.lsn) >= highest) ? true : undefined,
    );
    auditStop.abort();
    await auditRun;

    // Every read is checked, the first cut included: the pipeline's snapshot rows carry the LSN just below its
    // slot's consistent point, so its first watermark already covers them (no cut ever shows an empty star).
    const checked = taken;
    expect(checked.length).toBeGreaterThanOrEqual(10);
    expect(new Set(checked.map((r) => r.cut)).size).toBeGreaterThanOrEqual(5);
    for (const read of checked) {
      expect(read.state, `warehouse at cut ${read.cut}`).toEqual(sourceAsOf(audit.events, read.cut));
    }
  });
});

/** One consistent read of the warehouse (a single repeatable-read transaction). */
async function readWarehouse(url: string): Promise<WarehouseRead> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const cut = (await client.query<{ lsn: string }>('SELECT lsn::text AS lsn FROM pipeline.cut')).rows[0]
      ?.lsn;
    const pairs = async (sql: string) =>
      Object.fromEntries(
        (await client.query<{ k: string; v: string | null }>(sql)).rows.map((r) => [r.k, r.v]),
      );
    // Each current order (its view leaves deleted ones out) with its measure and its number of versions.
    const latest = (table: string, key: string, view: string, measure: string) =>
      pairs(
        `SELECT ${key}::text AS k, (${measure})::text || '#' || n AS v
         FROM ${view} JOIN (SELECT ${key}, count(*) AS n FROM ${table} GROUP BY 1) AS versions USING (${key})`,
      );
    const state: Star = {
      staffDepartment: await pairs('SELECT staff_id::text AS k, department_name AS v FROM dim_staff'),
      counterpartyCity: await pairs(
        'SELECT counterparty_id::text AS k, counterparty_legal_city AS v FROM dim_counterparty',
      ),
      salesOrders: await latest(
        'fact_sales_order',
        'sales_order_id',
        'current_sales_order',
        "units_sold || '@' || unit_price",
      ),
      purchaseOrders: await latest(
        'fact_purchase_order',
        'purchase_order_id',
        'current_purchase_order',
        'item_quantity',
      ),
      payments: await latest('fact_payment', 'payment_id', 'current_payment', 'paid'),
    };
    await client.query('COMMIT');
    return { cut: BigInt(cut ?? '0'), state };
  } finally {
    await client.end();
  }
}

type Row = Record<string, unknown>;

/** Replays the audit record up to `cut` and derives the compared parts of the star from it. */
function sourceAsOf(events: readonly ChangeEvent[], cut: bigint): Star {
  const tables = new Map<string, Map<string, Row>>();
  const versions = new Map<string, number>();
  const ordered = events
    .filter((e) => e.op !== 'w' && BigInt(e.lsn) <= cut)
    .sort((a, b) =>
      BigInt(a.lsn) === BigInt(b.lsn) ? a.seq - b.seq : BigInt(a.lsn) < BigInt(b.lsn) ? -1 : 1,
    );
  for (const event of ordered) {
    const rows = tables.get(event.table) ?? new Map<string, Row>();
    tables.set(event.table, rows);
    const key = JSON.stringify(event.key);
    if (event.op === 'd') rows.delete(key);
    else if (event.op === 't') rows.clear();
    else if (event.op === 'c' || event.op === 'r' || event.op === 'u') {
      const previous = rows.get(key) ?? {};
      const row: Row = { ...event.row };
      if (event.op === 'u') for (const column of event.unchanged ?? []) row[column] = previous[column];
      rows.set(key, row);
      const id = `${event.table}:${key}`;
      versions.set(id, (versions.get(id) ?? 0) + 1);
    }
  }
  const all = (table: string) => [...(tables.get(table)?.values() ?? [])];
  const byId = (table: string, id: string) => new Map(all(table).map((r) => [String(r[id]), r]));
  const departments = byId('department', 'department_id');
  const addresses = byId('address', 'address_id');
  const latest = (table: string, id: string, measure: (r: Row) => string) =>
    Object.fromEntries(
      all(table).map((r) => [
        String(r[id]),
        `${measure(r)}#${versions.get(`${table}:${JSON.stringify({ [id]: r[id] })}`) ?? 0}`,
      ]),
    );
  return {
    staffDepartment: Object.fromEntries(
      all('staff').map((s) => [
        String(s['staff_id']),
        (departments.get(String(s['department_id']))?.['department_name'] as string) ?? null,
      ]),
    ),
    counterpartyCity: Object.fromEntries(
      all('counterparty').map((c) => [
        String(c['counterparty_id']),
        (addresses.get(String(c['legal_address_id']))?.['city'] as string) ?? null,
      ]),
    ),
    salesOrders: latest('sales_order', 'sales_order_id', (r) => `${r['units_sold']}@${r['unit_price']}`),
    purchaseOrders: latest('purchase_order', 'purchase_order_id', (r) => String(r['item_quantity'])),
    payments: latest('payment', 'payment_id', (r) => String(r['paid'])),
  };
}
