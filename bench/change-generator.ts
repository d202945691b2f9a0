/**
 * @module
 * Synthetic change events for the benchmarks: totesys-like proportions per table and totesys-like rows, from
 * a seeded generator so every run (and both sides of a comparison) sees the same data.
 */
import type { ChangeEvent, RowImage, SourceValue } from '../core/change-event.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceTableName } from '../core/schema/source-tables.ts';

/** Share of the change events per source table: facts and transactions dominate, as in totesys. */
export const WEIGHTS: Readonly<Record<SourceTableName, number>> = {
  sales_order: 25,
  purchase_order: 14,
  payment: 20,
  transaction: 20,
  address: 4,
  counterparty: 3,
  staff: 3,
  design: 5,
  department: 2,
  currency: 2,
  payment_type: 2,
};

/** Rows the referenced tables hold, for foreign key values. */
const TABLE_ROWS: Readonly<Record<SourceTableName, number>> = {
  address: 30,
  currency: 3,
  department: 8,
  design: 500,
  payment_type: 4,
  counterparty: 20,
  staff: 20,
  sales_order: 20_000,
  purchase_order: 10_000,
  transaction: 30_000,
  payment: 30_000,
};

const WORDS = [
  'Grove',
  'Haskell',
  'Trafficway',
  'Axel',
  'Freeway',
  'Bobbie',
  'Fahey',
  'Sons',
  'Jeremie',
  'Franey',
];
const CODES = ['GBP', 'USD', 'EUR'];

/** A small deterministic generator (mulberry32), so both sides and every run see the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stampText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

function sourceValue(
  table: SourceTableName,
  column: string,
  type: string,
  id: number,
  ms: number,
  next: () => number,
): SourceValue {
  const int = (max: number) => 1 + Math.floor(next() * max);
  const column_ = SOURCE_TABLES[table].columns.find((candidate) => candidate.name === column)!;
  if (column === SOURCE_TABLES[table].primaryKey) return id;
  if (column_.references) return int(TABLE_ROWS[column_.references.table]);
  switch (type) {
    case 'integer':
      return int(100_000);
    case 'numeric(10,2)':
      return (int(10_000_000) / 100).toFixed(2);
    case 'timestamp(3)':
      return stampText(ms - int(86_400_000));
    case 'boolean':
      return next() < 0.5;
    case 'varchar(3)':
      return CODES[id % CODES.length]!;
    case '"PaymentTypeName"':
      return ['SALES_RECEIPT', 'SALES_REFUND', 'PURCHASE_PAYMENT', 'PURCHASE_REFUND'][id % 4]!;
    case '"TransactionType"':
      return id % 2 === 0 ? 'SALE' : 'PURCHASE';
    default:
      if (column.endsWith('_date')) return new Date(ms + int(30) * 86_400_000).toISOString().slice(0, 10);
      if (column_.nullable && next() < 0.3) return null;
      return `${WORDS[int(WORDS.length) - 1]} ${WORDS[int(WORDS.length) - 1]} ${int(999)}`;
  }
}

/** The table a weighted draw in [0, total weight) lands on. */
function pickTable(draw: number): SourceTableName {
  let left = draw;
  for (const name of SOURCE_TABLE_NAMES) {
    left -= WEIGHTS[name];
    if (left < 0) return name;
  }
  return 'sales_order';
}

/**
 * Change events in commit order over all tables by weight: creates, updates of ids created before, a few
 * deletes, in transactions of one to eight changes. One generator keeps its LSNs, transaction ids and ids
 * across calls, so consecutive calls continue one history.
 */
export class ChangeGenerator {
  readonly #next: () => number;
  readonly #created = new Map<SourceTableName, number>();
  #lsn = 30_000_000n;
  #xid = 1000;

  constructor(seed: number) {
    this.#next = random(seed);
  }

  /** The LSN of the newest event generated (the start LSN before any). */
  get lsn(): bigint {
    return this.#lsn;
  }

  /** `count` events with commit times spread evenly over [fromMs, fromMs + spanMs). */
  *events(count: number, fromMs: number, spanMs: number): Generator<ChangeEvent> {
    const next = this.#next;
    const totalWeight = Object.values(WEIGHTS).reduce((sum, weight) => sum + weight, 0);
    for (let index = 0; index < count; ) {
      const commitMs = fromMs + Math.floor((index / count) * spanMs);
      const commitTs = new Date(commitMs).toISOString();
      this.#lsn += 4096n;
      this.#xid++;
      const size = 1 + Math.floor(next() * 8);
      for (let seq = 0; seq < size && index < count; seq++, index++) {
        const table = pickTable(next() * totalWeight);
        const created = (this.#created.get(table) ?? 0) + 1;
        const roll = next();
        const op = roll < 0.7 ? 'c' : roll < 0.95 ? 'u' : 'd';
        if (op === 'c') this.#created.set(table, created);
        const id = op === 'c' ? created : 1 + Math.floor(next() * Math.max(1, created - 1));
        const definition = SOURCE_TABLES[table];
        const key: RowImage = { [definition.primaryKey]: id };
        const base = { table, key, lsn: String(this.#lsn), seq, xid: this.#xid, commit_ts: commitTs };
        if (op === 'd') {
          yield { ...base, op, row: null };
          continue;
        }
        const row: Record<string, SourceValue> = {};
        for (const column of definition.columns)
          row[column.name] = sourceValue(table, column.name, column.type, id, commitMs, next);
        yield { ...base, op, row };
      }
    }
  }
}
