/**
 * @module
 * The totesys source schema as typed data: the 11 tables, their columns in live-DDL order, keys and references.
 *
 * This list is the only place the project learns table and column names of the source. The migration builds
 * its DDL from it, the reader checks the live database against it, and every SQL statement that names a
 * source identifier takes it from here (never from input), so identifiers are safe to quote into SQL.
 */

/** The PostgreSQL type of a source column, exactly as the live DDL declares it. */
export type SourceColumnType =
  | 'integer'
  | 'text'
  | 'varchar(3)'
  | 'numeric(10,2)'
  | 'timestamp(3)'
  | 'boolean'
  | '"PaymentTypeName"'
  | '"TransactionType"';

/** One column of a source table. */
export interface SourceColumn {
  readonly name: string;
  readonly type: SourceColumnType;
  readonly nullable: boolean;
  /** A foreign key: the referenced table (its primary key) and the ON DELETE rule. */
  readonly references?: { readonly table: SourceTableName; readonly onDelete: 'RESTRICT' | 'SET NULL' };
  /** The column has a unique index of its own. */
  readonly unique?: boolean;
}

/** One source table: its name, single-column primary key and columns. */
export interface SourceTable {
  readonly name: SourceTableName;
  readonly primaryKey: string;
  readonly columns: readonly SourceColumn[];
}

/** The 11 totesys tables, in an order that respects foreign keys (referenced tables first). */
export const SOURCE_TABLE_NAMES = [
  'address',
  'currency',
  'department',
  'design',
  'payment_type',
  'counterparty',
  'staff',
  'sales_order',
  'purchase_order',
  'transaction',
  'payment',
] as const;

/** The name of one of the 11 totesys tables. */
export type SourceTableName = (typeof SOURCE_TABLE_NAMES)[number];

/** The two enum types of the source, with their labels in declaration order. */
export const SOURCE_ENUMS = {
  PaymentTypeName: ['SALES_RECEIPT', 'SALES_REFUND', 'PURCHASE_PAYMENT', 'PURCHASE_REFUND'],
  TransactionType: ['SALE', 'PURCHASE'],
} as const;

const id = (name: string): SourceColumn => ({ name, type: 'integer', nullable: false });
const text = (name: string, nullable = false): SourceColumn => ({ name, type: 'text', nullable });
const stamp = (name: string): SourceColumn => ({ name, type: 'timestamp(3)', nullable: false });
const ref = (name: string, table: SourceTableName, nullable = false): SourceColumn => ({
  name,
  type: 'integer',
  nullable,
  references: { table, onDelete: nullable ? 'SET NULL' : 'RESTRICT' },
});
const money = (name: string): SourceColumn => ({ name, type: 'numeric(10,2)', nullable: false });
const created = stamp('created_at');
const updated = stamp('last_updated');

/** Every source table, keyed by name. Column order is the live DDL's. */
export const SOURCE_TABLES: { readonly [T in SourceTableName]: SourceTable } = {
  address: {
    name: 'address',
    primaryKey: 'address_id',
    columns: [
      id('address_id'),
      text('address_line_1'),
      text('address_line_2', true),
      text('district', true),
      text('city'),
      text('postal_code'),
      text('country'),
      text('phone'),
      created,
      updated,
    ],
  },
  counterparty: {
    name: 'counterparty',
    primaryKey: 'counterparty_id',
    columns: [
      id('counterparty_id'),
      text('counterparty_legal_name'),
      ref('legal_address_id', 'address'),
      text('commercial_contact', true),
      text('delivery_contact', true),
      created,
      updated,
    ],
  },
  currency: {
    name: 'currency',
    primaryKey: 'currency_id',
    columns: [
      id('currency_id'),
      { name: 'currency_code', type: 'varchar(3)', nullable: false },
      created,
      updated,
    ],
  },
  department: {
    name: 'department',
    primaryKey: 'department_id',
    columns: [
      id('department_id'),
      text('department_name'),
      text('location', true),
      text('manager', true),
      created,
      updated,
    ],
  },
  design: {
    name: 'design',
    primaryKey: 'design_id',
    columns: [
      id('design_id'),
      created,
      text('design_name'),
      text('file_location'),
      text('file_name'),
      updated,
    ],
  },
  staff: {
    name: 'staff',
    primaryKey: 'staff_id',
    columns: [
      id('staff_id'),
      text('first_name'),
      text('last_name'),
      ref('department_id', 'department'),
      text('email_address'),
      created,
      updated,
    ],
  },
  sales_order: {
    name: 'sales_order',
    primaryKey: 'sales_order_id',
    columns: [
      id('sales_order_id'),
      created,
      updated,
      ref('design_id', 'design'),
      ref('staff_id', 'staff'),
      ref('counterparty_id', 'counterparty'),
      id('units_sold'),
      money('unit_price'),
      ref('currency_id', 'currency'),
      text('agreed_delivery_date'),
      text('agreed_payment_date'),
      ref('agreed_delivery_location_id', 'address'),
    ],
  },
  purchase_order: {
    name: 'purchase_order',
    primaryKey: 'purchase_order_id',
    columns: [
      id('purchase_order_id'),
      created,
      updated,
      ref('staff_id', 'staff'),
      ref('counterparty_id', 'counterparty'),
      text('item_code'),
      id('item_quantity'),
      money('item_unit_price'),
      ref('currency_id', 'currency'),
      text('agreed_delivery_date'),
      text('agreed_payment_date'),
      ref('agreed_delivery_location_id', 'address'),
    ],
  },
  payment_type: {
    name: 'payment_type',
    primaryKey: 'payment_type_id',
    columns: [
      id('payment_type_id'),
      { name: 'payment_type_name', type: '"PaymentTypeName"', nullable: false },
      created,
      updated,
    ],
  },
  payment: {
    name: 'payment',
    primaryKey: 'payment_id',
    columns: [
      id('payment_id'),
      created,
      updated,
      { ...ref('transaction_id', 'transaction'), unique: true },
      ref('counterparty_id', 'counterparty'),
      money('payment_amount'),
      ref('currency_id', 'currency'),
      ref('payment_type_id', 'payment_type'),
      { name: 'paid', type: 'boolean', nullable: false },
      text('payment_date'),
      id('company_ac_number'),
      id('counterparty_ac_number'),
    ],
  },
  transaction: {
    name: 'transaction',
    primaryKey: 'transaction_id',
    columns: [
      id('transaction_id'),
      { name: 'transaction_type', type: '"TransactionType"', nullable: false },
      { ...ref('sales_order_id', 'sales_order', true), unique: true },
      { ...ref('purchase_order_id', 'purchase_order', true), unique: true },
      created,
      updated,
    ],
  },
};

/** Narrows an untrusted string to a source table name. */
export function isSourceTableName(name: string): name is SourceTableName {
  return (SOURCE_TABLE_NAMES as readonly string[]).includes(name);
}
