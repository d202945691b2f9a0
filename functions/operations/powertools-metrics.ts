/**
 * @module
 * The metrics port on Lambda: Powertools Metrics, which writes CloudWatch embedded metric format to stdout
 * (CloudWatch turns each line into metrics; no API call, no latency). Every metric carries the function's
 * `service` dimension, which the alarms in cdk/ name too.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ENV, METRIC_NAMESPACE, type ServiceName } from '../../core/operations.ts';
import type { MetricPoint, MetricsPublisher } from '../../core/ports/metrics.ts';
import type { Environment } from './environment.ts';

const UNITS = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds, Bytes: MetricUnit.Bytes } as const;

/**
 * The Metrics of one Lambda (created once per container), under the namespace its deployment set
 * (`POWERTOOLS_METRICS_NAMESPACE`, from core/deployment-names.ts) or `TotesysStream`.
 */
export function lambdaMetrics(serviceName: ServiceName, env: Environment = process.env): Metrics {
  return new Metrics({ namespace: env[ENV.metricNamespace] || METRIC_NAMESPACE, serviceName });
}

/**
 * A {@link MetricsPublisher} over `metrics`: the points of one call that share dimensions go out as one
 * document, each other dimension set as its own.
 */
export function powertoolsMetrics(metrics: Metrics): MetricsPublisher {
  return {
    publish(points) {
      const groups = new Map<string, MetricPoint[]>();
      for (const point of points) {
        const key = JSON.stringify(Object.entries(point.dimensions ?? {}).sort());
        groups.set(key, [...(groups.get(key) ?? []), point]);
      }
      for (const group of groups.values()) {
        try {
          for (const [name, value] of Object.entries(group[0]?.dimensions ?? {})) {
            metrics.addDimension(name, value);
          }
          for (const point of group) metrics.addMetric(point.name, UNITS[point.unit], point.value);
          metrics.publishStoredMetrics();
        } catch {
          // The port never throws: a figure that cannot be published must not fail the run. What the failed
          // group left in the instance goes too, or the next group would carry its dimensions and metrics.
          metrics.clearMetrics();
          metrics.clearDimensions();
        }
      }
    },
  };
}
