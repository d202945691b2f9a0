/**
 * @module
 * `/api/status` on AWS: the parts of the `status --json` document (README "Commands") this function may
 * read. The warehouse's figures come from the same code as the command's (warehouse/warehouse-status.ts), the
 * error objects waiting from a listing of the lake bucket's `errors/<table>/`. The reader's figures need the
 * source, which this read-only function cannot reach: on AWS they are the CloudWatch metrics and alarms
 * (README "Watching lag"), and the document leaves `reader` out.
 */
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../../core/schema/lake-tables.ts';
import type { WarehouseReader } from '../../http/warehouse-reader.ts';
import {
  readWarehouseStatus,
  slowestLakeLag,
  type WarehouseStatus,
} from '../../warehouse/warehouse-status.ts';

/** The document the API Lambda serves at `/api/status`. */
export interface ApiStatus {
  readonly lake: {
    readonly lagSeconds: WarehouseStatus['lakeLagSeconds'];
    readonly errorsWaiting: Readonly<Partial<Record<LakeTableName, number>>>;
  };
  readonly warehouse: WarehouseStatus['warehouse'];
  readonly endToEnd: WarehouseStatus['endToEnd'];
  readonly lag: {
    readonly lake: number | null;
    readonly warehouse: number | null;
    readonly endToEnd: number | null;
  };
}

/** Reads the document: the warehouse in one read-only transaction, the error prefixes beside it. */
export async function readApiStatus(warehouse: WarehouseReader, lake: ObjectStore): Promise<ApiStatus> {
  const [stored, errorsWaiting] = await Promise.all([
    warehouse.read((client) => readWarehouseStatus(client)),
    countErrorObjects(lake),
  ]);
  return {
    lake: { lagSeconds: stored.lakeLagSeconds, errorsWaiting },
    warehouse: stored.warehouse,
    endToEnd: stored.endToEnd,
    lag: {
      lake: slowestLakeLag(stored),
      warehouse: stored.warehouse.lagSeconds,
      endToEnd: stored.endToEnd.p95,
    },
  };
}

/** Objects under `errors/<table>/`, per lake table (tables with none left out). */
async function countErrorObjects(lake: ObjectStore): Promise<Partial<Record<LakeTableName, number>>> {
  const counts: Partial<Record<LakeTableName, number>> = {};
  const listed = await Promise.all(
    LAKE_TABLE_NAMES.map(
      async (table) => [table, (await lake.list(`${LAKE_PREFIXES.errors}${table}/`)).length] as const,
    ),
  );
  for (const [table, n] of listed) if (n > 0) counts[table] = n;
  return counts;
}
