import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricsNamespace, metricsService } from '../../functions/declaration/metrics';

/** A handler for the status page's collector: emits platform metrics with Powertools, as the functions do. */
const metrics = new Metrics({ namespace: metricsNamespace('local'), serviceName: metricsService });

export function handler(event: { earnedPoints: number[]; attemptMs: number[] }) {
  for (const points of event.earnedPoints) {
    metrics.addMetric('EarnTransactions', MetricUnit.Count, 1);
    metrics.addMetric('PointsEarned', MetricUnit.Count, points);
  }
  for (const ms of event.attemptMs) metrics.addMetric('AttemptDuration', MetricUnit.Milliseconds, ms);
  // A log line between the metrics, as a handler's output has them.
  console.log('not a metric: {"_aws": "a log line mentioning _aws"}');
  metrics.publishStoredMetrics();
  return Promise.resolve('published');
}
