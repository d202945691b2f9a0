import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV, METRIC_NAMESPACE, SERVICES } from '../../core/operations.ts';
import { lambdaMetrics, powertoolsMetrics } from '../../functions/operations/powertools-metrics.ts';

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
