import type * as z from '../shared/zod';
import type { IdempotencyContext, Reply } from '../domain/idempotency';
import { correlationIdOf } from './correlation';
import { idempotencyKey, parseBody, parseQuery } from './http';
import {
  bodyErrors,
  errors,
  problem,
  retryAfter,
  type Operation,
  type OperationContext,
  type ResponseSpec,
} from './operation-kit';
import { requestHash } from './request-hash';

/**
 * The three shapes most operations take (a read, a plain write, an idempotent command), so that each
 * operation declares only what is its own. Each shape validates the request (query or body, and the
 * Idempotency-Key) before `run` reads anything, and adds the errors every operation can answer.
 */

/** What names an operation and guards it: the part of an operation no shape can fill in. */
export type OperationHead = Pick<Operation, 'path' | 'operationId' | 'summary' | 'tag' | 'scope'>;

/** A 409 concurrent_update (the member's commit budget was spent in its queue) carries `Retry-After`. */
export const idempotencyErrors = {
  409: {
    ...problem('Idempotency-Key reused with another request, or concurrent update (retry after Retry-After)'),
    headers: retryAfter,
  },
};

/** A GET answering 200 with what `read` returns; `notFound` describes its 404, when something can be missing. */
export function readOperation<Q extends z.ZodMiniObject = z.ZodMiniObject>(
  spec: OperationHead & {
    ok: ResponseSpec;
    notFound?: string;
    query?: Q;
    read: (ctx: OperationContext, query: z.output<Q>) => Promise<unknown>;
  },
): Operation {
  const { ok, notFound, query, read, ...head } = spec;
  const missing: Operation['responses'] = notFound ? { 404: problem(notFound) } : {};
  return {
    ...head,
    method: 'GET',
    idempotent: false,
    ...(query ? { query } : {}),
    responses: { 200: ok, ...errors, ...missing },
    run: async (ctx) => {
      const parsed = (query ? parseQuery(ctx.event, query) : {}) as z.output<Q>;
      return { statusCode: 200, body: await read(ctx, parsed) };
    },
  };
}

/** A write that is safe to repeat as it is (a PUT, or one that skips what it has done): no Idempotency-Key. */
export function writeOperation<S extends z.ZodMiniType>(
  spec: OperationHead & {
    method: 'POST' | 'PUT' | 'PATCH';
    request: S;
    responses: Operation['responses'];
    run: (ctx: OperationContext, body: z.output<S>) => Promise<Reply>;
  },
): Operation {
  const { request, responses, run, ...head } = spec;
  return {
    ...head,
    idempotent: false,
    request,
    responses: { ...errors, ...bodyErrors, ...responses },
    run: (ctx) => run(ctx, parseBody(ctx.event, request)),
  };
}

/**
 * A command under an Idempotency-Key bound to its method, path and body: a retry replays the first
 * reply, another request with the same key is refused (409 unless `responses` says otherwise). The
 * request's correlation id travels with the key to the events the command commits.
 */
export function commandOperation<S extends z.ZodMiniType>(
  spec: OperationHead & {
    method?: 'POST' | 'PATCH';
    request: S;
    responses: Operation['responses'];
    run: (ctx: OperationContext, body: z.output<S>, idem: IdempotencyContext) => Promise<Reply>;
  },
): Operation {
  const { method = 'POST', request, responses, run, ...head } = spec;
  return {
    ...head,
    method,
    idempotent: true,
    request,
    responses: { ...errors, ...bodyErrors, ...idempotencyErrors, ...responses },
    run: (ctx) => {
      const body = parseBody(ctx.event, request);
      const { event } = ctx;
      const idem = {
        key: idempotencyKey(event),
        requestHash: requestHash(event.httpMethod, event.path, body),
        correlationId: correlationIdOf(event),
      };
      return run(ctx, body, idem);
    },
  };
}
