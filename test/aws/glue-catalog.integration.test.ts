import {
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteTableCommand,
  GlueClient,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GLUE_DATABASE,
  LAKE_TABLE_NAMES,
  LAKE_TABLES,
  type LakeTableName,
  lakeColumns,
} from '../../core/schema/lake-tables.ts';
import { GlueCatalog, GlueCatalogMismatchError } from '../../lake/glue-catalog.ts';
import { type MotoServer, startMoto } from './moto-server.ts';

let moto: MotoServer;
let glue: GlueClient;

function tableInput(name: LakeTableName, columns = lakeColumns(LAKE_TABLES[name])) {
  return {
    Name: name,
    TableType: 'EXTERNAL_TABLE',
    PartitionKeys: [{ Name: 'dt', Type: 'date' }],
    StorageDescriptor: {
      Location: `s3://lake-bucket/${name}/`,
      Columns: columns.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })),
    },
  };
}

beforeAll(async () => {
  moto = await startMoto();
  glue = new GlueClient(moto.clientConfig);
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: GLUE_DATABASE } }));
  for (const name of LAKE_TABLE_NAMES) {
    await glue.send(new CreateTableCommand({ DatabaseName: GLUE_DATABASE, TableInput: tableInput(name) }));
  }
});

afterAll(async () => {
  glue?.destroy();
  await moto?.stop();
});

describe('GlueCatalog', () => {
  it('accepts a catalog holding every lake table with the columns of the lake schema', async () => {
    const catalog = new GlueCatalog({ client: glue, bucket: 'lake-bucket' });
    await expect(catalog.ensureTables()).resolves.toBeUndefined();
  });

  it('locates a lake table under its own prefix of the bucket', () => {
    const catalog = new GlueCatalog({ client: glue, bucket: 'lake-bucket' });
    expect(catalog.locate('dim_staff')).toEqual({
      table: 'dim_staff',
      location: 's3://lake-bucket/dim_staff/',
      partitionColumn: 'dt',
    });
  });

  it('names every missing table and tells the user that cdk deploy creates it', async () => {
    const catalog = new GlueCatalog({ client: glue, bucket: 'lake-bucket', database: 'no_such_db' });
    const error = (await catalog.ensureTables().catch((e: unknown) => e)) as GlueCatalogMismatchError;
    expect(error).toBeInstanceOf(GlueCatalogMismatchError);
    expect(error.problems).toHaveLength(11);
    expect(error.message).toContain('no_such_db.fact_sales_order does not exist');
    expect(error.message).toContain('cdk deploy');
  });

  it('reports the one table that was dropped, and only that one', async () => {
    await glue.send(new DeleteTableCommand({ DatabaseName: GLUE_DATABASE, Name: 'department' }));
    try {
      const catalog = new GlueCatalog({ client: glue, bucket: 'lake-bucket' });
      const error = (await catalog.ensureTables().catch((e: unknown) => e)) as GlueCatalogMismatchError;
      expect(error.problems).toEqual([`${GLUE_DATABASE}.department does not exist`]);
    } finally {
      await glue.send(
        new CreateTableCommand({ DatabaseName: GLUE_DATABASE, TableInput: tableInput('department') }),
      );
    }
  });

  it('reports a table whose columns drifted from the lake schema, naming the columns', async () => {
    const columns = lakeColumns(LAKE_TABLES.dim_currency).filter((c) => c.name !== 'currency_name');
    await glue.send(
      new UpdateTableCommand({
        DatabaseName: GLUE_DATABASE,
        TableInput: tableInput('dim_currency', columns),
      }),
    );
    try {
      const catalog = new GlueCatalog({ client: glue, bucket: 'lake-bucket' });
      await expect(catalog.ensureTables()).rejects.toThrow(
        `${GLUE_DATABASE}.dim_currency lacks column(s) currency_name string`,
      );
    } finally {
      await glue.send(
        new UpdateTableCommand({ DatabaseName: GLUE_DATABASE, TableInput: tableInput('dim_currency') }),
      );
    }
  });

  it('refuses a bucket given as a URL', () => {
    expect(() => new GlueCatalog({ client: glue, bucket: 's3://lake-bucket' })).toThrow(/without s3:\/\//);
  });
});
