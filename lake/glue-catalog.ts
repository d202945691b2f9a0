/**
 * @module
 * The lake's catalog on AWS Glue. The Glue database and tables belong to the CDK lake stack (CloudFormation owns their
 * definitions), so this adapter never creates them: it checks that each one exists with the columns of
 * `core/schema/lake-tables.ts`, and says which is missing or drifted and that `cdk deploy` puts it right.
 */
import { EntityNotFoundException, GetTableCommand, type GlueClient } from '@aws-sdk/client-glue';
import {
  GLUE_DATABASE,
  LAKE_TABLE_NAMES,
  LAKE_TABLES,
  type LakeTableLocation,
  type LakeTableName,
  lakeColumns,
} from '../core/schema/lake-tables.ts';

/** Where the Glue catalog and the lake bucket are. */
export interface GlueCatalogOptions {
  readonly client: GlueClient;
  /** The lake bucket (no `s3://`, no slash). */
  readonly bucket: string;
  /** @default GLUE_DATABASE (`totesys_lake`) */
  readonly database?: string;
}

/** One or more lake tables are missing from Glue, or do not have the columns `core/schema/lake-tables.ts` defines. */
export class GlueCatalogMismatchError extends Error {
  override readonly name = 'GlueCatalogMismatchError';
  constructor(
    message: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The Glue tables the CDK lake stack deploys, checked against the lake schema. */
export class GlueCatalog {
  readonly #client: GlueClient;
  readonly #bucket: string;
  readonly #database: string;

  constructor(options: GlueCatalogOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw new RangeError(
        `"${options.bucket}" is not an S3 bucket name; pass the bare name, without s3://.`,
      );
    }
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#database = options.database ?? GLUE_DATABASE;
  }

  /**
   * Checks every lake table exists in Glue with the columns of `core/schema/lake-tables.ts`, in order. Creating them here would
   * fork the schema from CloudFormation's, so a missing or drifted table is an error that names the fix.
   */
  async ensureTables(): Promise<void> {
    const problems: string[] = [];
    let firstCause: unknown;
    for (const name of LAKE_TABLE_NAMES) {
      try {
        const { Table } = await this.#client.send(
          new GetTableCommand({ DatabaseName: this.#database, Name: name }),
        );
        const expected = lakeColumns(LAKE_TABLES[name]).map((c) => `${c.name} ${c.type}`);
        const actual = (Table?.StorageDescriptor?.Columns ?? []).map((c) => `${c.Name} ${c.Type}`);
        const drift = describeDrift(expected, actual);
        if (drift) problems.push(`${this.#database}.${name} ${drift}`);
      } catch (error) {
        if (!(error instanceof EntityNotFoundException)) {
          throw new Error(
            `Could not read Glue table ${this.#database}.${name}: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        firstCause ??= error;
        problems.push(`${this.#database}.${name} does not exist`);
      }
    }
    if (problems.length > 0) {
      throw new GlueCatalogMismatchError(
        `The Glue catalog does not match the lake schema (core/schema/lake-tables.ts): ${problems.join('; ')}. ` +
          'Run `cdk deploy` for the lake stack (npm run synth, then cdk deploy TotesysLake): it creates the ' +
          'database and every table with the columns of the lake schema.',
        problems,
        { cause: firstCause },
      );
    }
  }

  locate(table: LakeTableName): LakeTableLocation {
    return { table, location: `s3://${this.#bucket}/${table}/`, partitionColumn: 'dt' };
  }
}

/** A short sentence on how the deployed columns differ from the expected ones, or undefined when equal. */
function describeDrift(expected: readonly string[], actual: readonly string[]): string | undefined {
  if (expected.length === actual.length && expected.every((c, i) => c === actual[i])) return undefined;
  const missing = expected.filter((c) => !actual.includes(c));
  const extra = actual.filter((c) => !expected.includes(c));
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`lacks column(s) ${missing.join(', ')}`);
  if (extra.length > 0) parts.push(`has unexpected column(s) ${extra.join(', ')}`);
  if (parts.length === 0) parts.push('has its columns in a different order');
  return parts.join(' and ');
}
