/**
 * @module
 * The embedded default: a real PostgreSQL cluster under the data dir, with logical replication on, holding
 * the `totesys` source database and the `warehouse` database.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '../postgres/connections.ts';
import { postgresBinaries, type ServerUser, serverUser, traversableByOthers } from './postgres-binaries.ts';

const run = promisify(execFile);

/** The PostgreSQL major version the embedded binaries ship. */
const MAJOR_VERSION = '18';

/** Settings written into postgresql.conf when the cluster is created. */
const SERVER_SETTINGS = [
  "listen_addresses = '127.0.0.1'",
  // TCP only: a socket path under a deep data dir can exceed the 107-byte limit of Unix sockets.
  "unix_socket_directories = ''",
  'wal_level = logical',
  'max_replication_slots = 20',
  'max_wal_senders = 20',
  'max_connections = 200',
];

/** Where and how to run the embedded cluster. */
export interface EmbeddedPostgresOptions {
  /** The cluster's data directory (created when missing). */
  readonly dataDir: string;
  /** The TCP port on 127.0.0.1; a free one is picked when absent. */
  readonly port?: number;
}

/** A running embedded cluster. Connection URLs hold the password: never print them. */
export interface EmbeddedCluster {
  readonly port: number;
  readonly adminUrl: string;
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  /** False when another process had already started the cluster and this one attached to it. */
  readonly startedHere: boolean;
  /** Stops the cluster (fast shutdown: open transactions roll back, committed data is kept). */
  stop(): Promise<void>;
}

/** The data dir cannot hold a cluster; the message says why and what to do. */
export class DataDirUnusableError extends Error {
  override readonly name = 'DataDirUnusableError';
}

/** The requested port is taken by another process. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

/** PostgreSQL did not start; the message carries the tail of its log (no secrets are logged there). */
export class PostgresStartError extends Error {
  override readonly name = 'PostgresStartError';
}

/**
 * Starts the embedded cluster, creating it on first use, or attaches to it when it is already running.
 *
 * A `postmaster.pid` left by a crash is removed when its process is gone, so the next start recovers.
 *
 * @example
 * const cluster = await startEmbeddedPostgres({ dataDir: '.totesys-stream/pg' });
 * try { ... } finally { await cluster.stop(); }
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedCluster> {
  const user = await serverUser();
  const dataDir = await serverDataDir(resolve(options.dataDir), user);
  const binaries = await postgresBinaries();
  const password = await prepareDataDir(dataDir, user, binaries.initdb);

  const running = await runningServer(dataDir);
  if (running) return cluster(dataDir, running.port, password, false, binaries.pgCtl, user);

  const port = options.port ?? (await freePort());
  if (options.port !== undefined) await assertPortFree(options.port);
  const logFile = join(dataDir, 'postgresql.log');
  try {
    await run(binaries.pgCtl, ['start', '-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', `-p ${port}`], {
      uid: user.uid,
      gid: user.gid,
    });
  } catch (cause) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    const tail = log.trim().split('\n').slice(-8).join('\n');
    if (/could not bind|Address already in use/.test(tail)) {
      throw new PortInUseError(`Port ${port} on 127.0.0.1 is in use; choose another with --pg-port.`, {
        cause,
      });
    }
    throw new PostgresStartError(`PostgreSQL did not start in ${dataDir}. Its log ends with:\n${tail}`, {
      cause,
    });
  }
  const started = cluster(dataDir, port, password, true, binaries.pgCtl, user);
  await createDatabases(started.adminUrl);
  return started;
}

function cluster(
  dataDir: string,
  port: number,
  password: string,
  startedHere: boolean,
  pgCtl: string,
  user: ServerUser,
): EmbeddedCluster {
  const url = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    port,
    adminUrl: url('postgres'),
    sourceUrl: url('totesys'),
    warehouseUrl: url('warehouse'),
    startedHere,
    async stop() {
      if (!(await runningServer(dataDir))) return;
      await run(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], {
        uid: user.uid,
        gid: user.gid,
      });
    },
  };
}

/**
 * The directory the server really uses. Root runs PostgreSQL as `postgres`; when that user cannot enter the
 * requested data dir (a checkout under a 0700 directory), the cluster lives in a shared temp directory named
 * after the requested path, so the same --data-dir always finds the same cluster.
 */
async function serverDataDir(dataDir: string, user: ServerUser): Promise<string> {
  if (user.uid === undefined) return dataDir;
  await mkdir(dirname(dataDir), { recursive: true }).catch(() => undefined);
  if (await traversableByOthers(dirname(dataDir)).catch(() => false)) return dataDir;
  const digest = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const shadow = join(tmpdir(), `totesys-stream-${digest}`);
  await mkdir(shadow, { recursive: true, mode: 0o755 });
  await chmod(shadow, 0o755);
  return join(shadow, 'pg');
}

/** Makes sure the data dir holds a cluster of the right version and returns its password. */
async function prepareDataDir(dataDir: string, user: ServerUser, initdb: string): Promise<string> {
  const passwordFile = `${dataDir}.password`;
  const info = await stat(dataDir).catch(() => undefined);
  if (info && !info.isDirectory()) {
    throw new DataDirUnusableError(`The data dir ${dataDir} is a file; choose a directory with --data-dir.`);
  }
  const version = await readFile(join(dataDir, 'PG_VERSION'), 'utf8').catch(() => undefined);
  if (version !== undefined) {
    if (version.trim() !== MAJOR_VERSION) {
      throw new DataDirUnusableError(
        `The data dir ${dataDir} holds a PostgreSQL ${version.trim()} cluster, but the embedded server is ` +
          `PostgreSQL ${MAJOR_VERSION}. Choose another --data-dir, or remove that directory to start afresh.`,
      );
    }
    const password = await readFile(passwordFile, 'utf8').catch((cause: unknown) => {
      throw new DataDirUnusableError(
        `The password file ${passwordFile} of the cluster in ${dataDir} is missing or unreadable; ` +
          'remove the data dir to start afresh.',
        { cause },
      );
    });
    return password.trim();
  }
  if (info && (await readdir(dataDir)).length > 0) {
    throw new DataDirUnusableError(
      `The data dir ${dataDir} is not empty and holds no PostgreSQL cluster; choose an empty or new directory.`,
    );
  }
  return initialise(dataDir, passwordFile, user, initdb);
}

async function initialise(dataDir: string, passwordFile: string, user: ServerUser, initdb: string) {
  try {
    await mkdir(dirname(dataDir), { recursive: true });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new DataDirUnusableError(`Cannot create the data dir ${dataDir}; choose a writable --data-dir.`, {
      cause,
    });
  }
  if (user.uid !== undefined) await chown(dataDir, user.uid, user.gid ?? user.uid);
  const password = randomBytes(18).toString('base64url');
  // initdb reads the superuser password from a file; it lives beside the data dir, readable only by us.
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user.uid !== undefined) await chown(passwordFile, user.uid, user.gid ?? user.uid);
  try {
    await run(
      initdb,
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=scram-sha-256',
        `--pwfile=${passwordFile}`,
        '-E',
        'UTF8',
        '--no-locale',
      ],
      { uid: user.uid, gid: user.gid },
    );
  } catch (cause) {
    await rm(dataDir, { recursive: true, force: true });
    throw new DataDirUnusableError(`initdb failed in ${dataDir}: ${(cause as Error).message}`, { cause });
  } finally {
    if (user.uid !== undefined) await chown(passwordFile, 0, 0);
    await chmod(passwordFile, 0o600);
  }
  const conf = join(dataDir, 'postgresql.conf');
  await writeFile(conf, `${await readFile(conf, 'utf8')}\n# totesys-stream\n${SERVER_SETTINGS.join('\n')}\n`);
  return password;
}

/** The server recorded in postmaster.pid when its process is alive; a stale file is removed. */
async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const lines = (await readFile(pidFile, 'utf8').catch(() => '')).split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid)) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  // A SIGKILLed postmaster stays a zombie (state Z, name still postgres) until its parent reaps it, which in
  // a container can take a while: it is dead all the same.
  if (/^Name:\s+postgres$/m.test(status) && !/^State:\s+Z/m.test(status)) return { pid, port };
  // The process is gone (or the pid was reused by something else): a crash left the file behind.
  await rm(pidFile, { force: true });
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()));
    });
  });
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolveFree, reject) => {
    const server = createServer();
    server.once('error', (cause) =>
      reject(
        new PortInUseError(`Port ${port} on 127.0.0.1 is in use; choose another with --pg-port.`, { cause }),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree()));
  });
}

async function createDatabases(adminUrl: string): Promise<void> {
  const client = createClient({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const name of ['totesys', 'warehouse']) {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
}
