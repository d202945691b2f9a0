/**
 * @module
 * Names shared by the code that runs and the code that watches it: the CloudWatch metrics the Lambdas publish
 * (embedded metric format), and the environment variables the Lambdas read. CDK builds its alarms and
 * function environments from these, so the two cannot drift.
 */

import { MEMORY_BOUND_VARIABLES } from './memory-bounds.ts';

/** The CloudWatch namespace of every pipeline metric. */
export const METRIC_NAMESPACE = 'TotesysStream';

/** Metric names, grouped by the stage that publishes them (README, Watching lag). */
export const METRICS = {
  reader: {
    /** Bytes of WAL between `pg_current_wal_lsn()` and the slot's `confirmed_flush_lsn`. */
    slotLagBytes: 'ReaderSlotLagBytes',
    /** Seconds since the oldest commit not yet accepted by Firehose (0 when nothing is pending). */
    lagSeconds: 'ReaderLagSeconds',
    eventsShipped: 'ReaderEventsShipped',
    bytesShipped: 'ReaderBytesShipped',
    putRetries: 'ReaderPutRetries',
  },
  schemaDrift: {
    /** Source tables whose columns no longer match core/schema/source-tables.ts (reader/schema-drift.ts). */
    tablesDrifted: 'SourceSchemaDriftTables',
  },
  /** Published by the reader's dead letters (reader/unshippable-changes.ts), not by its run's figures. */
  unshippable: {
    /** Changes the reader could not ship (over the Firehose record limit) and wrote under `errors/` instead. */
    changesSetAside: 'ReaderChangesSetAside',
  },
  transformer: {
    /**
     * Events the transformation refused apart from their packed records and wrote under
     * `errors/<table>/transformer-failed/` (transform/rejected-events.ts); its log names each table.
     */
    eventsRejected: 'TransformerEventsRejected',
  },
  lake: {
    /** Per lake table (dimension `Table`): now minus the emit time of the newest watermark in the lake. */
    lagSeconds: 'LakeLagSeconds',
    /** Lake objects (or short partitions) quarantined, their tables re-read (lake/lake-object-recovery.ts). */
    objectsQuarantined: 'LakeObjectsQuarantined',
  },
  warehouse: {
    /** Now minus the commit time of the warehouse's cut while changes wait above it, else 0 (core/warehouse-lag.ts). */
    lagSeconds: 'WarehouseLagSeconds',
    rowsLoaded: 'WarehouseRowsLoaded',
    inferredMembers: 'WarehouseInferredMembers',
  },
  runs: {
    /** 1 per reader run that finished (a tick that found the slot busy does not count). */
    readerCompleted: 'ReaderRunsCompleted',
    /** 1 per loader run that finished (a tick that found the loader's lease held does not count). */
    loaderCompleted: 'LoaderRunsCompleted',
    /** 1 per forecast run that saved (or confirmed) its prediction (functions/forecast/handler.ts). */
    forecastCompleted: 'ForecastRunsCompleted',
  },
  collector: {
    /**
     * 1 per collector run whose rows Firehose accepted (dimension `Collector`): silence for a day means the
     * collector stopped delivering, whatever the cause.
     */
    runsDelivered: 'CollectorRunsDelivered',
    /** Rows the run shipped (0 for a `files` pass that found no file). */
    rowsShipped: 'CollectorRowsShipped',
  },
  market: {
    /**
     * 1 per loader run whose market step (loader/market-merge.ts) failed: it fails neither the star load nor
     * the Lambda, so only this says the market tables stopped following the lake.
     */
    mergesFailed: 'MarketMergesFailed',
  },
  endToEnd: {
    /** Commit-to-warehouse latency of the changes one load made visible. */
    p50Seconds: 'EndToEndP50Seconds',
    p95Seconds: 'EndToEndP95Seconds',
    maxSeconds: 'EndToEndMaxSeconds',
  },
} as const;

/** The dimension that names a lake table on per-table metrics. */
export const TABLE_DIMENSION = 'Table';

/** The dimension that names a collector (`fx`, `equities`, …) on its metrics. */
export const COLLECTOR_DIMENSION = 'Collector';

/**
 * The `service` dimension Powertools Metrics puts on every metric, and the Logger's `service` key: one per
 * Lambda. Alarms name it, so the functions and CDK take it from here.
 */
export const SERVICE_DIMENSION = 'service';
export const SERVICES = {
  reader: 'totesys-cdc-reader',
  transformer: 'totesys-transformer',
  loader: 'totesys-loader',
  compaction: 'totesys-compaction',
  seed: 'totesys-seed',
  api: 'totesys-api',
  collector: 'totesys-collector',
  forecast: 'totesys-forecast',
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

/** Environment variables the Lambdas read (validated at start by each function's config module). */
export const ENV = {
  /** Secrets Manager ARN of the source credentials (RDS secret JSON: host, port, username, password, dbname). */
  sourceSecretArn: 'TOTESYS_SOURCE_SECRET_ARN',
  /** A postgres:// URL of the source; used instead of the secret (local runs, tests). */
  sourceUrl: 'TOTESYS_SOURCE_URL',
  /** Secrets Manager ARN of the warehouse credentials (same JSON shape). */
  warehouseSecretArn: 'TOTESYS_WAREHOUSE_SECRET_ARN',
  /** A postgres:// URL of the warehouse; used instead of the secret. */
  warehouseUrl: 'TOTESYS_WAREHOUSE_URL',
  /** Logical replication slot name (default `totesys_stream`). */
  slotName: 'TOTESYS_SLOT',
  /** Publication name (default `totesys_stream`). */
  publicationName: 'TOTESYS_PUBLICATION',
  /** Prefix of the delivery stream names (default `totesys-`). */
  streamPrefix: 'TOTESYS_STREAM_PREFIX',
  /** Bucket and key prefix of the reader's StateStore on S3. */
  stateBucket: 'TOTESYS_STATE_BUCKET',
  statePrefix: 'TOTESYS_STATE_PREFIX',
  /** The lake bucket. */
  lakeBucket: 'TOTESYS_LAKE_BUCKET',
  /** Glue database of the lake tables (default `totesys_lake`). */
  glueDatabase: 'TOTESYS_GLUE_DATABASE',
  /** Athena workgroup the loader queries through. */
  athenaWorkgroup: 'TOTESYS_ATHENA_WORKGROUP',
  /** `require` (default on AWS) or `disable`: TLS to the databases. */
  databaseTls: 'TOTESYS_DB_TLS',
  /** Seconds a stage keeps reconnecting to a lost database, or `forever` (the default; core/reconnect-budget.ts). */
  reconnectBudget: 'TOTESYS_RECONNECT_BUDGET_SECONDS',
  /** Bytes (MiB) of decoded changes the reader holds before Firehose accepts them (core/memory-bounds.ts). */
  readerBufferMib: MEMORY_BOUND_VARIABLES.readerBufferBytes,
  /** Rows the loader reads from the lake and writes to the warehouse at a time (core/memory-bounds.ts). */
  loaderBatchRows: MEMORY_BOUND_VARIABLES.loaderBatchRows,
  /** Lowest log level written (DEBUG, INFO, WARN, ERROR): Powertools Logger's own variable, read locally too. */
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  /**
   * CloudWatch namespace of the pipeline metrics (default `TotesysStream`; a prefixed deployment's own, from
   * core/deployment-names.ts): Powertools Metrics' own variable.
   */
  metricNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /**
   * A market API's key, locally (README, "Market data"); on AWS the collector Lambda reads it from the secret
   * named by {@link ENV.marketApiKeySecretArn} instead.
   */
  alphaVantageApiKey: 'ALPHA_VANTAGE_API_KEY',
  fredApiKey: 'FRED_API_KEY',
  coinCapApiKey: 'COINCAP_API_KEY',
  /** Secrets Manager ARN of a collector Lambda's API key (a plain string secret: the key alone). */
  marketApiKeySecretArn: 'TOTESYS_MARKET_API_KEY_SECRET_ARN',
  /** A collector Lambda's API base URL, instead of the collector's default (a mirror, a proxy). */
  marketApiUrl: 'TOTESYS_MARKET_API_URL',
  /** Which collector a collector Lambda runs (`fx`, `equities`, `fred`, `crypto`, `files`). */
  collectorName: 'TOTESYS_COLLECTOR',
  /** The gold-price model's series and training window (forecast/forecast-settings.ts has the defaults). */
  forecastSymbol: 'TOTESYS_FORECAST_SYMBOL',
  forecastTrainingDays: 'TOTESYS_FORECAST_TRAINING_DAYS',
  forecastMinimumDays: 'TOTESYS_FORECAST_MINIMUM_DAYS',
} as const;

/**
 * The field of a collector's JSON API key secret that holds the key (the secret the stack creates is
 * `{"apiKey": ""}` until the key is put in; a secret holding the key alone is read too).
 */
export const MARKET_API_KEY_FIELD = 'apiKey';

/**
 * How often the loader runs: once a minute on AWS (its EventBridge schedule); locally at least once a second,
 * and also as soon as the local Firehose writes a lake object (a round's last watermark may just have landed),
 * but never sooner than {@link LOCAL_LOADER_WAKE_FLOOR_MS} after the previous run began.
 */
export const LOADER_INTERVAL_MS = { aws: 60_000, local: 1000 } as const;

/**
 * Least time between the starts of two local loader runs woken by lake objects: a busy lake lands several
 * objects a second, and each run has a fixed cost (its listing and, with a round pending, the watermark query).
 */
export const LOCAL_LOADER_WAKE_FLOOR_MS = 250;

/**
 * Least time between two watermark rounds (a round happens only when a change was put since the last one). On
 * AWS the loader's interval: a round more often proves nothing a loader would read. Locally a quarter of a
 * second: the loader wakes when objects land, and a change put just after a round waits for the next round
 * before its watermark can follow it into the lake, so the round cadence is part of every change's
 * commit-to-warehouse latency (README, What it guarantees).
 */
export const WATERMARK_ROUND_INTERVAL_MS = { aws: LOADER_INTERVAL_MS.aws, local: 250 } as const;

/** Defaults for the names above. */
export const DEFAULTS = {
  slotName: 'totesys_stream',
  publicationName: 'totesys_stream',
  streamPrefix: 'totesys-',
  glueDatabase: 'totesys_lake',
} as const;
