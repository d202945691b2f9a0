/**
 * @module
 * The dashboard's business figures: sales, purchases and payments, from the `current_*` views (README "The
 * star schema"), so each order and payment counts once, at its latest version, and deleted ones not at all.
 * Money stays exact: sums are the warehouse's numeric sums, sent as decimal text, per currency (amounts in
 * different currencies are never added together).
 */
import type pg from 'pg';

/** How many days of sales the charts cover, today included. */
export const SALES_DAYS = 30;

/** A money figure in one currency. */
export interface CurrencyAmount {
  readonly currency: string;
  /** Exact decimal text. */
  readonly amount: string;
  readonly count: number;
}

/** A ranked counterparty or design. */
export interface RankedItem {
  readonly name: string;
  readonly units: number;
  readonly orders: number;
}

/** What one staff member or department spent, per currency, over the window. */
export interface Spend {
  readonly name: string;
  /** The department, for a staff member; empty for a department. */
  readonly department: string;
  readonly orders: number;
  /** `count` is the number of orders in that currency. */
  readonly amounts: readonly CurrencyAmount[];
}

/** Everything the business half of the dashboard shows, read at one cut. */
export interface BusinessFigures {
  /** The UTC day the windows end on, `YYYY-MM-DD`. */
  readonly today: string;
  readonly sales: {
    /** The {@link SALES_DAYS} days, oldest first. */
    readonly days: readonly string[];
    /** Per currency, one value (exact decimal text) and one unit count per day of `days`. */
    readonly perCurrency: readonly {
      readonly currency: string;
      readonly value: readonly string[];
      readonly units: readonly number[];
    }[];
    readonly topCounterparties: readonly RankedItem[];
    readonly topDesigns: readonly RankedItem[];
    /**
     * Every currency's sales in GBP per day of `days` (exact decimal text, from `public.sales_order_gbp`:
     * README, "Sales in GBP"), and how many orders of the window had no GBP rate yet (left out of it).
     */
    readonly gbp: { readonly value: readonly string[]; readonly unpriced: number };
  };
  /**
   * The newest GBP rate of each currency in the warehouse, with its day and publisher: `synthetic` when the
   * built-in synthetic market made it (the dashboard says so).
   */
  readonly rates: readonly {
    readonly currency: string;
    readonly rate: string;
    readonly date: string;
    readonly source: string;
  }[];
  readonly purchases: {
    readonly byDepartment: readonly Spend[];
    readonly byStaff: readonly Spend[];
  };
  readonly payments: {
    /** Unpaid, due after today and at most 7 days ahead. */
    readonly dueNext7Days: readonly CurrencyAmount[];
    /** Unpaid, due before today. */
    readonly overdue: readonly CurrencyAmount[];
    readonly paid: readonly CurrencyAmount[];
    readonly unpaid: readonly CurrencyAmount[];
  };
}

/** Top counterparties, designs and staff shown. */
const TOP = 5;

/** Reads the business figures for the window ending on `today` (UTC `YYYY-MM-DD`). */
export async function readBusinessFigures(client: pg.ClientBase, today: string): Promise<BusinessFigures> {
  const days = await client.query<{ day: string }>(
    `SELECT d::date::text AS day FROM generate_series($1::date - ($2::int - 1), $1::date, interval '1 day') AS d`,
    [today, SALES_DAYS],
  );
  const sales = await client.query<{ day: string; currency: string; value: string; units: string }>(
    `SELECT s.created_date::text AS day, c.currency_code AS currency,
            sum(s.units_sold * s.unit_price)::text AS value, sum(s.units_sold)::text AS units
       FROM public.current_sales_order AS s
       JOIN public.dim_currency AS c ON c.currency_id = s.currency_id
      WHERE s.created_date > $1::date - $2::int AND s.created_date <= $1::date
      GROUP BY 1, 2 ORDER BY 2, 1`,
    [today, SALES_DAYS],
  );
  const gbp = await client.query<{ day: string; value: string | null; unpriced: string }>(
    `SELECT created_date::text AS day, sum(amount_gbp)::text AS value,
            count(*) FILTER (WHERE amount_gbp IS NULL)::text AS unpriced
       FROM public.sales_order_gbp
      WHERE created_date > $1::date - $2::int AND created_date <= $1::date
      GROUP BY 1 ORDER BY 1`,
    [today, SALES_DAYS],
  );
  const rates = await client.query<{ currency: string; rate: string; date: string; source: string }>(
    `SELECT DISTINCT ON (quote_currency) quote_currency AS currency, rate::text AS rate,
            rate_date::text AS date, source
       FROM market.fx_rate WHERE base_currency = 'GBP'
      ORDER BY quote_currency, rate_date DESC, (source = 'synthetic'), source`,
  );
  const ranked = async (join: string, name: string): Promise<RankedItem[]> => {
    const result = await client.query<{ name: string; units: string; orders: string }>(
      `SELECT ${name} AS name, sum(s.units_sold)::text AS units, count(*)::text AS orders
         FROM public.current_sales_order AS s ${join}
        WHERE s.created_date > $1::date - $2::int AND s.created_date <= $1::date
        GROUP BY 1 ORDER BY sum(s.units_sold) DESC, 1 LIMIT ${TOP}`,
      [today, SALES_DAYS],
    );
    return result.rows.map((r) => ({ name: r.name, units: Number(r.units), orders: Number(r.orders) }));
  };
  // Ranked by orders, not by amount: amounts in different currencies cannot be compared.
  const spend = async (name: string, department: string, limit: number): Promise<Spend[]> => {
    const result = await client.query<{
      name: string;
      department: string;
      currency: string;
      amount: string;
      orders: string;
    }>(
      `SELECT ${name} AS name, ${department} AS department, c.currency_code AS currency,
              sum(p.item_quantity * p.item_unit_price)::text AS amount, count(*)::text AS orders
         FROM public.current_purchase_order AS p
         JOIN public.dim_staff AS st ON st.staff_id = p.staff_id
         JOIN public.dim_currency AS c ON c.currency_id = p.currency_id
        WHERE p.created_date > $1::date - $2::int AND p.created_date <= $1::date
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [today, SALES_DAYS],
    );
    const byName = new Map<
      string,
      { name: string; department: string; orders: number; amounts: CurrencyAmount[] }
    >();
    for (const row of result.rows) {
      const key = `${row.name}\u0000${row.department}`;
      let entry = byName.get(key);
      if (!entry) {
        entry = { name: row.name, department: row.department, orders: 0, amounts: [] };
        byName.set(key, entry);
      }
      entry.orders += Number(row.orders);
      entry.amounts.push({ currency: row.currency, amount: row.amount, count: Number(row.orders) });
    }
    return [...byName.values()]
      .sort((a, b) => b.orders - a.orders || a.name.localeCompare(b.name))
      .slice(0, limit);
  };
  const payments = async (where: string, params: readonly string[] = []): Promise<CurrencyAmount[]> => {
    const result = await client.query<{ currency: string; amount: string; count: string }>(
      `SELECT c.currency_code AS currency, sum(p.payment_amount)::text AS amount, count(*)::text AS count
         FROM public.current_payment AS p
         JOIN public.dim_currency AS c ON c.currency_id = p.currency_id
        WHERE ${where}
        GROUP BY 1 ORDER BY 1`,
      [...params],
    );
    return result.rows.map((r) => ({ ...r, count: Number(r.count) }));
  };

  const dayList = days.rows.map((r) => r.day);
  const perCurrency = new Map<string, { value: string[]; units: number[] }>();
  for (const row of sales.rows) {
    let series = perCurrency.get(row.currency);
    if (!series) {
      series = { value: dayList.map(() => '0.00'), units: dayList.map(() => 0) };
      perCurrency.set(row.currency, series);
    }
    const index = dayList.indexOf(row.day);
    series.value[index] = row.value;
    series.units[index] = Number(row.units);
  }
  const gbpByDay = new Map(gbp.rows.map((r) => [r.day, r.value ?? '0.00']));
  return {
    today,
    rates: rates.rows,
    sales: {
      days: dayList,
      perCurrency: [...perCurrency].map(([currency, series]) => ({ currency, ...series })),
      gbp: {
        value: dayList.map((day) => gbpByDay.get(day) ?? '0.00'),
        unpriced: gbp.rows.reduce((sum, r) => sum + Number(r.unpriced), 0),
      },
      topCounterparties: await ranked(
        'JOIN public.dim_counterparty AS cp ON cp.counterparty_id = s.counterparty_id',
        'cp.counterparty_legal_name',
      ),
      topDesigns: await ranked('JOIN public.dim_design AS d ON d.design_id = s.design_id', 'd.design_name'),
    },
    purchases: {
      byDepartment: await spend('st.department_name', "''", Number.POSITIVE_INFINITY),
      byStaff: await spend("st.first_name || ' ' || st.last_name", 'st.department_name', TOP * 2),
    },
    payments: {
      dueNext7Days: await payments(
        'NOT p.paid AND p.payment_date > $1::date AND p.payment_date <= $1::date + 7',
        [today],
      ),
      overdue: await payments('NOT p.paid AND p.payment_date < $1::date', [today]),
      paid: await payments('p.paid'),
      unpaid: await payments('NOT p.paid'),
    },
  };
}
