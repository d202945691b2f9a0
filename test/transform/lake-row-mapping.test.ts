import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import { LAKE_TABLES, lakeColumns, lakeTableForSource } from '../../core/schema/lake-tables.ts';
import { COLUMN_MAPPINGS, mapChangeEvent } from '../../transform/lake-row-mapping.ts';
import { RecordRejectedError } from '../../transform/record-rejected-error.ts';
import { COMMIT_TS, insertEvent, LSN, SOURCE_ROWS } from './change-event-fixtures.ts';

const META = {
  _op: 'c',
  _lsn: LSN,
  _seq: 0,
  _xid: '901',
  _commit_ts: '2022-11-03 14:20:52.186',
  _unchanged: null,
};

/** Expected lake rows of the SOURCE_ROWS inserts, written out by hand from the mapping rules. */
const EXPECTED = {
  // sales_order 1 of the real data -> fact_sales_order (reference vector).
  sales_order: {
    sales_order_id: 1,
    created_date: '2022-11-03',
    created_time: '14:20:52.186',
    last_updated_date: '2022-11-03',
    last_updated_time: '14:20:52.186',
    sales_staff_id: 16,
    counterparty_id: 18,
    units_sold: 84754,
    unit_price: '2.43',
    currency_id: 3,
    design_id: 9,
    agreed_payment_date: '2022-11-03',
    agreed_delivery_date: '2022-11-10',
    agreed_delivery_location_id: 4,
  },
  purchase_order: {
    purchase_order_id: 2,
    created_date: '2022-11-03',
    created_time: '14:20:52.186',
    last_updated_date: '2022-11-03',
    last_updated_time: '14:20:52.180',
    staff_id: 3,
    counterparty_id: 6,
    item_code: 'ZDOI5EA',
    item_quantity: 371,
    item_unit_price: '361.39',
    currency_id: 1,
    agreed_delivery_date: '2022-11-09',
    agreed_payment_date: '2022-11-07',
    agreed_delivery_location_id: 21,
  },
  // payment 1, paid version: account numbers dropped, last_updated's time in `last_updated`.
  payment: {
    payment_id: 1,
    created_date: '2022-11-03',
    created_time: '14:20:52.186',
    last_updated_date: '2022-11-07',
    last_updated: '07:55:11.885',
    transaction_id: 1,
    counterparty_id: 6,
    payment_amount: '56925.44',
    currency_id: 1,
    payment_type_id: 3,
    paid: true,
    payment_date: '2022-11-07',
  },
  transaction: {
    transaction_id: 1,
    transaction_type: 'PURCHASE',
    sales_order_id: null,
    purchase_order_id: 2,
  },
  // address 15, counterparty 1's legal address -> dim_location.
  address: {
    location_id: 15,
    address_line_1: '605 Haskell Trafficway',
    address_line_2: 'Axel Freeway',
    district: null,
    city: 'East Bobbie',
    postal_code: '88253-4257',
    country: 'Heard Island and McDonald Islands',
    phone: '9687 937447',
  },
  design: {
    design_id: 8,
    design_name: 'Wooden',
    file_location: '/usr',
    file_name: 'wooden-20220717-npgz.json',
  },
  payment_type: { payment_type_id: 3, payment_type_name: 'PURCHASE_PAYMENT' },
  currency: { currency_id: 1, currency_code: 'GBP', currency_name: 'Pound Sterling' },
  // dim_staff 1's inputs: the staff row (with department_id) and, below, department 2.
  staff: {
    staff_id: 1,
    first_name: 'Jeremie',
    last_name: 'Franey',
    department_id: 2,
    email_address: 'jeremie.franey@terrifictotes.com',
  },
  // dim_counterparty 1's inputs: the counterparty row (with legal_address_id) and, above, address 15.
  counterparty: {
    counterparty_id: 1,
    counterparty_legal_name: 'Fahey and Sons',
    legal_address_id: 15,
    commercial_contact: 'Micheal Toy',
    delivery_contact: 'Mrs. Lucy Runolfsdottir',
  },
  department: {
    department_id: 2,
    department_name: 'Purchasing',
    location: 'Manchester',
    manager: 'Naomi Lapaglia',
  },
} as const;

const rejection = (event: ChangeEvent): RecordRejectedError => {
  try {
    mapChangeEvent(event);
  } catch (error) {
    if (error instanceof RecordRejectedError) return error;
    throw error;
  }
  throw new Error('expected the event to be rejected');
};

describe('mapChangeEvent', () => {
  it('has one rule for every business column of every lake table', () => {
    for (const table of Object.values(LAKE_TABLES)) {
      expect(COLUMN_MAPPINGS[table.name].map((m) => m.column.name)).toEqual(table.columns.map((c) => c.name));
    }
  });

  for (const [source, business] of Object.entries(EXPECTED)) {
    const table = lakeTableForSource(source as keyof typeof EXPECTED);
    it(`maps a ${source} insert to its ${table.name} row, in lake column order`, () => {
      const row = mapChangeEvent(insertEvent(source as keyof typeof EXPECTED));
      expect(row).toEqual({ ...business, ...META });
      expect(Object.keys(row)).toEqual(lakeColumns(table).map((c) => c.name));
    });
  }

  it('maps both versions of payment 1: the unpaid insert and the paid update', () => {
    const unpaid = {
      ...SOURCE_ROWS.payment,
      paid: false,
      last_updated: SOURCE_ROWS.payment['created_at'] ?? null,
    };
    const insert = mapChangeEvent({ ...insertEvent('payment', unpaid), lsn: '24969464' });
    const update = mapChangeEvent({ ...insertEvent('payment'), op: 'u', lsn: '25100000', seq: 4 });
    expect(insert).toMatchObject({
      paid: false,
      last_updated_date: '2022-11-03',
      last_updated: '14:20:52.186',
      _op: 'c',
      _lsn: '24969464',
    });
    expect(update).toMatchObject({
      paid: true,
      last_updated_date: '2022-11-07',
      last_updated: '07:55:11.885',
      _op: 'u',
      _lsn: '25100000',
      _seq: 4,
    });
  });

  it('keeps only the renamed key column of a delete', () => {
    const row = mapChangeEvent({ ...insertEvent('address'), op: 'd', key: { address_id: 15 }, row: null });
    expect(row).toMatchObject({ location_id: 15, address_line_1: null, city: null, _op: 'd' });
  });

  it('nulls every business column of a truncate and of a watermark, which carries its own LSN', () => {
    const base = { ...insertEvent('currency'), key: {}, row: null };
    const truncate = mapChangeEvent({ ...base, op: 't' });
    const watermark = mapChangeEvent({ ...base, op: 'w', lsn: '99999999', xid: null, commit_ts: COMMIT_TS });
    for (const row of [truncate, watermark]) {
      expect([row['currency_id'], row['currency_code'], row['currency_name']]).toEqual([null, null, null]);
    }
    expect(truncate['_op']).toBe('t');
    expect(watermark).toMatchObject({ _op: 'w', _lsn: '99999999', _xid: null });
  });

  it('nulls the lake columns derived from unchanged TOAST columns and lists them by lake name', () => {
    const { address_line_1: _omitted, phone: _alsoOmitted, ...row } = SOURCE_ROWS.address;
    const event: ChangeEvent = {
      ...insertEvent('address', row),
      op: 'u',
      unchanged: ['address_line_1', 'phone'],
    };
    expect(mapChangeEvent(event)).toMatchObject({
      location_id: 15,
      address_line_1: null,
      city: 'East Bobbie',
      phone: null,
      _unchanged: 'address_line_1,phone',
    });
    const currency = { ...insertEvent('currency'), op: 'u' as const, unchanged: ['currency_code'] };
    expect(mapChangeEvent(currency)).toMatchObject({
      currency_name: null,
      _unchanged: 'currency_code,currency_name',
    });
  });

  it('pads the time to milliseconds without inventing or losing precision', () => {
    const row = {
      ...SOURCE_ROWS.sales_order,
      created_at: '2022-11-03 14:20:52',
      last_updated: '2022-11-03 14:20:52.1',
    };
    expect(mapChangeEvent(insertEvent('sales_order', row))).toMatchObject({
      created_time: '14:20:52.000',
      last_updated_time: '14:20:52.100',
    });
  });

  it('refuses an impossible text date, naming table, column and LSN', () => {
    const row = { ...SOURCE_ROWS.sales_order, agreed_delivery_date: '2022-02-30' };
    const error = rejection(insertEvent('sales_order', row));
    expect(error.context).toEqual({ table: 'sales_order', column: 'agreed_delivery_date', lsn: LSN });
    expect(error.message).toContain(`fact_sales_order, column agreed_delivery_date, LSN ${LSN}`);
    expect(error.message).not.toContain('2022-02-30');
  });

  it('refuses a currency code ISO 4217 does not define', () => {
    const error = rejection(insertEvent('currency', { ...SOURCE_ROWS.currency, currency_code: 'XYZ' }));
    expect(error.context.column).toBe('currency_name');
    expect(error.message).toMatch(/not an ISO 4217 currency code/);
  });

  it('refuses values that break the lake types: sub-cent decimals, sub-millisecond times, text in int', () => {
    const price = rejection(insertEvent('sales_order', { ...SOURCE_ROWS.sales_order, unit_price: '2.431' }));
    expect(price.context.column).toBe('unit_price');
    const time = { ...SOURCE_ROWS.payment, created_at: '2022-11-03 14:20:52.1861' };
    expect(rejection(insertEvent('payment', time)).context.column).toBe('created_date');
    const units = { ...SOURCE_ROWS.sales_order, units_sold: 'many' };
    expect(rejection(insertEvent('sales_order', units)).context.column).toBe('units_sold');
  });

  it('refuses a row that lacks a source column without listing it as unchanged', () => {
    const { city: _omitted, ...row } = SOURCE_ROWS.address;
    const error = rejection(insertEvent('address', row));
    expect(error.context.column).toBe('city');
    expect(error.message).toMatch(/lacks source column city/);
  });
});
