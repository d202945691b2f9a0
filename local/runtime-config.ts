/**
 * @module
 * Where the pipeline's databases are: `--source-url` / `--warehouse-url` (or TOTESYS_SOURCE_URL /
 * TOTESYS_WAREHOUSE_URL), or else the embedded cluster under `<data-dir>/pg`, started here or attached to
 * when another process (say `up` in another terminal) runs it already.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ENV } from '../core/operations.ts';
import { assertReachable, assertSourceReady } from './database-checks.ts';
import { DataDirUnusableError, type EmbeddedCluster, startEmbeddedPostgres } from './embedded-postgres.ts';

/** The default data dir, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.totesys-stream';

/** Options as the user gave them (flags win over environment variables). */
export interface RuntimeOptions {
  readonly dataDir?: string;
  readonly sourceUrl?: string;
  readonly warehouseUrl?: string;
  /** Port of the embedded cluster when this process starts it. */
  readonly pgPort?: number;
}

/** Resolved settings. */
export interface RuntimeSettings {
  readonly dataDir: string;
  readonly sourceUrl: string | undefined;
  readonly warehouseUrl: string | undefined;
  readonly pgPort: number | undefined;
}

/** The databases to use, and the embedded cluster when one is involved. */
export interface Runtime {
  readonly dataDir: string;
  readonly sourceUrl: string;
  /** Empty when the command said it does not need the warehouse and none was given. */
  readonly warehouseUrl: string;
  /** The embedded cluster, when either URL was not given. */
  readonly cluster: EmbeddedCluster | undefined;
  /** Stops the embedded cluster if this process started it; a cluster we attached to keeps running. */
  close(): Promise<void>;
}

/** What a command needs of the runtime. */
export interface RuntimeNeeds {
  readonly warehouse: boolean;
  /**
   * Whether the embedded cluster may be created when the data dir has none (`status` and friends only read:
   * on a mistyped or missing data dir they say so instead of running initdb). @default true
   */
  readonly create?: boolean;
}

/**
 * Refuses a data dir that is a file, and, when `mustExist`, one that does not exist, with a message that says
 * what to do. Nothing is created. Returns whether the data dir exists.
 */
export async function assertDataDirUsable(dataDir: string, mustExist: boolean): Promise<boolean> {
  const found = await stat(dataDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (found && !found.isDirectory())
    throw new DataDirUnusableError(
      `--data-dir ${dataDir} is a file, not a directory. Give a directory (it is created when missing), ` +
        'or leave --data-dir out for .totesys-stream in the current directory.',
    );
  if (!found && mustExist)
    throw new DataDirUnusableError(
      `The data dir ${dataDir} does not exist, so there is nothing to report. \`totesys-stream up\` creates it ` +
        '(with the embedded databases); if it is elsewhere, run from the directory that holds it or pass ' +
        '--data-dir with its path.',
    );
  return found !== undefined;
}

/** Merges flags and environment: a flag wins, then the environment, then the embedded default. */
export function resolveRuntimeSettings(
  options: RuntimeOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RuntimeSettings {
  const nonEmpty = (value: string | undefined) => (value && value.trim() !== '' ? value : undefined);
  return {
    dataDir: resolve(options.dataDir ?? DEFAULT_DATA_DIR),
    sourceUrl: nonEmpty(options.sourceUrl) ?? nonEmpty(env[ENV.sourceUrl]),
    warehouseUrl: nonEmpty(options.warehouseUrl) ?? nonEmpty(env[ENV.warehouseUrl]),
    pgPort: options.pgPort,
  };
}

/**
 * Opens the runtime: checks external databases (the source must be reachable with wal_level=logical; the
 * warehouse reachable), and starts or attaches to the embedded cluster for whichever URL is missing.
 */
export async function openRuntime(
  settings: RuntimeSettings,
  needs: RuntimeNeeds = { warehouse: true },
): Promise<Runtime> {
  // Checked before anything is created (a cluster, a temp dir, a connection).
  const exists = await assertDataDirUsable(settings.dataDir, !settings.sourceUrl && needs.create === false);
  // A command that only reads, given a source but no warehouse, reports the source alone when no embedded
  // warehouse exists yet rather than create one.
  const embeddedNeeded =
    !settings.sourceUrl || (needs.warehouse && !settings.warehouseUrl && (exists || needs.create !== false));
  if (settings.sourceUrl) await assertSourceReady(settings.sourceUrl);
  if (settings.warehouseUrl && needs.warehouse) await assertReachable(settings.warehouseUrl, 'warehouse');
  const cluster = embeddedNeeded
    ? await startEmbeddedPostgres({
        dataDir: join(settings.dataDir, 'pg'),
        ...(settings.pgPort === undefined ? {} : { port: settings.pgPort }),
      })
    : undefined;
  // The embedded cluster was started whenever the source URL was missing, so one of the two is set.
  const sourceUrl = settings.sourceUrl ?? (cluster as EmbeddedCluster).sourceUrl;
  const warehouseUrl = settings.warehouseUrl ?? cluster?.warehouseUrl ?? '';
  return {
    dataDir: settings.dataDir,
    sourceUrl,
    warehouseUrl,
    cluster,
    async close() {
      if (cluster?.startedHere) await cluster.stop();
    },
  };
}
