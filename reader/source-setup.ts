/**
 * @module
 * Source checks and set-up before the reader streams: `wal_level`, the role's privileges, each table's replica
 * identity, and the publication over the 11 tables (created or completed when missing). Every problem is
 * collected and reported at once, each with the statement (plain PostgreSQL and RDS) that fixes it.
 */

import type pg from 'pg';
import type { FailureKind } from '../core/failure-kind.ts';
import { SOURCE_TABLE_NAMES } from '../core/schema/source-tables.ts';
import { inspectSlot, type SlotFacts } from '../source/source-inspector.ts';

/** Names the reader replicates through; both are validated before they are quoted into SQL. */
export interface ReplicationNames {
  readonly slot: string;
  readonly publication: string;
}

/** The source cannot be streamed from as it is; `problems` lists each missing setting or privilege. */
export class SourceCheckError extends Error {
  override readonly name = 'SourceCheckError';
  /** Trying again cannot help until a person changes the source (core/failure-kind.ts). */
  readonly failureKind: FailureKind = 'deterministic';
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(
      `The source database is not ready for the reader:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      options,
    );
    this.problems = problems;
  }
}

const NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Rejects slot or publication names that are not plain lower-case identifiers. */
export function validateReplicationNames(names: ReplicationNames): void {
  for (const [what, value] of Object.entries(names)) {
    if (!NAME_PATTERN.test(value)) {
      throw new SourceCheckError([
        `The ${what} name "${value}" is not allowed: use 1-63 lower-case letters, digits or underscores, ` +
          'starting with a letter or underscore.',
      ]);
    }
  }
}

interface RoleFacts {
  user: string;
  superuser: boolean;
  replication: boolean;
  rds_replication: boolean;
  create_on_database: boolean;
  database: string;
}

interface TableFacts {
  name: string;
  exists: boolean;
  can_select: boolean;
  owned: boolean;
  replident: string | null;
  has_pk: boolean;
}

/**
 * Checks the source and creates or completes the publication. Throws {@link SourceCheckError} listing every
 * problem it found. Safe to run on every start: it changes nothing on a ready source.
 */
export async function prepareSource(client: pg.ClientBase, names: ReplicationNames): Promise<void> {
  validateReplicationNames(names);
  const problems: string[] = [];

  const walLevel = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level;
  if (walLevel !== 'logical') {
    problems.push(
      `wal_level is "${walLevel}", logical decoding needs "logical". Plain PostgreSQL: ALTER SYSTEM SET ` +
        'wal_level = logical; then restart the server. RDS/Aurora: set rds.logical_replication = 1 in the ' +
        "instance's parameter group and reboot.",
    );
  }

  const role = (
    await client.query<RoleFacts>(
      `SELECT current_user AS user, r.rolsuper AS superuser, r.rolreplication AS replication,
              COALESCE((SELECT pg_has_role(current_user, oid, 'member') FROM pg_roles
                         WHERE rolname = 'rds_replication'), false) AS rds_replication,
              has_database_privilege(current_database(), 'CREATE') AS create_on_database,
              current_database() AS database
         FROM pg_roles r WHERE r.rolname = current_user`,
    )
  ).rows[0]!;
  if (!role.superuser && !role.replication && !role.rds_replication) {
    problems.push(
      `Role "${role.user}" may not stream changes. Plain PostgreSQL: ALTER ROLE "${role.user}" WITH REPLICATION; ` +
        `RDS/Aurora: GRANT rds_replication TO "${role.user}";`,
    );
  }

  const tables = (
    await client.query<TableFacts>(
      `SELECT t.name, c.oid IS NOT NULL AS exists,
              COALESCE(has_table_privilege(c.oid, 'SELECT'), false) AS can_select,
              COALESCE(pg_has_role(c.relowner, 'USAGE'), false) AS owned,
              c.relreplident::text AS replident,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk
         FROM unnest($1::text[]) AS t(name)
         LEFT JOIN pg_class c ON c.oid = to_regclass('public.' || quote_ident(t.name))`,
      [SOURCE_TABLE_NAMES],
    )
  ).rows;
  const missing = SOURCE_TABLE_NAMES.filter((name) =>
    tables.some((table) => table.name === name && !table.exists),
  );
  if (missing.length > 0) {
    problems.push(
      `Table(s) ${missing.join(', ')} do not exist in schema public: point --source-url at the totesys ` +
        'database, or create the schema on an empty database with `totesys-stream seed` or `import --dump`.',
    );
  }
  for (const table of tables) {
    if (!table.exists) continue;
    if (!table.can_select) {
      problems.push(
        `Role "${role.user}" cannot read public.${table.name}; GRANT SELECT ON public.${table.name} TO "${role.user}";`,
      );
    }
    if (table.replident === 'n' || (table.replident === 'd' && !table.has_pk)) {
      problems.push(
        `Table public.${table.name} has no usable replica identity (${table.replident === 'n' ? 'NOTHING' : 'no primary key'}), ` +
          `so its updates and deletes cannot be streamed; run ALTER TABLE public.${table.name} ADD PRIMARY KEY (...) ` +
          `or ALTER TABLE public.${table.name} REPLICA IDENTITY DEFAULT;`,
      );
    }
  }
  if (problems.length > 0) throw new SourceCheckError(problems);

  await ensurePublication(client, names.publication, role, tables);
}

async function ensurePublication(
  client: pg.ClientBase,
  publication: string,
  role: RoleFacts,
  tables: readonly TableFacts[],
): Promise<void> {
  const found = await client.query<{
    pubinsert: boolean;
    pubupdate: boolean;
    pubdelete: boolean;
    pubtruncate: boolean;
  }>('SELECT pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication WHERE pubname = $1', [
    publication,
  ]);
  const quoted = client.escapeIdentifier(publication);
  const tableList = SOURCE_TABLE_NAMES.map((name) => `public.${client.escapeIdentifier(name)}`).join(', ');
  const notOwned = tables.filter((table) => !table.owned).map((table) => table.name);
  const ownerHint =
    `Run as the tables' owner (or an RDS master user): CREATE PUBLICATION ${publication} FOR TABLE ` +
    `${SOURCE_TABLE_NAMES.map((name) => `public.${name}`).join(', ')};`;

  const existing = found.rows[0];
  if (!existing) {
    if (!role.superuser && (!role.create_on_database || notOwned.length > 0)) {
      throw new SourceCheckError([
        `Publication "${publication}" does not exist and role "${role.user}" cannot create it ` +
          `(${!role.create_on_database ? `no CREATE on database "${role.database}"` : `does not own ${notOwned.join(', ')}`}). ${ownerHint}`,
      ]);
    }
    await client.query(`CREATE PUBLICATION ${quoted} FOR TABLE ${tableList}`);
    return;
  }
  if (!existing.pubinsert || !existing.pubupdate || !existing.pubdelete || !existing.pubtruncate) {
    throw new SourceCheckError([
      `Publication "${publication}" does not publish every operation; run ALTER PUBLICATION ${publication} ` +
        "SET (publish = 'insert, update, delete, truncate');",
    ]);
  }
  const published = await client.query<{ tablename: string }>(
    "SELECT tablename FROM pg_publication_tables WHERE pubname = $1 AND schemaname = 'public'",
    [publication],
  );
  const have = new Set(published.rows.map((row) => row.tablename));
  const missing = SOURCE_TABLE_NAMES.filter((name) => !have.has(name));
  if (missing.length === 0) return;
  if (!role.superuser && missing.some((name) => notOwned.includes(name))) {
    throw new SourceCheckError([
      `Publication "${publication}" lacks ${missing.join(', ')}; as the tables' owner run ALTER PUBLICATION ` +
        `${publication} ADD TABLE ${missing.map((name) => `public.${name}`).join(', ')};`,
    ]);
  }
  const addList = missing.map((name) => `public.${client.escapeIdentifier(name)}`).join(', ');
  await client.query(`ALTER PUBLICATION ${quoted} ADD TABLE ${addList}`);
}

/** Looks the slot up and checks it is ours to use: pgoutput, this database, no WAL lost. */
export async function findSlot(client: pg.ClientBase, slot: string): Promise<SlotFacts | undefined> {
  const row = await inspectSlot(client, slot);
  if (!row) return undefined;
  const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
  if (row.plugin !== 'pgoutput' || row.database !== database) {
    throw new SourceCheckError([
      `Replication slot "${slot}" exists but belongs to ${row.plugin === 'pgoutput' ? `database "${row.database}"` : `plugin "${row.plugin}"`}; ` +
        `choose another slot name or drop it with SELECT pg_drop_replication_slot('${slot}');`,
    ]);
  }
  if (row.walStatus === 'lost') {
    throw new SourceCheckError([
      `Replication slot "${slot}" has lost WAL it needed (wal_status = lost), so changes are missing. Drop it ` +
        `(SELECT pg_drop_replication_slot('${slot}');) and the reader will snapshot every table again.`,
    ]);
  }
  return row;
}
