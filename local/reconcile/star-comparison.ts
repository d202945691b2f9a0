/**
 * @module
 * What reconcile reports, and the comparison of one table in both directions: a key the source has and the
 * warehouse lacks, a key the warehouse has and the source lacks, and a key whose columns differ.
 */
import type { WarehouseTableName } from '../../core/schema/warehouse-tables.ts';
import type { StarRows } from './star-rows.ts';

/** How source and warehouse disagree about one key. */
export type DifferenceKind =
  | 'missing-in-warehouse'
  | 'extra-in-warehouse'
  | 'column-differs'
  /** The source row holds a value the pipeline cannot convert (it goes to the error location instead). */
  | 'unconvertible-in-source';

/** One difference between source and warehouse. */
export interface Difference {
  readonly table: WarehouseTableName;
  readonly key: string;
  readonly kind: DifferenceKind;
  /** The differing or unconvertible columns (names only: values are never printed). */
  readonly columns?: readonly string[];
}

/** How to compare one table. */
export interface TableComparison {
  readonly table: WarehouseTableName;
  readonly columns: readonly string[];
  readonly expected: StarRows;
  readonly actual: StarRows;
  /** Warehouse keys the source lacks on purpose (dimension members deleted while facts reference them). */
  readonly kept?: ReadonlySet<string>;
  /** Keys already reported (unconvertible at the source): not compared again. */
  readonly reported?: ReadonlySet<string>;
}

/** The differences of one table, both directions, in key order of the source then the warehouse. */
export function compareTable(comparison: TableComparison): Difference[] {
  const { table, columns, expected, actual, kept, reported } = comparison;
  const differences: Difference[] = [];
  for (const [key, row] of expected) {
    const other = actual.get(key);
    if (!other) {
      differences.push({ table, key, kind: 'missing-in-warehouse' });
      continue;
    }
    const differing = columns.filter((c) => row[c] !== other[c]);
    if (differing.length > 0) differences.push({ table, key, kind: 'column-differs', columns: differing });
  }
  for (const key of actual.keys()) {
    if (!expected.has(key) && !kept?.has(key) && !reported?.has(key)) {
      differences.push({ table, key, kind: 'extra-in-warehouse' });
    }
  }
  return differences;
}
