import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger } from './logger';

/**
 * Every handler's middy chain: Powertools Logger adds the Lambda context (request id, cold start,
 * function name) to each log line, and drops the invocation's own keys (its correlation id) after it.
 * @example export const handler = lambdaHandler(async (event: SQSEvent, context) => consume(event, context));
 */
export function lambdaHandler<TEvent, TResult>(handle: (event: TEvent, context: Context) => Promise<TResult>) {
  return middy<TEvent, TResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(handle);
}
