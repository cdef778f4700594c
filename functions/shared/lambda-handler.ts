import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { logger } from './logger';
import { metrics } from './metrics';
import { annotateCorrelationId, traceInvocations } from './tracer';

/**
 * Every handler's middy chain: Powertools Tracer opens the invocation's X-Ray subsegment first, so it spans
 * the rest; Powertools Logger adds the Lambda context (request id, cold start, function name) to each log
 * line and, when the handler says where its invocation's correlation id comes from, that id too
 * (`correlation_id`, and the trace's `correlationId` annotation); the invocation's own keys are dropped after it.
 * Powertools Metrics publishes what the invocation recorded (`recordMetric`) as one EMF line when it ends, thrown
 * or not; an invocation that recorded nothing writes nothing.
 * @example export const handler = lambdaHandler(runJob, { correlationId: (_event, context) => context.awsRequestId });
 */
export function lambdaHandler<TEvent, TResult>(
  handle: (event: TEvent, context: Context) => Promise<TResult>,
  options: { correlationId?: (event: TEvent, context: Context) => string } = {},
) {
  const { correlationId } = options;
  const chain = middy<TEvent, TResult>();
  const tracing = traceInvocations();
  if (tracing) chain.use(tracing);
  chain.use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
  if (correlationId)
    chain.before(({ event, context }) => {
      const id = correlationId(event, context);
      logger.setCorrelationId(id);
      annotateCorrelationId(id);
    });
  return chain.handler(handle);
}
