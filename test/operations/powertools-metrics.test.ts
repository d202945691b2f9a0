import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV, METRIC_NAMESPACE, SERVICES } from '../../core/operations.ts';
import type { MetricUnit } from '../../core/ports/metrics.ts';
import { lambdaMetrics, powertoolsMetrics } from '../../functions/operations/powertools-metrics.ts';
import { describeMetricsPublisherContract, type PublishedMetric } from './metrics-publisher-contract.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The EMF namespaces one publish writes to stdout. */
function namespacesPublished(env: Record<string, string>): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  powertoolsMetrics(lambdaMetrics(SERVICES.loader, env)).publish([
    { name: 'WarehouseRowsLoaded', unit: 'Count', value: 1 },
  ]);
  vi.restoreAllMocks();
  return lines.flatMap((line) => {
    const document = JSON.parse(line) as { _aws: { CloudWatchMetrics: { Namespace: string }[] } };
    return document._aws.CloudWatchMetrics.map((m) => m.Namespace);
  });
}

/** The shape of one embedded-metric-format document, as CloudWatch reads it. */
interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: MetricUnit }[];
    }[];
  };
  readonly [member: string]: unknown;
}

/** Every value of the EMF documents in `lines`, one per value (a metric given twice is an array). */
function emfPoints(lines: readonly string[]): PublishedMetric[] {
  return lines.flatMap((line) => {
    const document = JSON.parse(line) as EmfDocument;
    return document._aws.CloudWatchMetrics.flatMap((directive) => {
      const names = directive.Dimensions.flat();
      const dimensions = Object.fromEntries(names.map((n) => [n, String(document[n])]));
      return directive.Metrics.flatMap((metric) => {
        const raw = document[metric.Name] as number | number[];
        return (Array.isArray(raw) ? raw : [raw]).map((value) => ({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: metric.Unit,
          value,
          dimensions,
          timestampMs: document._aws.Timestamp,
        }));
      });
    });
  });
}

describeMetricsPublisherContract('Powertools Metrics (EMF on stdout)', () => {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  return {
    metrics: powertoolsMetrics(lambdaMetrics(SERVICES.loader, {})),
    service: SERVICES.loader,
    published: () => emfPoints(lines),
  };
});

describe('Lambda metrics namespace', () => {
  it('publishes under the namespace its deployment set, so a second deployment never feeds the first one’s alarms', () => {
    expect(namespacesPublished({ [ENV.metricNamespace]: 'smoke-0a1b-TotesysStream' })).toEqual([
      'smoke-0a1b-TotesysStream',
    ]);
  });

  it('publishes under TotesysStream when the deployment set none', () => {
    expect(namespacesPublished({})).toEqual([METRIC_NAMESPACE]);
  });
});
