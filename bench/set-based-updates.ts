/**
 * @module
 * Set-based updates of existing `sales_order` and `payment` rows, for the benchmarks that need more changes per
 * second than the simulator's one statement per business change gives (the sustained-rate sweep of
 * bench/e2e.ts, the sync of bench/sync-dump.ts).
 *
 * One transaction is one statement (two data-modifying CTEs, a named prepared statement): one round trip a
 * transaction instead of BEGIN, two UPDATEs and COMMIT, and no planning after the first. Each transaction
 * updates exactly the number of rows asked of each table, the next ids in a list read once at the start and
 * walked round: an id window over `[from, from + n)` updated fewer rows where it ran past the highest id, which
 * at the sweep's scale 0.2 (1,388 orders) held the 10,000/s step to 85% of its rows (8,477/s).
 */
import pg from 'pg';

/** The two tables updated, each by its primary key. */
const TABLES = ['sales_order', 'payment'] as const;

/**
 * One transaction: units_sold and last_updated of the given orders, last_updated of the given payments (what a
 * totesys update of either row touches), both counted.
 */
const UPDATE_BOTH = {
  name: 'bench-set-based-update',
  text: `WITH orders AS (
      UPDATE sales_order SET units_sold = units_sold + 1,
             last_updated = date_trunc('milliseconds', clock_timestamp())
       WHERE sales_order_id = ANY($1::int[]) RETURNING 1),
    payments AS (
      UPDATE payment SET last_updated = date_trunc('milliseconds', clock_timestamp())
       WHERE payment_id = ANY($2::int[]) RETURNING 1)
    SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM payments)::int AS payments`,
} as const;

/** A source connection committing set-based update transactions (close it with {@link SetBasedUpdates.close}). */
export class SetBasedUpdates {
  readonly #client: pg.Client;
  readonly #ids: Readonly<Record<(typeof TABLES)[number], readonly number[]>>;
  readonly #next = { sales_order: 0, payment: 0 };

  private constructor(client: pg.Client, ids: Record<(typeof TABLES)[number], readonly number[]>) {
    this.#client = client;
    this.#ids = ids;
  }

  /** Connects to the source and reads the ids of both tables (each must hold at least one row). */
  static async open(sourceUrl: string): Promise<SetBasedUpdates> {
    const client = new pg.Client({ connectionString: sourceUrl });
    await client.connect();
    try {
      const ids = { sales_order: [] as number[], payment: [] as number[] };
      for (const table of TABLES) {
        const result = await client.query<{ id: number }>(
          `SELECT ${table}_id AS id FROM ${table} ORDER BY ${table}_id`,
        );
        ids[table] = result.rows.map((row) => row.id);
        if (ids[table].length === 0)
          throw new Error(`The source's ${table} table is empty: nothing to update.`);
      }
      return new SetBasedUpdates(client, ids);
    } catch (error) {
      await client.end();
      throw error;
    }
  }

  /** The most rows one transaction can update in each table (a row is updated at most once a statement). */
  get maxPerTable(): number {
    return Math.min(this.#ids.sales_order.length, this.#ids.payment.length);
  }

  /**
   * Commits one transaction updating `perTable` rows of each table (at most {@link maxPerTable}); returns the
   * rows it updated, each one change event.
   */
  async commit(perTable: number): Promise<number> {
    const n = Math.min(perTable, this.maxPerTable);
    const result = await this.#client.query<{ orders: number; payments: number }>({
      ...UPDATE_BOTH,
      values: [this.#take('sales_order', n), this.#take('payment', n)],
    });
    const row = result.rows[0];
    return (row?.orders ?? 0) + (row?.payments ?? 0);
  }

  /** The next `n` ids of `table`, walking round its list. */
  #take(table: (typeof TABLES)[number], n: number): number[] {
    const ids = this.#ids[table];
    const taken: number[] = new Array(n);
    let at = this.#next[table];
    for (let i = 0; i < n; i++) {
      taken[i] = ids[at]!;
      at = (at + 1) % ids.length;
    }
    this.#next[table] = at;
    return taken;
  }

  async close(): Promise<void> {
    await this.#client.end();
  }
}
