import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { MiddlewareObj } from '@middy/core';
import type * as z from '../shared/zod';
import { logger } from '../shared/logger';
import { Problem, isProblem, problemHeaders } from '../shared/problem';
import { isTransientFailure } from '../shared/transient';
import { NOT_WELL_FORMED, illFormedPaths } from '../shared/well-formed';
import { api } from '../declaration/topology';

export const MAX_BODY_BYTES = 64 * 1024;

/** The one response shape: JSON, or problem+json for errors; never cached unless a header says so. */
export function respond(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      'content-type': statusCode >= 400 ? 'application/problem+json' : 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    },
    body: statusCode === 204 ? '' : typeof body === 'string' ? body : JSON.stringify(body),
  };
}

function problem(error: Problem, instance?: string): APIGatewayProxyResult {
  return respond(error.status, error.toBody(instance), problemHeaders(error.code));
}

/**
 * Middy middleware: any error leaves the API as RFC 9457 problem+json. A dependency's transient
 * failure (timeout, throttling, 5xx) is a retryable 503 with Retry-After: the same request with the
 * same Idempotency-Key is safe to send again (a change that did commit before a timeout is replayed,
 * never applied twice). Anything else is a bug: a 500 without internals.
 */
export function problemJson(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const error = request.error;
      if (isProblem(error)) {
        request.response = problem(error, request.event.path);
        return;
      }
      if (isTransientFailure(error)) {
        logger.warn('Dependency unavailable', { error: error as Error, path: request.event.path });
        const unavailable = new Problem('service_unavailable', 'A dependency did not answer; retry after Retry-After');
        request.response = problem(unavailable, request.event.path);
        return;
      }
      logger.error('Unhandled error', { error: error as Error, path: request.event.path });
      request.response = problem(
        new Problem('internal_error', 'An unexpected error occurred; it has been logged'),
        request.event.path,
      );
    },
  };
}

/** A header's value whatever its case (API Gateway passes headers as the caller wrote them). */
export function header(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The API key a request carries, in the header the topology declares for it. */
export function apiKeyOf(headers: Record<string, string | undefined> | null | undefined): string | undefined {
  return header(headers, api.keyHeader);
}

/**
 * Parses and validates a JSON body; every failure is a 4xx problem and nothing is written. `maxBytes`: an operation
 * that takes more than the usual body (a batch of commands) states its own limit.
 */
export function parseBody<S extends z.ZodMiniType>(
  event: APIGatewayProxyEvent,
  schema: S,
  maxBytes: number = MAX_BODY_BYTES,
): z.output<S> {
  const raw =
    event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > maxBytes) throw new Problem('payload_too_large', `The body exceeds ${maxBytes} bytes`);
  const contentType = header(event.headers, 'content-type');
  if (raw.length > 0 && contentType && !/^application\/([a-z.+-]*\+)?json\b/i.test(contentType)) {
    throw new Problem('unsupported_media_type');
  }
  let value: unknown;
  try {
    value = raw.length === 0 ? {} : JSON.parse(raw);
  } catch {
    throw new Problem('malformed_json');
  }
  // Before the schema: every string and key of every body, whatever its schema says of it.
  refuseIllFormed('validation_failed', value, '(body)');
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new Problem('validation_failed', 'The request body does not match the schema', {
      errors: parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message })),
    });
  }
  return parsed.data;
}

/** Throws a 400 problem naming every string of `value` that is not well-formed Unicode. */
type TextCode = 'validation_failed' | 'query_invalid';
function refuseIllFormed(code: TextCode, value: unknown, whole: string, prefix = ''): void {
  const paths = illFormedPaths(value);
  if (paths.length === 0) return;
  throw new Problem(code, `Text ${NOT_WELL_FORMED}`, {
    errors: paths.map((path) => ({ path: prefix + (path || whole), message: NOT_WELL_FORMED })),
  });
}

/**
 * Refuses a request whose path parameters, query string or headers carry text that is not
 * well-formed Unicode, before any operation reads them (bodies are checked by `parseBody`).
 */
export function refuseIllFormedRequest(event: APIGatewayProxyEvent): void {
  // An absent map (null from API Gateway) carries no text, as an empty one.
  refuseIllFormed('validation_failed', event.pathParameters, '(path)', 'path.');
  refuseIllFormed('query_invalid', event.queryStringParameters, '(query)');
  refuseIllFormed('query_invalid', event.multiValueQueryStringParameters, '(query)');
  refuseIllFormed('validation_failed', event.headers, '(headers)', 'header.');
  refuseIllFormed('validation_failed', event.multiValueHeaders, '(headers)', 'header.');
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function idempotencyKey(event: APIGatewayProxyEvent): string {
  const key = header(event.headers, 'idempotency-key');
  if (key === undefined) throw new Problem('idempotency_key_required');
  if (!IDEMPOTENCY_KEY.test(key))
    throw new Problem('idempotency_key_invalid', 'Use 1 to 255 printable ASCII characters without spaces');
  return key;
}

/** Parses and validates query parameters; every failure is a 400 problem. */
export function parseQuery<S extends z.ZodMiniType>(event: APIGatewayProxyEvent, schema: S): z.output<S> {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) {
    throw new Problem('query_invalid', 'A query parameter is not valid', {
      errors: parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(query)', message: issue.message })),
    });
  }
  return parsed.data;
}
