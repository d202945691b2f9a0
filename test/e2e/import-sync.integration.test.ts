import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSync } from '../../local/sync.ts';
import { importDump } from '../../source/dump-import/dump-import.ts';
import { withClient } from '../support/test-databases.ts';
import { type E2eWorld, openWorld, reconcileWorld } from './e2e-harness.ts';

const T = '2022-11-03 14:20:49.962';
const U = '2022-11-07 07:55:11.8';

/** COPY blocks of a small totesys dump, as pg_dump writes them (tab-separated, NULL as `\N`). */
const BLOCKS: Record<string, [string, string[]]> = {
  address: [
    'address_id, address_line_1, address_line_2, district, city, postal_code, country, phone, created_at, last_updated',
    [
      `1\t6826 Herzog Via\t\\N\tAvon\tNew Patienceburgh\t28441\tTurkey\t1803 637401\t${T}\t${T}`,
      `2\t179 Alexie Cliffs\t\\N\t\\N\tAliso Viejo\t99305-7380\tSan Marino\t9621 880720\t${T}\t${T}`,
    ],
  ],
  counterparty: [
    'counterparty_id, counterparty_legal_name, legal_address_id, commercial_contact, delivery_contact, created_at, last_updated',
    [`1\tFahey and Sons\t2\tMicheal Toy\tMrs. Lucy Runolfsdottir\t${T}\t${T}`],
  ],
  currency: [
    'currency_id, currency_code, created_at, last_updated',
    [`1\tGBP\t${T}\t${T}`, `2\tUSD\t${T}\t${T}`],
  ],
  department: [
    'department_id, department_name, location, manager, created_at, last_updated',
    [
      `2\tPurchasing\tManchester\tNaomi Lapaglia\t${T}\t${T}`,
      `3\tFacilities\t\\N\tShelley Levene\t${T}\t${T}`,
    ],
  ],
  design: [
    'design_id, created_at, design_name, file_location, file_name, last_updated',
    [`8\t${T}\tWooden\t/usr\twooden-20220717-npgz.json\t${T}`],
  ],
  payment_type: [
    'payment_type_id, payment_type_name, created_at, last_updated',
    [`1\tSALES_RECEIPT\t${T}\t${T}`, `3\tPURCHASE_PAYMENT\t${T}\t${T}`],
  ],
  staff: [
    'staff_id, first_name, last_name, department_id, email_address, created_at, last_updated',
    [
      `1\tJeremie\tFraney\t2\tjeremie.franey@terrifictotes.com\t${T}\t${T}`,
      `2\tDeron\tBeier\t3\tderon.beier@terrifictotes.com\t${T}\t${T}`,
    ],
  ],
  sales_order: [
    'sales_order_id, created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id',
    [
      `1\t${T}\t${T}\t8\t1\t1\t84754\t2.43\t1\t2022-11-10\t2022-11-03\t2`,
      `2\t${T}\t${U}\t8\t2\t1\t42972\t3.94\t2\t2022-11-07\t2022-11-08\t1`,
    ],
  ],
  purchase_order: [
    'purchase_order_id, created_at, last_updated, staff_id, counterparty_id, item_code, item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id',
    [`2\t${T}\t${T}\t1\t1\tZDOI5EA\t371\t361.39\t1\t2022-11-09\t2022-11-04\t1`],
  ],
  transaction: [
    'transaction_id, transaction_type, sales_order_id, purchase_order_id, created_at, last_updated',
    [`1\tSALE\t1\t\\N\t${T}\t${T}`, `2\tPURCHASE\t\\N\t2\t${T}\t${T}`],
  ],
  payment: [
    'payment_id, created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id, payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number',
    [
      `2\t${T}\t${U}\t2\t1\t552548.62\t1\t3\tt\t2022-11-04\t67305075\t31622269`,
      `3\t${T}\t${T}\t1\t1\t205952.20\t2\t1\tf\t2022-11-03\t81718079\t47839086`,
    ],
  ],
};

function dumpText(): string {
  const parts = ['--', '-- PostgreSQL database dump', '--', '', "SET client_encoding = 'UTF8';", ''];
  for (const [table, [columns, rows]] of Object.entries(BLOCKS)) {
    parts.push(`COPY public.${table} (${columns}) FROM stdin;`, ...rows, '\\.', '');
  }
  parts.push('--', '-- PostgreSQL database dump complete', '--', '');
  return parts.join('\n');
}

let world: E2eWorld;

beforeEach(async () => {
  world = await openWorld(0);
});

afterEach(async () => {
  await world.close();
});

describe('the real-data path', () => {
  it('imports a dump, syncs it and reconciles with no difference', async () => {
    const path = join(world.dataDir, 'totesys.sql');
    await writeFile(path, dumpText());
    const imported = await withClient(world.source.url, (client) => importDump(client, path));
    expect(imported).toMatchObject({ missingKeys: [] });

    const summary = await runSync({
      sourceUrl: world.source.url,
      warehouseUrl: world.warehouse.url,
      dataDir: world.dataDir,
      slot: world.slot,
      publication: `${world.source.name}_pub`,
      timeoutMs: 90_000,
    });
    expect(summary.rowsLoaded).toMatchObject({
      fact_sales_order: 2,
      fact_purchase_order: 1,
      fact_payment: 2,
    });
    const report = await reconcileWorld(world);
    expect(report.differences).toEqual([]);
    expect(report.tables.dim_staff).toEqual({ sourceRows: 2, warehouseRows: 2, differences: 0 });

    const rows = await withClient(world.warehouse.url, (c) =>
      c.query(`SELECT s.sales_order_id, s.unit_price::text AS price, s.last_updated_time::text AS t, c.currency_name
               FROM fact_sales_order s JOIN dim_currency c USING (currency_id) ORDER BY 1`),
    );
    expect(rows.rows).toEqual([
      { sales_order_id: 1, price: '2.43', t: '14:20:49.962', currency_name: 'Pound Sterling' },
      { sales_order_id: 2, price: '3.94', t: '07:55:11.8', currency_name: 'US Dollar' },
    ]);
  });
});
