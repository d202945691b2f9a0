/**
 * @module
 * The gold-price model on AWS (README, "The gold-price model"; functions/forecast/): a Lambda in the
 * warehouse's network that reads the market tables' `_latest` views through Athena, trains, and writes the
 * next-day prediction to `market.price_forecast`, once a day after the equities collector has fetched the
 * day's closes. Least privilege: Athena in the workgroup, the market tables and views in Glue, their objects
 * in S3, Athena's results, and the warehouse secret.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { MARKET_LAKE_TABLE_NAMES } from '../../../core/schema/market-lake-tables.ts';
import { acknowledge } from '../acknowledge.ts';
import { LAKE_PREFIXES, lakeObjectsFinding } from './lake-bucket.ts';
import {
  athenaQueryStatements,
  grantWarehouseSecret,
  type LakeQueryTarget,
  lakeQueryEnvironment,
} from './lake-queries.ts';
import { PipelineFunction } from './pipeline-function.ts';
import { ScheduledInvoke } from './scheduled-invoke.ts';

/** Daily at 23:30 UTC: an hour after the equities collector fetched the day's gold (GLD) close. */
export const FORECAST_SCHEDULE = scheduler.ScheduleExpression.cron({ minute: '30', hour: '23' });

/** Props of {@link PriceForecaster}. */
export interface PriceForecasterProps extends LakeQueryTarget {
  readonly entry: string;
  /** ARNs of the Glue catalog, database, market tables and their `_latest` views. */
  readonly glueArns: readonly string[];
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The forecast function and its daily schedule. */
export class PriceForecaster extends Construct {
  readonly fn: PipelineFunction;
  readonly schedule: ScheduledInvoke;

  constructor(scope: Construct, id: string, props: PriceForecasterProps) {
    super(scope, id);
    this.fn = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      logRemovalPolicy: props.logRemovalPolicy,
      description: 'totesys-stream forecast: the gold-price model, next-day prediction into the warehouse',
      // A few Athena queries and a boosted-tree fit on about three years of days.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      // ml-xgboost reads its .wasm from its own package directory (functions/forecast/handler.ts).
      nodeModules: ['ml-xgboost'],
      rdsNetwork: props,
      environment: lakeQueryEnvironment(props),
    });
    grantWarehouseSecret(this.fn, props);
    const athena = athenaQueryStatements(props, 'QueryMarketTables');
    const tablePrefixes = MARKET_LAKE_TABLE_NAMES.map((t) => `${t}/`);
    const statements = [
      athena.runQueries,
      new iam.PolicyStatement({
        sid: 'ReadMarketCatalog',
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
        resources: [...props.glueArns],
      }),
      new iam.PolicyStatement({
        sid: 'ReadMarketTables',
        actions: ['s3:GetObject'],
        resources: tablePrefixes.map((p) => props.bucket.arnForObjects(`${p}*`)),
      }),
      athena.listLake,
      athena.writeQueryResults,
    ];
    for (const statement of statements) this.fn.addToRolePolicy(statement);
    this.schedule = new ScheduledInvoke(this, 'Schedule', {
      fn: this.fn,
      rate: FORECAST_SCHEDULE,
      description: 'totesys-stream forecast, daily at 23:30 UTC after the equities collector',
    });
    acknowledge(this.fn, [
      ...[...tablePrefixes, LAKE_PREFIXES.athenaResults].map((prefix) => ({
        id: lakeObjectsFinding(this, prefix),
        reason:
          "Athena reads every Parquet file of a market table and names its result files itself, so objects are granted by the market tables' prefixes and athena-results/ only.",
      })),
    ]);
  }
}
