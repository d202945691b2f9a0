import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { buildPipeline, type Pipeline } from '../../cdk/lib/pipeline.ts';
import { readPipelineSettings } from '../../cdk/lib/pipeline-settings.ts';
import {
  deliveryStreamSpecs,
  marketDeliveryStreamName,
  marketDeliveryStreamSpecs,
} from '../../core/delivery-stream-spec.ts';
import { marketLatestViewSelect } from '../../core/latest-view-sql.ts';
import { GLUE_DATABASE, PARTITION_COLUMN } from '../../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLE_NAMES, MARKET_LAKE_TABLES } from '../../core/schema/market-lake-tables.ts';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };
type Resources = Record<string, Resource>;

const STUB = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));
const ENTRIES = { reader: STUB, transformer: STUB, loader: STUB, compaction: STUB, sourceLoader: STUB };

let pipeline: Pipeline;
let lake: Template;
let ingest: Template;

// One synthesis with cdk-nag's AwsSolutions pack: an unacknowledged finding fails every test below.
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, postCliContext: FEATURE_FLAGS });
  pipeline = buildPipeline(
    app,
    readPipelineSettings((key) => ({ demo: true })[key]),
    { entries: ENTRIES },
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  lake = Template.fromStack(pipeline.lake);
  ingest = Template.fromStack(pipeline.ingest);
});

const resourcesOf = (template: Template, type: string) => template.findResources(type) as Resources;
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function streamNamed(name: string): Resource {
  const stream = Object.values(resourcesOf(ingest, 'AWS::KinesisFirehose::DeliveryStream')).find(
    (r) => r.Properties?.DeliveryStreamName === name,
  );
  if (!stream) throw new Error(`No delivery stream ${name}`);
  return stream;
}

function glueTableNamed(name: string): { id: string; input: Record<string, unknown> } {
  const match = Object.entries(resourcesOf(lake, 'AWS::Glue::Table')).find(
    ([, r]) => (r.Properties?.TableInput as { Name?: string } | undefined)?.Name === name,
  );
  if (!match) throw new Error(`No Glue table ${name}`);
  return { id: match[0], input: match[1].Properties!.TableInput as Record<string, unknown> };
}

/** A destination's processors, less the RoleArn parameter (each stream has its own role). */
function processing(destination: Record<string, unknown>) {
  const config = destination.ProcessingConfiguration as {
    Processors: { Type: string; Parameters: { ParameterName: string }[] }[];
  };
  return config.Processors.map((p) => ({
    ...p,
    Parameters: p.Parameters.filter((x) => x.ParameterName !== 'RoleArn'),
  }));
}

describe('the market lake tables on AWS', () => {
  it('are Glue tables of Parquet files with exactly the columns of the market schema, dt projected', () => {
    for (const name of MARKET_LAKE_TABLE_NAMES) {
      const { input } = glueTableNamed(name);
      expect(input).toMatchObject({
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [{ Name: PARTITION_COLUMN.name, Type: 'date' }],
        Parameters: { 'projection.enabled': 'true', 'projection.dt.type': 'date' },
      });
      const storage = input.StorageDescriptor as { Columns: { Name: string; Type: string }[] };
      expect(storage.Columns.map((c) => [c.Name, c.Type])).toEqual(
        MARKET_LAKE_TABLES[name].columns.map((c) => [c.name, c.type]),
      );
      expect(JSON.stringify(input.Parameters)).toContain(`/${name}/dt=\${dt}/`);
    }
  });

  it('each have a _latest view over the same SELECT the local DuckDB catalog runs', () => {
    for (const name of MARKET_LAKE_TABLE_NAMES) {
      const { input } = glueTableNamed(`${name}_latest`);
      expect(input.TableType).toBe('VIRTUAL_VIEW');
      const encoded = /^\/\* Presto View: (.+) \*\/$/.exec(String(input.ViewOriginalText))?.[1] ?? '';
      const presto = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
      expect(presto.originalSql).toBe(marketLatestViewSelect(name));
      expect(presto.columns.map((c: { name: string }) => c.name)).toEqual([
        ...MARKET_LAKE_TABLES[name].columns.map((c) => c.name),
        'dt',
      ]);
    }
    // No snapshot tables: compaction never snapshots observations.
    for (const name of MARKET_LAKE_TABLE_NAMES) expect(() => glueTableNamed(`${name}_snapshot`)).toThrow();
  });
});

describe('the market delivery streams', () => {
  it('are one per market table, configured exactly like a totesys stream but for their own table', () => {
    const totesys = deliveryStreamSpecs({ runtime: 'aws' })[0]!;
    const reference = streamNamed(totesys.name).Properties!.ExtendedS3DestinationConfiguration as Record<
      string,
      unknown
    >;
    for (const spec of marketDeliveryStreamSpecs({ runtime: 'aws' })) {
      expect(spec.name).toBe(marketDeliveryStreamName(spec.lakeTable));
      const stream = streamNamed(spec.name).Properties!;
      expect(stream.DeliveryStreamType).toBe('DirectPut');
      const destination = stream.ExtendedS3DestinationConfiguration as Record<string, unknown>;
      expect(destination).toMatchObject({
        Prefix: `${spec.lakeTable}/dt=!{partitionKeyFromLambda:dt}/`,
        ErrorOutputPrefix: `errors/${spec.lakeTable}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`,
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
      });
      // The same transformation Lambda, retries, processor buffering and Parquet conversion.
      expect(processing(destination)).toEqual(processing(reference));
      const conversion = destination.DataFormatConversionConfiguration as Record<string, unknown>;
      const referenceConversion = reference.DataFormatConversionConfiguration as Record<string, unknown>;
      expect(conversion.OutputFormatConfiguration).toEqual(referenceConversion.OutputFormatConfiguration);
      expect(conversion.InputFormatConfiguration).toEqual(referenceConversion.InputFormatConfiguration);
      // The table reference crosses stacks as an export named after the Glue table's logical id.
      const schema = conversion.SchemaConfiguration as { DatabaseName: string; TableName: unknown };
      expect(schema.DatabaseName).toBe(GLUE_DATABASE);
      expect(JSON.stringify(schema.TableName)).toContain(glueTableNamed(spec.lakeTable).id);
    }
  });

  it("give each stream's role its own table's prefixes only", () => {
    for (const table of MARKET_LAKE_TABLE_NAMES) {
      const role = Object.entries(resourcesOf(ingest, 'AWS::IAM::Role')).find(([, r]) =>
        String(r.Properties?.Description).startsWith(`Firehose ${marketDeliveryStreamName(table)}:`),
      )![0];
      const policy = Object.values(resourcesOf(ingest, 'AWS::IAM::Policy')).find((p) =>
        JSON.stringify(p.Properties?.Roles).includes(role),
      );
      const text = JSON.stringify(policy);
      expect(text).toContain(`/${table}/*`);
      expect(text).toContain(`/errors/${table}/*`);
      for (const other of MARKET_LAKE_TABLE_NAMES.filter((t) => t !== table))
        expect(text).not.toContain(`/${other}/`);
    }
  });

  it('are alarmed on freshness, processing and conversion, and never on lake lag (no watermarks)', () => {
    const alarms = Object.values(resourcesOf(ingest, 'AWS::CloudWatch::Alarm'));
    for (const table of MARKET_LAKE_TABLE_NAMES) {
      const name = marketDeliveryStreamName(table);
      const onStream = alarms.filter((a) =>
        asList(a.Properties?.Dimensions as { Name: string; Value: string }[]).some(
          (d) => d?.Name === 'DeliveryStreamName' && d.Value === name,
        ),
      );
      expect(onStream.map((a) => a.Properties?.MetricName).sort()).toEqual([
        'DeliveryToS3.DataFreshness',
        'ExecuteProcessing.Success',
        'FailedConversion.Records',
      ]);
      const lakeLag = alarms.filter((a) =>
        asList(a.Properties?.Dimensions as { Name: string; Value: string }[]).some(
          (d) => d?.Name === 'Table' && d.Value === table,
        ),
      );
      expect(lakeLag).toEqual([]);
    }
  });
});
