/**
 * @module
 * The Glue database, the 11 lake tables and the 3 market lake tables, built from `core/schema/lake-tables.ts` and
 * `core/schema/market-lake-tables.ts` so the catalog, the Firehose conversion schema and the offline DuckDB views
 * cannot drift. Partition projection on `dt` means no crawler and no `ALTER TABLE ADD PARTITION`, ever.
 */
import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  DT_PROJECTION,
  GLUE_DATABASE,
  LAKE_TABLE_NAMES,
  LAKE_TABLES,
  type LakeColumn,
  type LakeTableName,
  lakeColumns,
  PARTITION_COLUMN,
} from '../../../core/schema/lake-tables.ts';
import {
  MARKET_LAKE_TABLE_NAMES,
  MARKET_LAKE_TABLES,
  type MarketLakeTableName,
} from '../../../core/schema/market-lake-tables.ts';

/** A table of the lake: a CDC table or a market table, each with its own delivery stream. */
export type CatalogTableName = LakeTableName | MarketLakeTableName;

/** The storage of a Glue table of Parquet files under `location` with `columns` (lake and snapshot tables). */
export function parquetStorage(
  location: string,
  columns: readonly LakeColumn[],
): glue.CfnTable.StorageDescriptorProperty {
  return {
    location,
    columns: columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
    inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    serdeInfo: {
      serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      parameters: { 'serialization.format': '1' },
    },
    compressed: false,
    storedAsSubDirectories: false,
  };
}

/** Props of {@link LakeCatalog}. */
export interface LakeCatalogProps {
  /** The lake bucket; each table lives under `s3://<bucket>/<table>/`. */
  readonly bucket: s3.IBucket;
  /**
   * The Glue database name.
   * @default GLUE_DATABASE (`totesys_lake`)
   */
  readonly databaseName?: string;
}

/** The Glue database of the lake and one Parquet table per lake and market table, with `dt` projected. */
export class LakeCatalog extends Construct {
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
  /** The L1 tables: Firehose's record format conversion binds to a `CfnTable`. */
  readonly tables: { readonly [T in CatalogTableName]: glue.CfnTable };

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.databaseName = props.databaseName ?? GLUE_DATABASE;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: {
        name: this.databaseName,
        description: 'totesys change-data-capture lake: one table per warehouse table, every row version.',
      },
    });

    const tables: Partial<Record<CatalogTableName, glue.CfnTable>> = {};
    const entries = [
      ...LAKE_TABLE_NAMES.map(
        (name) => [name, LAKE_TABLES[name].description, lakeColumns(LAKE_TABLES[name])] as const,
      ),
      // Market tables carry their own columns only: observations have no CDC metadata (README, "Market data").
      ...MARKET_LAKE_TABLE_NAMES.map(
        (name) => [name, MARKET_LAKE_TABLES[name].description, MARKET_LAKE_TABLES[name].columns] as const,
      ),
    ];
    for (const [name, description, columns] of entries) {
      const location = `s3://${props.bucket.bucketName}/${name}/`;
      const cfnTable = new glue.CfnTable(this, name, {
        catalogId: account,
        databaseName: this.databaseName,
        tableInput: {
          name,
          description,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            classification: 'parquet',
            EXTERNAL: 'TRUE',
            'parquet.compression': 'SNAPPY',
            'projection.enabled': 'true',
            [`projection.${PARTITION_COLUMN.name}.type`]: DT_PROJECTION.type,
            [`projection.${PARTITION_COLUMN.name}.format`]: DT_PROJECTION.format,
            [`projection.${PARTITION_COLUMN.name}.range`]: DT_PROJECTION.range,
            [`projection.${PARTITION_COLUMN.name}.interval`]: DT_PROJECTION.interval,
            [`projection.${PARTITION_COLUMN.name}.interval.unit`]: DT_PROJECTION.intervalUnit,
            // The same layout the Firehose prefix writes: <table>/dt=YYYY-MM-DD/.
            'storage.location.template': `${location}${PARTITION_COLUMN.name}=\${${PARTITION_COLUMN.name}}/`,
          },
          partitionKeys: [
            { name: PARTITION_COLUMN.name, type: PARTITION_COLUMN.type, comment: PARTITION_COLUMN.comment },
          ],
          storageDescriptor: parquetStorage(location, columns),
        },
      });
      cfnTable.addResourceDependency(this.database);
      tables[name] = cfnTable;
    }
    this.tables = tables as { readonly [T in CatalogTableName]: glue.CfnTable };
  }

  /**
   * ARNs of the catalog, the database and the given tables (the CDC lake tables by default; market tables,
   * snapshot tables and views by name): what glue:GetTable needs to be granted on.
   */
  tableArns(names: readonly string[] = LAKE_TABLE_NAMES): string[] {
    const stack = Stack.of(this);
    return [
      stack.formatArn({ service: 'glue', resource: 'catalog' }),
      stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
      ...names.map((n) =>
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${n}` }),
      ),
    ];
  }
}
