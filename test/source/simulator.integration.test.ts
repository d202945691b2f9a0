import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSource } from '../../source/seed/seed-source.ts';
import { formatSummary, type SimulationSummary, Simulator } from '../../source/simulator/simulator.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

async function seeded(prefix: string): Promise<TestDatabase> {
  const database = await createSourceDatabase(prefix);
  await withClient(database.url, (client) => seedSource(client, { scale: 0.02, seed: 3 }));
  return database;
}

async function until(condition: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function consistencyProblems(url: string): Promise<Record<string, number>> {
  return withClient(url, async (client) => {
    const result = await client.query<{ kind: string; n: number }>(
      `WITH orders AS (
         SELECT o.created_at, o.counterparty_id, o.currency_id, o.agreed_payment_date,
                round(o.units_sold * o.unit_price, 2) AS amount, t.transaction_id, t.created_at AS t_created
           FROM sales_order o LEFT JOIN transaction t ON t.sales_order_id = o.sales_order_id
         UNION ALL
         SELECT o.created_at, o.counterparty_id, o.currency_id, o.agreed_payment_date,
                round(o.item_quantity * o.item_unit_price, 2), t.transaction_id, t.created_at
           FROM purchase_order o LEFT JOIN transaction t ON t.purchase_order_id = o.purchase_order_id)
       SELECT 'missing' AS kind, count(*)::int AS n FROM orders o LEFT JOIN payment p USING (transaction_id)
        WHERE p.payment_id IS NULL
       UNION ALL
       SELECT 'mismatch', count(*)::int FROM orders o JOIN payment p USING (transaction_id)
        WHERE p.created_at <> o.created_at OR o.t_created <> o.created_at OR p.payment_amount <> o.amount
           OR p.counterparty_id <> o.counterparty_id OR p.currency_id <> o.currency_id
           OR p.payment_date <> o.agreed_payment_date
       UNION ALL
       SELECT 'stale last_updated', count(*)::int FROM payment WHERE last_updated < created_at`,
    );
    return Object.fromEntries(result.rows.map((row) => [row.kind, row.n]));
  });
}

describe('live simulator', () => {
  const databases: TestDatabase[] = [];
  let source: TestDatabase;
  beforeAll(async () => {
    source = await seeded('sim');
    databases.push(source);
  });
  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('applies every kind of change and keeps each order, transaction and payment consistent', async () => {
    const simulator = new Simulator({ sourceUrl: source.url, seed: 11 });
    const before = await withClient(source.url, (client) =>
      client.query<{ paid: number; designs: number }>(
        'SELECT (SELECT count(*) FROM payment WHERE paid)::int AS paid, (SELECT count(*) FROM design)::int AS designs',
      ),
    );

    for (let i = 0; i < 10; i++) await simulator.step(60);
    const summary = await simulator.stop();

    expect(Object.entries(summary.changes).filter(([, count]) => count === 0)).toEqual([]);
    expect(summary.totalChanges + summary.skipped).toBe(600);
    expect(summary.transactions).toBe(10);
    expect(await consistencyProblems(source.url)).toEqual({
      missing: 0,
      mismatch: 0,
      'stale last_updated': 0,
    });
    const after = await withClient(source.url, (client) =>
      client.query<{ paid: number; renamed: number; orders: number }>(
        `SELECT (SELECT count(*) FROM payment WHERE paid)::int AS paid,
                (SELECT count(*) FROM department WHERE last_updated > created_at)::int AS renamed,
                (SELECT count(*) FROM sales_order WHERE last_updated > created_at)::int AS orders`,
      ),
    );
    expect(after.rows[0]?.paid).toBe((before.rows[0]?.paid ?? 0) + summary.changes.payment_paid);
    expect(after.rows[0]?.renamed).toBeGreaterThan(0);
    expect(after.rows[0]?.orders).toBeGreaterThan(0);
    expect(formatSummary(summary)).toMatch(/^Simulated \d+ changes in 10 transactions/);
  });

  it('commits each new order with its transaction and payment in one transaction at a steady rate', async () => {
    const database = await seeded('simrate');
    databases.push(database);
    const simulator = new Simulator({ sourceUrl: database.url, rate: 500, seed: 5 });

    await simulator.start();
    await until(() => simulator.summary().changes.sales_order >= 20, '20 simulated sales orders');
    const summary = await simulator.stop();

    const orders = await withClient(database.url, (client) =>
      client.query<{ same: boolean }>(
        `SELECT (o.xmin::text = t.xmin::text AND t.xmin::text = p.xmin::text) AS same
           FROM sales_order o JOIN transaction t USING (sales_order_id) JOIN payment p USING (transaction_id)
          WHERE o.sales_order_id > (SELECT max(sales_order_id) FROM sales_order) - $1`,
        [summary.changes.sales_order],
      ),
    );
    expect(orders.rows.length).toBe(summary.changes.sales_order);
    expect(orders.rows.every((row) => row.same)).toBe(true);
    expect(summary.transactions).toBe(summary.totalChanges + summary.skipped);
    expect(await consistencyProblems(database.url)).toEqual({
      missing: 0,
      mismatch: 0,
      'stale last_updated': 0,
    });
  });

  it('batches many changes per transaction in burst mode', async () => {
    const database = await seeded('simburst');
    databases.push(database);
    const simulator = new Simulator({ sourceUrl: database.url, burst: true, batchSize: 100, seed: 9 });

    await simulator.start();
    await until(() => simulator.summary().transactions >= 3, 'three burst transactions');
    const summary = await simulator.stop();

    expect(summary.totalChanges + summary.skipped).toBe(summary.transactions * 100);
    expect(await consistencyProblems(database.url)).toEqual({
      missing: 0,
      mismatch: 0,
      'stale last_updated': 0,
    });
  });

  it('lets several simulators write to one source at once without failing or breaking consistency', async () => {
    const database = await seeded('simmany');
    databases.push(database);
    const simulators = [1, 2, 3].map((seed) => new Simulator({ sourceUrl: database.url, seed }));
    let summaries: SimulationSummary[] = [];

    try {
      await Promise.all(
        simulators.map(async (simulator) => {
          for (let i = 0; i < 5; i++) await simulator.step(80);
        }),
      );
    } finally {
      summaries = await Promise.all(simulators.map((simulator) => simulator.stop()));
    }

    expect(summaries.map((summary) => summary.transactions)).toEqual([5, 5, 5]);
    expect(await consistencyProblems(database.url)).toEqual({
      missing: 0,
      mismatch: 0,
      'stale last_updated': 0,
    });
  });

  it('pays the oldest unpaid payments first, passing over one another writer holds instead of waiting for it', async () => {
    const database = await seeded('simpay');
    databases.push(database);
    const unpaidIds = async () =>
      withClient(database.url, async (client) =>
        (
          await client.query<{ id: number }>('SELECT payment_id AS id FROM payment WHERE NOT paid ORDER BY 1')
        ).rows.map((row) => row.id),
      );
    const unpaid = await unpaidIds();
    // Another writer (a second simulator, the application) has the oldest unpaid payment in an open transaction.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM payment WHERE payment_id = $1 FOR UPDATE', [unpaid[0]]);
    const simulator = new Simulator({ sourceUrl: database.url, seed: 11 });
    let committed = false;
    const batch = simulator.step(60).then(() => {
      committed = true;
    });

    try {
      await waitFor(
        'the batch to commit while another writer holds the oldest unpaid payment',
        () => committed,
      );
    } finally {
      await other.query('ROLLBACK');
      await other.end();
      await batch;
    }
    const summary = await simulator.stop();

    // Paid or cancelled (a cancelled order's payment is deleted): the oldest ones after the held payment.
    const stillUnpaid = new Set(await unpaidIds());
    const gone = unpaid.filter((id) => !stillUnpaid.has(id));
    expect(summary.changes.payment_paid).toBeGreaterThan(0);
    expect(gone).toEqual(unpaid.slice(1, 1 + gone.length));
    expect(gone.length).toBe(summary.changes.payment_paid + summary.changes.order_cancelled);
  });

  it('makes the same kinds of change in the same order for the same seed', async () => {
    const [a, b] = await Promise.all([seeded('simdeta'), seeded('simdetb')]);
    databases.push(a, b);
    const run = async (url: string): Promise<[SimulationSummary, unknown[]]> => {
      const simulator = new Simulator({ sourceUrl: url, seed: 21 });
      await simulator.step(150);
      const summary = await simulator.stop();
      const rows = await withClient(url, (client) =>
        client.query(
          'SELECT sales_order_id, units_sold, unit_price, design_id, staff_id FROM sales_order ORDER BY 1',
        ),
      );
      return [summary, rows.rows];
    };

    const [[summaryA, rowsA], [summaryB, rowsB]] = await Promise.all([run(a.url), run(b.url)]);

    expect(summaryA.changes).toEqual(summaryB.changes);
    expect(rowsA).toEqual(rowsB);
  });
});
