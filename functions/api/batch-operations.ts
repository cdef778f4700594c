import * as z from '../shared/zod';
import { BATCH_LIMITS, COMMAND_TYPES, batchRequest } from '../domain/batches';
import { Problem } from '../shared/problem';
import { correlationIdOf } from './correlation';
import { idempotencyKey, parseBody } from './http';
import { commandScope } from './inbound-commands';
import { errors, pathParam, problem, type Operation } from './operation-kit';
import { idempotencyErrors, readOperation } from './operation-shapes';
import { requestHash } from './request-hash';
import { listQuery } from './schemas';

/**
 * Batches of member commands through the platform's FIFO queue (domain/batches.ts): accepted at once, applied in
 * order per member by the REST operations themselves, with a result per command and `batch.completed` at the end.
 * Scopes: `members:write` to submit (every command changes a member) plus each command's own scope; `members:read`
 * to read progress and results (results carry the members' replies).
 */

const counts = z.object({
  total: z.number().check(z.int()),
  succeeded: z.number().check(z.int(), z.describe('Commands answered 2xx')),
  failed: z.number().check(z.int(), z.describe('Commands refused (4xx), never retried')),
  pending: z.number().check(z.int(), z.describe('Commands without a result yet')),
});

const batchStatus = {
  batchId: z.string(),
  status: z
    .enum(['processing', 'completed'])
    .check(z.describe('completed: every command has its result (and batch.completed was sent)')),
  counts,
  createdAt: z.iso.datetime(),
  completedAt: z.optional(z.iso.datetime()),
};

const accepted = z.object({ ...batchStatus, links: z.object({ self: z.string() }) });

const commandResult = z.object({
  index: z.number().check(z.int(), z.describe('The command’s position in the batch, from 0')),
  type: z.enum(COMMAND_TYPES),
  idempotencyKey: z.string(),
  statusCode: z.number().check(z.int(), z.describe('What the REST call would have answered')),
  body: z.unknown().check(z.describe('The REST reply’s body: the resource, or the problem (application/problem+json)')),
  memberId: z.optional(z.string()).check(z.describe('The member the command acted on, when known')),
  completedAt: z.iso.datetime(),
});

const progress = z.object({
  ...batchStatus,
  results: z.array(commandResult).check(z.describe('Results recorded so far, in command order')),
  nextCursor: z.optional(z.string()).check(z.describe('Pass as `cursor` for the next page of results')),
});

export const batchOperations: Operation[] = [
  {
    method: 'POST',
    path: '/v1/batches',
    operationId: 'submitBatch',
    summary:
      `Submit up to ${BATCH_LIMITS.maxCommands} member commands (enrol, updateProfile, earn, transaction, redeem, ` +
      'adjust, reverse, offerView, offerActivate): accepted at once, applied in order per member',
    tag: 'Batches',
    scope: 'members:write',
    idempotent: true,
    request: batchRequest,
    responses: {
      202: { description: 'Accepted: the commands are queued (a retry answers the same batch)', schema: accepted },
      ...errors,
      403: problem('Insufficient scope: the batch needs members:write and each command its own scope'),
      413: problem(`The body exceeds ${BATCH_LIMITS.maxBodyBytes} bytes`),
      415: problem('The body is not JSON (Content-Type must be application/json)'),
      ...idempotencyErrors,
    },
    run: async ({ event, tenantId, principal, services }) => {
      const { commands } = parseBody(event, batchRequest, BATCH_LIMITS.maxBodyBytes);
      const missing = [...new Set(commands.map((c) => commandScope(c.type)))].filter(
        (scope) => !(principal.scopes as string[]).includes(scope),
      );
      if (missing.length > 0)
        throw new Problem('forbidden', `The batch's commands need the ${missing.join(', ')} scope(s)`);
      const idem = {
        key: idempotencyKey(event),
        requestHash: requestHash(event.httpMethod, event.path, { commands }),
        correlationId: correlationIdOf(event),
      };
      const caller = { credentialId: principal.credentialId, scopes: principal.scopes };
      return services.batches.submit(tenantId, caller, idem, commands);
    },
  },
  readOperation({
    path: '/v1/batches/{batchId}',
    operationId: 'getBatch',
    summary: 'A batch: its status, counts and a page of per-command results (the REST replies)',
    tag: 'Batches',
    scope: 'members:read',
    query: z.strictObject({ ...listQuery }),
    ok: { description: 'The batch', schema: progress },
    notFound: 'No such batch',
    read: ({ event, tenantId, services }, query) => services.batches.get(tenantId, pathParam(event, 'batchId'), query),
  }),
];
