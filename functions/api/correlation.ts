import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { CORRELATION_ID_HEADER, correlationIdFor } from '../shared/correlation-id';
import { header } from './http';

/**
 * A request's correlation id: the caller's `x-correlation-id` when well-formed, else API Gateway's
 * request id. A pure function of the request, so the authorizer, the handler and the operations
 * agree on it.
 */
export function correlationIdOf(
  event: Pick<APIGatewayProxyEvent | APIGatewayRequestAuthorizerEvent, 'headers' | 'requestContext'>,
): string {
  return correlationIdFor(header(event.headers, CORRELATION_ID_HEADER), event.requestContext.requestId);
}

/**
 * Middy middleware: every answer echoes the request's correlation id in `x-correlation-id`, problems
 * included. Use it before `problemJson()`, so it runs after the problem answer is made.
 */
export function correlationIdHeader(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const echo = (request: { event: APIGatewayProxyEvent; response: APIGatewayProxyResult | null | undefined }) => {
    if (!request.response) return;
    request.response.headers = { ...request.response.headers, [CORRELATION_ID_HEADER]: correlationIdOf(request.event) };
  };
  return { after: echo, onError: echo };
}
