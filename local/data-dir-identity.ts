/**
 * @module
 * A data dir tied to its source and warehouse (README, "Where state lives"). Its lake, reader state and spool
 * describe one source (cluster system identifier, database, slot, publication) loaded into one warehouse; the
 * warehouse's `pipeline.source_identity` names the source its cut comes from. {@link bindPipelineIdentity}
 * refuses a run whose databases do not match what was recorded, before anything is started or written, and
 * records the identity where it is missing (the first run of a data dir or a warehouse).
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { z } from 'zod';
import { marketTableOfStream } from '../core/delivery-stream-spec.ts';
import { isMarketLakeTableName } from '../core/schema/market-lake-tables.ts';
import { createClient } from '../postgres/connections.ts';
import { type DatabaseIdentity, databaseIdentity, inspectSlot } from '../source/source-inspector.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from './data-dir-layout.ts';
import { type LocalPipelineOptions, pipelineNames } from './pipeline-options.ts';

/** The source as the pipeline reads it. */
export interface SourceIdentity extends DatabaseIdentity {
  readonly slot: string;
  readonly publication: string;
}

/** The databases of one run. */
export interface PipelineIdentity {
  readonly source: SourceIdentity;
  readonly warehouse: DatabaseIdentity;
}

/** The run's databases do not belong with its data dir or with each other; the message says what to do. */
export class IdentityMismatchError extends Error {
  override readonly name = 'IdentityMismatchError';
}

const DATABASE = z.object({ systemIdentifier: z.string(), database: z.string() });
const IDENTITY_FILE = z.object({
  version: z.literal(1),
  source: DATABASE.extend({ slot: z.string(), publication: z.string() }),
  warehouse: DATABASE,
  recordedAt: z.string(),
});

function describeDatabase(identity: DatabaseIdentity): string {
  return `database "${identity.database}" of the cluster with system identifier ${identity.systemIdentifier}`;
}

function describeSource(source: SourceIdentity): string {
  return `${describeDatabase(source)} (slot ${source.slot}, publication ${source.publication})`;
}

/** True when both name the same database of the same cluster. */
export function sameDatabase(a: DatabaseIdentity, b: DatabaseIdentity): boolean {
  return a.systemIdentifier === b.systemIdentifier && a.database === b.database;
}

/** True when both are the same source read through the same slot and publication. */
export function sameSource(a: SourceIdentity, b: SourceIdentity): boolean {
  return sameDatabase(a, b) && a.slot === b.slot && a.publication === b.publication;
}

/** What the data dir recorded, or undefined when it never did. */
export async function readDataDirIdentity(dataDir: string): Promise<PipelineIdentity | undefined> {
  const path = pipelinePaths(dataDir).identity;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = IDENTITY_FILE.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new IdentityMismatchError(
      `${path} is not a data dir identity (${parsed.error.issues[0]?.message}); restore it, or give this run a new --data-dir.`,
    );
  return parsed.data;
}

/**
 * True when the data dir already holds pipeline state (a lake, reader state or spool) of some source. Market
 * data (its lake tables and delivery streams' spools, README "Market data") belongs to no source: a data dir
 * that `collect` filled before the first `up` is still a fresh one.
 */
async function holdsState(dataDir: string): Promise<boolean> {
  const paths = pipelinePaths(dataDir);
  const entries = async (dir: string) => readdir(dir).catch(() => [] as string[]);
  if ((await entries(paths.state)).length > 0) return true;
  if ((await entries(paths.spool)).some((stream) => marketTableOfStream(stream) === undefined)) return true;
  for (const bucket of await entries(paths.lake)) {
    if (bucket !== LOCAL_LAKE_BUCKET) return true;
    const tables = await entries(join(paths.lake, bucket));
    if (tables.some((table) => !isMarketLakeTableName(table))) return true;
  }
  return false;
}

interface SourceRow {
  system_identifier: string;
  database_name: string;
  slot_name: string;
  publication_name: string;
}

/** The source the warehouse's cut comes from, or undefined when none was recorded. */
export async function warehouseSource(warehouse: pg.ClientBase): Promise<SourceIdentity | undefined> {
  const exists = await warehouse.query<{ ok: boolean }>(
    "SELECT to_regclass('pipeline.source_identity') IS NOT NULL AS ok",
  );
  if (!exists.rows[0]?.ok) return undefined;
  const row = (await warehouse.query<SourceRow>('SELECT * FROM pipeline.source_identity WHERE id = 1'))
    .rows[0];
  return row
    ? {
        systemIdentifier: row.system_identifier,
        database: row.database_name,
        slot: row.slot_name,
        publication: row.publication_name,
      }
    : undefined;
}

/** Refuses a warehouse whose cut came from another source than `source`. */
export function assertWarehouseFrom(
  recorded: SourceIdentity | undefined,
  source: SourceIdentity,
  warehouse: DatabaseIdentity,
  compare: (a: SourceIdentity, b: SourceIdentity) => boolean = sameSource,
): void {
  if (recorded === undefined || compare(recorded, source)) return;
  throw new IdentityMismatchError(
    `The warehouse (${describeDatabase(warehouse)}) holds a cut from ${describeSource(recorded)}, not from this ` +
      `run's source, ${describeSource(source)}. Nothing was loaded. Give this source a warehouse database of its ` +
      'own (--warehouse-url), or run with the source this warehouse was loaded from.',
  );
}

/** Options of {@link bindPipelineIdentity}. */
export interface BindIdentityOptions {
  readonly dataDir: string;
  readonly current: PipelineIdentity;
  /** A migrated warehouse (the `pipeline` schema exists). */
  readonly warehouse: pg.ClientBase;
  /** Whether the source has the run's replication slot already. */
  readonly slotExists: boolean;
}

/**
 * Checks that the data dir, the warehouse and the run's source belong together, then records the identity in
 * the data dir and the warehouse where it is missing. Throws {@link IdentityMismatchError} before writing.
 * A data dir from before identities were recorded that holds state is adopted only when the source has its
 * slot (a source without it cannot be where that state came from).
 */
export async function bindPipelineIdentity(options: BindIdentityOptions): Promise<void> {
  const { dataDir, current } = options;
  const recorded = await readDataDirIdentity(dataDir);
  if (recorded && !sameSource(recorded.source, current.source))
    throw new IdentityMismatchError(
      `The data dir ${dataDir} belongs to another source: its lake and reader state are those of ` +
        `${describeSource(recorded.source)}, but this run's source is ${describeSource(current.source)}. ` +
        'Nothing was started. Give this source a data dir of its own (--data-dir <new dir>), or run with the ' +
        'source this data dir belongs to.',
    );
  if (recorded && !sameDatabase(recorded.warehouse, current.warehouse))
    throw new IdentityMismatchError(
      `The data dir ${dataDir} loads ${describeDatabase(recorded.warehouse)}, but this run's warehouse is ` +
        `${describeDatabase(current.warehouse)}. Nothing was started. Run with the warehouse this data dir ` +
        'loads, or load the other warehouse from a data dir and a slot of its own (--data-dir, TOTESYS_SLOT).',
    );
  if (!recorded && !options.slotExists && (await holdsState(dataDir)))
    throw new IdentityMismatchError(
      `The data dir ${dataDir} holds a lake and reader state that recorded no source, and this run's source ` +
        `(${describeSource(current.source)}) has no slot ${current.source.slot}, so they are not its. Nothing ` +
        'was started. Give this source a data dir of its own (--data-dir <new dir>), or, if it is really ' +
        "this source's, delete the data dir's state/, lake/ and firehose-spool/ to start afresh.",
    );
  assertWarehouseFrom(await warehouseSource(options.warehouse), current.source, current.warehouse);

  if (!recorded) await writeIdentityFile(dataDir, current);
  await options.warehouse.query(
    `INSERT INTO pipeline.source_identity (id, system_identifier, database_name, slot_name, publication_name)
     VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
    [
      current.source.systemIdentifier,
      current.source.database,
      current.source.slot,
      current.source.publication,
    ],
  );
}

async function writeIdentityFile(dataDir: string, identity: PipelineIdentity): Promise<void> {
  const path = pipelinePaths(dataDir).identity;
  const document: z.infer<typeof IDENTITY_FILE> = {
    version: 1,
    source: { ...identity.source },
    warehouse: {
      systemIdentifier: identity.warehouse.systemIdentifier,
      database: identity.warehouse.database,
    },
    recordedAt: new Date().toISOString(),
  };
  // Written whole or not at all: a crash never leaves half an identity.
  await writeFile(`${path}.tmp`, `${JSON.stringify(document, null, 2)}\n`, { flush: true });
  await rename(`${path}.tmp`, path);
}

/**
 * Refuses, reading only, a warehouse whose cut came from another database than the source at `sourceUrl`
 * (`reconcile`, and `sync` waiting for a running `up`). Slot and publication are compared when given.
 */
export async function assertWarehouseLoadsFrom(
  sourceUrl: string,
  warehouseUrl: string,
  names?: { readonly slot: string; readonly publication: string },
): Promise<void> {
  const source = createClient({ connectionString: sourceUrl });
  const warehouse = createClient({ connectionString: warehouseUrl });
  await source.connect();
  try {
    await warehouse.connect();
    const sourceDb = await databaseIdentity(source);
    const recorded = await warehouseSource(warehouse);
    const current = {
      ...sourceDb,
      slot: names?.slot ?? recorded?.slot ?? '',
      publication: names?.publication ?? recorded?.publication ?? '',
    };
    assertWarehouseFrom(
      recorded,
      current,
      await databaseIdentity(warehouse),
      names ? sameSource : sameDatabase,
    );
  } finally {
    await warehouse.end().catch(() => undefined);
    await source.end();
  }
}

/** Refuses a run whose data dir, source and warehouse do not belong together; records them on a first run. */
export async function bindRunIdentity(
  options: Pick<LocalPipelineOptions, 'sourceUrl' | 'dataDir' | 'slot' | 'publication'>,
  warehouse: pg.Client,
): Promise<void> {
  const names = pipelineNames(options);
  const source = createClient({ connectionString: options.sourceUrl });
  await source.connect();
  try {
    const sourceDb = await databaseIdentity(source);
    // Slot names are per cluster: a slot of that name for another database is not this source's.
    const slot = await inspectSlot(source, names.slot);
    await bindPipelineIdentity({
      dataDir: options.dataDir,
      current: { source: { ...sourceDb, ...names }, warehouse: await databaseIdentity(warehouse) },
      warehouse,
      slotExists: slot !== undefined && slot.database === sourceDb.database,
    });
  } finally {
    await source.end();
  }
}
