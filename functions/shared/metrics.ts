import { Metrics } from '@aws-lambda-powertools/metrics';
import { metricsService, platformMetrics, type PlatformMetricName } from '../declaration/metrics';
import { logger } from './logger';

/**
 * The one Powertools Metrics instance per container. Its namespace comes from `POWERTOOLS_METRICS_NAMESPACE`
 * (`platformEnvironment()` sets it to `metricsNamespace(stage)`), its only dimension is the fixed `service`. What an
 * invocation records is written as one EMF line to stdout when it ends (`lambdaHandler`'s `logMetrics`).
 * Powertools' own notices go to the logger at debug level: the commonest, "no application metrics to publish", is
 * the normal case for most API requests and would otherwise warn on each of them.
 */
export const metrics = new Metrics({
  serviceName: metricsService,
  logger: {
    debug: logger.debug.bind(logger),
    info: logger.debug.bind(logger),
    warn: logger.debug.bind(logger),
    error: logger.error.bind(logger),
  },
});

/**
 * Records one value of a declared platform metric, in the unit its declaration gives (published at the end of the
 * invocation). Counted where the fact is certain (a committed change, an attempt made), never from log text.
 * @example recordMetric('PointsEarned', 120)
 */
export function recordMetric(name: PlatformMetricName, value = 1): void {
  metrics.addMetric(name, platformMetrics[name].unit, value);
}
