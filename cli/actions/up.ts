/**
 * @module
 * What `up` does (its options and help are in `cli/commands/up.ts`): serves the dashboard and API, prepares
 * the databases, then runs the services until Ctrl-C. Stops everything cleanly, including the embedded
 * cluster when this process started it.
 */

import type { Command } from 'commander';
import type pg from 'pg';
import { ENV } from '../../core/operations.ts';
import type { Log } from '../../core/ports/log.ts';
import { parseReconnectBudget } from '../../core/reconnect-budget.ts';
import { stopRequest } from '../../core/stop-request.ts';
import { readForecastSettings } from '../../forecast/forecast-settings.ts';
import { DataDirLockedError, dataDirLockHolder } from '../../local/data-dir-lock.ts';
import { untilDatabasesAnswer } from '../../local/database-wait.ts';
import type { LocalHttp } from '../../local/http-service.ts';
import { OFFLINE_MARKET } from '../../local/market-collection.ts';
import type { LocalPipelineOptions } from '../../local/pipeline-options.ts';
import { pipelineService } from '../../local/pipeline-service.ts';
import type { Runtime } from '../../local/runtime-config.ts';
import { superviseStage } from '../../local/stage-supervisor.ts';
import { superviseLocalHttp } from '../../local/supervised-http.ts';
import { terminalLog } from '../../local/terminal-log.ts';
import { redactUrl } from '../../local/url-redaction.ts';
import { createClient } from '../../postgres/connections.ts';
import { firstNonEmptyTable } from '../../source/empty-source.ts';
import { seedSource } from '../../source/seed/seed-source.ts';
import {
  combineSummaries,
  formatSummary,
  type SimulationSummary,
  Simulator,
} from '../../source/simulator/simulator.ts';
import { currentWalLsn } from '../../source/source-inspector.ts';
import { migrateSource } from '../../source/source-migration.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { runtimeFor } from '../command-runtime.ts';
import type { UpOptions } from '../commands/up.ts';
import { startDashboard } from '../dashboard-startup.ts';
import { globalOptions } from '../global-options.ts';
import { progressReporter, snapshotProgressReporter } from '../progress.ts';
import { runServices, type Service, stopSignal } from '../services.ts';

/** Runs everything until Ctrl-C (or until a service fails). */
export async function runUpCommand(options: UpOptions, command: Command): Promise<void> {
  const signal = stopSignal();
  // A source or warehouse that is down at the start is waited for, as the stages wait when it goes away later.
  const wait = {
    signal,
    log: terminalLog(),
    budget: parseReconnectBudget(process.env[ENV.reconnectBudget], ENV.reconnectBudget),
  };
  const runtime = await untilDatabasesAnswer(() => runtimeFor(command), wait);
  if (runtime === undefined) return;
  let http: LocalHttp | undefined;
  try {
    // Said before serving, seeding or migrating anything; the pipeline takes the lock itself when it starts.
    const holder = await dataDirLockHolder(runtime.dataDir);
    if (holder) throw new DataDirLockedError(runtime.dataDir, holder);
    // The dashboard's URL is the first line printed: it answers from the start (its figures fill in as the
    // first loads land).
    if (options.http) {
      const where = {
        warehouseUrl: runtime.warehouseUrl,
        sourceUrl: runtime.sourceUrl,
        dataDir: runtime.dataDir,
      };
      // Restarted on the same port if it ever stops serving (local/supervised-http.ts).
      http = superviseLocalHttp(await startDashboard(options, where), {
        restart: (port) => startDashboard({ ...options, httpPort: port }, where),
        log: wait.log,
        budget: wait.budget,
      });
    }
    await untilDatabasesAnswer(
      () => prepareDatabases(runtime, options, signal, globalOptions(command).progress),
      wait,
    );
    if (signal.aborted) return;
    const failure = new AbortController();
    const services = upServices(runtime, options, (error) => failure.abort(error), {
      onSnapshotProgress: snapshotProgressReporter(globalOptions(command).progress),
    });
    console.log(
      `totesys-stream is up. Source ${redactUrl(runtime.sourceUrl)}, warehouse ${redactUrl(runtime.warehouseUrl)}.` +
        ' Press Ctrl-C to stop.',
    );
    await runServices(services, {
      signal: AbortSignal.any([signal, failure.signal]),
      statusIntervalMs: options.statusInterval * 1000,
      print: (line) => console.log(line),
    });
    if (failure.signal.aborted) throw failure.signal.reason;
  } finally {
    await http?.close();
    await runtime.close();
    console.log(runtime.cluster?.startedHere ? 'Stopped (embedded PostgreSQL stopped).' : 'Stopped.');
  }
}

/** Migrates both databases and seeds the source when it is empty. */
async function prepareDatabases(
  runtime: Runtime,
  options: UpOptions,
  signal: AbortSignal,
  progressFlag?: boolean,
): Promise<void> {
  const source = createClient({ connectionString: runtime.sourceUrl });
  const warehouse = createClient({ connectionString: runtime.warehouseUrl });
  await source.connect();
  try {
    await warehouse.connect();
    await migrateWarehouse(warehouse);
    // An external source belongs to its application: `up` never creates tables in it or fills it with demo
    // data (`seed` and `import` do that when asked). The embedded one is ours to prepare.
    if (!sourceIsEmbedded(runtime)) return;
    await migrateSource(source);
    if ((await firstNonEmptyTable(source)) === undefined) {
      const progress = progressReporter(progressFlag);
      const result = await seedSource(source, {
        scale: options.scale,
        seed: options.seed,
        signal,
        onProgress: (p) => progress.update(`seeding ${p.table}`, p.rows, p.elapsedMs),
      });
      progress.done();
      console.log(
        `Seeded an empty source: ${result.totalRows.toLocaleString('en-GB')} rows (scale ${options.scale}).`,
      );
    }
  } finally {
    await warehouse.end().catch(() => undefined);
    await source.end();
  }
}

/** True when the source is the embedded cluster's `totesys` database rather than one given by URL. */
function sourceIsEmbedded(runtime: Runtime): boolean {
  return runtime.cluster !== undefined && runtime.sourceUrl === runtime.cluster.sourceUrl;
}

/**
 * The services `up` runs, in start order.
 */
export function upServices(
  runtime: Runtime,
  options: UpOptions,
  onFailure: (error: Error) => void,
  extra: Pick<LocalPipelineOptions, 'onSnapshotProgress'> = {},
): Service[] {
  // Every warning and error reaches the terminal (stderr), as readable lines.
  const log = terminalLog();
  const services: Service[] = [sourceWatch(runtime.sourceUrl)];
  // The reader, local Firehose and loader start before the simulator, so the snapshot comes first.
  services.push(
    pipelineService(
      {
        sourceUrl: runtime.sourceUrl,
        warehouseUrl: runtime.warehouseUrl,
        dataDir: runtime.dataDir,
        command: 'totesys-stream up',
        log,
        // Offline by default: the collectors run on the built-in synthetic market (README, "Market data").
        ...(options.market === false ? {} : { market: OFFLINE_MARKET }),
        // The gold-price model on each new market day the lake receives (README, "The gold-price model").
        ...(options.forecast === false ? {} : { forecast: readForecastSettings(process.env) }),
        ...extra,
      },
      onFailure,
    ),
  );
  if (options.simulate) services.push(simulatorService(runtime.sourceUrl, options, log));
  return services;
}

/** Reports the source WAL position in the status line; after a lost connection, the next line reconnects. */
function sourceWatch(sourceUrl: string): Service {
  let client: pg.Client | undefined;
  const connect = async () => {
    const fresh = createClient({ connectionString: sourceUrl, connectionTimeoutMillis: 5000 });
    await fresh.connect();
    client = fresh;
    return fresh;
  };
  return {
    name: 'source',
    async start() {
      await connect();
    },
    stop: async () => {
      await client?.end().catch(() => undefined);
    },
    async status() {
      try {
        return `source LSN ${await currentWalLsn(client ?? (await connect()))}`;
      } catch {
        const lost = client;
        client = undefined;
        await lost?.end().catch(() => undefined);
        return 'source unreachable (reconnecting)';
      }
    },
  };
}

/**
 * The simulator, restarted with backoff when it fails (a stopped database, a renamed column): its failure is a
 * warning, never the end of `up` (local/stage-supervisor.ts).
 */
function simulatorService(sourceUrl: string, options: UpOptions, log: Log): Service {
  const abort = new AbortController();
  const finished: SimulationSummary[] = [];
  let current: Simulator | undefined;
  let runs = 0;
  let supervised: Promise<void> = Promise.resolve();
  const runOnce = async () => {
    let fail: (error: Error) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    // Another seed on each restart, so a restarted simulator does not replay the ids and values of the first.
    const simulator = new Simulator({
      sourceUrl,
      rate: options.rate,
      seed: options.seed + runs,
      onError: fail,
    });
    runs += 1;
    current = simulator;
    // Released however this run ends, so restarts leave no listener on up's signal (core/stop-request.ts).
    const stopped = stopRequest(abort.signal);
    try {
      await simulator.start();
      await Promise.race([failed, stopped.requested]);
    } finally {
      stopped.release();
      current = undefined;
      finished.push(await simulator.stop());
    }
  };
  const summary = () => combineSummaries([...finished, ...(current ? [current.summary()] : [])]);
  return {
    name: 'simulator',
    async start() {
      supervised = superviseStage({ stage: 'simulator', signal: abort.signal, log, run: runOnce }).catch(
        (error: unknown) => log.error('the simulator stopped', { error }),
      );
    },
    async stop() {
      abort.abort();
      await supervised;
      console.log(formatSummary(summary()));
    },
    status() {
      const total = summary();
      const seconds = total.elapsedMs / 1000;
      return `simulator ${total.totalChanges} changes (${(seconds > 0 ? total.totalChanges / seconds : 0).toFixed(1)}/s)`;
    },
  };
}
