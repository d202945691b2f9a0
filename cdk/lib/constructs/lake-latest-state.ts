/**
 * @module
 * The latest-state side of the Glue catalog (core/schema/lake-snapshots.ts), built from the same schema as the
 * lake tables: per lake table, the Glue table `<table>_snapshot` over `snapshots/<table>/<snapshot_lsn>/`
 * (compaction's state snapshots; `snapshot_lsn` is an injected projection, so every query names one snapshot and
 * Athena lists only its folder) and the view `<table>_latest`.
 *
 * Why Glue views made here and replaced by compaction: Athena has no view resource in CloudFormation, and a
 * custom resource running `CREATE VIEW` would need a Lambda and Athena rights in the stateful stack. A Glue table
 * of type VIRTUAL_VIEW carrying the Presto view text is what Athena's own `CREATE VIEW` stores, so CDK creates
 * each view with its snapshot-less definition (core/latest-view-sql.ts: the whole history, always correct), and
 * the compaction Lambda replaces it with `CREATE OR REPLACE VIEW` over the new snapshot after each one
 * (functions/compaction/). A redeploy that changes a view puts the snapshot-less one back until the next run.
 * The market tables (core/schema/market-lake-tables.ts) get a `<table>_latest` view only: they have no snapshots.
 */
import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { snapshotPrefix } from '../../../core/lake-layout.ts';
import { latestViewSelect, marketLatestViewSelect } from '../../../core/latest-view-sql.ts';
import {
  latestViewName,
  SNAPSHOT_PARTITION_COLUMN,
  snapshotColumns,
  snapshotTableName,
} from '../../../core/schema/lake-snapshots.ts';
import {
  LAKE_TABLE_NAMES,
  LAKE_TABLES,
  type LakeColumn,
  type LakeColumnType,
  lakeColumns,
  PARTITION_COLUMN,
} from '../../../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLE_NAMES, MARKET_LAKE_TABLES } from '../../../core/schema/market-lake-tables.ts';
import { parquetStorage } from './lake-catalog.ts';

/** Props of {@link LakeLatestState}. */
export interface LakeLatestStateProps {
  readonly bucket: s3.IBucket;
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
}

/** The type names of a Presto (Athena) view's column list. */
const VIEW_TYPES: { readonly [T in LakeColumnType]: string } = {
  int: 'integer',
  bigint: 'bigint',
  string: 'varchar',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  'decimal(10,2)': 'decimal(10,2)',
  'decimal(18,8)': 'decimal(18,8)',
};

/** The snapshot tables and `_latest` views of every lake table. */
export class LakeLatestState extends Construct {
  /** Names of the Glue tables and views made here (for glue:GetTable grants). */
  readonly tableNames: readonly string[];

  constructor(scope: Construct, id: string, props: LakeLatestStateProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const names: string[] = [];
    for (const name of LAKE_TABLE_NAMES) {
      const table = LAKE_TABLES[name];
      const location = `s3://${props.bucket.bucketName}/${snapshotPrefix(name)}`;
      const snapshot = new glue.CfnTable(this, snapshotTableName(name), {
        catalogId: account,
        databaseName: props.databaseName,
        tableInput: {
          name: snapshotTableName(name),
          description: `State snapshots of ${name}: every key's newest version at one LSN, written by compaction.`,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            classification: 'parquet',
            EXTERNAL: 'TRUE',
            'projection.enabled': 'true',
            [`projection.${SNAPSHOT_PARTITION_COLUMN.name}.type`]: 'injected',
            'storage.location.template': `${location}\${${SNAPSHOT_PARTITION_COLUMN.name}}/`,
          },
          partitionKeys: [
            {
              name: SNAPSHOT_PARTITION_COLUMN.name,
              type: SNAPSHOT_PARTITION_COLUMN.type,
              comment: SNAPSHOT_PARTITION_COLUMN.comment,
            },
          ],
          storageDescriptor: parquetStorage(location, snapshotColumns(table)),
        },
      });
      snapshot.addResourceDependency(props.database);
      this.#latestView(props, {
        name: latestViewName(name),
        description: `The newest version of every ${name} key, deleted keys left out.`,
        sql: latestViewSelect(name, undefined),
        columns: [...lakeColumns(table), PARTITION_COLUMN],
      });
      names.push(snapshotTableName(name), latestViewName(name));
    }
    // Market tables have no snapshots: their view reads the whole table, which grows by a few rows a day, and
    // stays as created here (compaction never replaces it).
    for (const name of MARKET_LAKE_TABLE_NAMES) {
      this.#latestView(props, {
        name: latestViewName(name),
        description: `The newest fetch of every ${name} observation key.`,
        sql: marketLatestViewSelect(name),
        columns: [...MARKET_LAKE_TABLES[name].columns, PARTITION_COLUMN],
      });
      names.push(latestViewName(name));
    }
    this.tableNames = names;
  }

  /** A Glue VIRTUAL_VIEW Athena reads as `CREATE VIEW name AS sql` with `columns`. */
  #latestView(
    props: LakeLatestStateProps,
    definition: {
      readonly name: string;
      readonly description: string;
      readonly sql: string;
      readonly columns: readonly LakeColumn[];
    },
  ): glue.CfnTable {
    const { name, description, sql, columns } = definition;
    const view = {
      originalSql: sql,
      catalog: 'awsdatacatalog',
      schema: props.databaseName,
      columns: columns.map((c) => ({ name: c.name, type: VIEW_TYPES[c.type] })),
      owner: 'totesys-stream',
      runAsInvoker: false,
      properties: {},
    };
    const latest = new glue.CfnTable(this, name, {
      catalogId: Stack.of(this).account,
      databaseName: props.databaseName,
      tableInput: {
        name,
        description,
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(view)).toString('base64')} */`,
        viewExpandedText: '/* Presto View */',
        storageDescriptor: {
          columns: columns.map((c) => ({ name: c.name, type: c.type })),
          serdeInfo: {},
        },
      },
    });
    latest.addResourceDependency(props.database);
    return latest;
  }
}
