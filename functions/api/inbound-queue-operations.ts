import * as z from '../shared/zod';
import { OPERATOR_SCOPE } from '../domain/credentials';
import { inboundQueueRequest, type InboundQueue } from '../domain/inbound-queues';
import { TENANT_ID_PATTERN } from '../domain/tenants';
import { Problem } from '../shared/problem';
import { recordAudit } from './audit-operations';
import { errors, problem, type Operation, type OperationContext } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';

/**
 * Tenants' inbound queues (docs/decisions/0015-inbound-queues.md), operators only: an SQS FIFO queue a named AWS
 * account of the tenant may send batch requests to, applied for the queue's tenant with the results of batches.
 */

const admin = { tag: 'Admin', scope: OPERATOR_SCOPE } as const;
const PATH = '/admin/tenants/{tenantId}/inbound-queue';

const inboundQueueResponse = z
  .object({
    tenantId: z.string(),
    queueName: z.string(),
    queueUrl: z.string().check(z.describe('Where the producer sends (SendMessage, MessageGroupId per member)')),
    queueArn: z.string(),
    deadLetterQueueUrl: z.string().check(z.describe('Messages that failed 5 times (docs/runbooks/batch-dlq.md)')),
    accountId: z.string().check(z.describe('The AWS account the queue policy lets send')),
    scopes: z.array(z.string()).check(z.describe("What the queue's batches may do")),
    createdAt: z.iso.datetime(),
    rejectedMessages: z
      .number()
      .check(z.int(), z.describe('Messages that were no batch request: recorded here and dropped, never retried')),
    lastRejection: z.optional(z.object({ messageId: z.string(), at: z.iso.datetime(), reason: z.string() })),
  })
  .check(z.describe("A tenant's inbound queue"));

const view = (queue: InboundQueue) => ({
  tenantId: queue.tenantId,
  queueName: queue.queueName,
  queueUrl: queue.queueUrl,
  queueArn: queue.queueArn,
  deadLetterQueueUrl: queue.dlqUrl,
  accountId: queue.accountId,
  scopes: queue.scopes,
  createdAt: queue.createdAt,
  rejectedMessages: queue.rejectedMessages,
  ...(queue.lastRejection ? { lastRejection: queue.lastRejection } : {}),
});

function tenantIdOf({ event }: OperationContext): string {
  const tenantId = event.pathParameters?.tenantId;
  if (!tenantId || !TENANT_ID_PATTERN.test(tenantId))
    throw new Problem('validation_failed', 'Path parameter tenantId is not valid');
  return tenantId;
}

export const inboundQueueOperations: Operation[] = [
  writeOperation({
    ...admin,
    method: 'PUT',
    path: PATH,
    operationId: 'createInboundQueue',
    summary:
      "Create the tenant's inbound queue: an SQS FIFO queue (and its DLQ) that the AWS account named may send batch " +
      'requests to; asked again with the same account and scopes, it answers the same queue',
    request: inboundQueueRequest,
    responses: {
      200: { description: 'The queue existed already with this account and scopes', schema: inboundQueueResponse },
      201: { description: 'Created', schema: inboundQueueResponse },
      404: problem('No such tenant'),
      409: problem('The tenant has an inbound queue for another account or scopes (inbound_queue_exists)'),
    },
    run: async (ctx, body) => {
      const tenantId = tenantIdOf(ctx);
      const { queue, created } = await ctx.services.inboundQueues.create(tenantId, body);
      // Recorded on a repeat too: its key is the queue's creation, so a retry after a lost audit write completes it.
      await recordAudit(
        ctx,
        'audit.inbound_queue.created',
        queue.queueName,
        { accountId: queue.accountId, scopes: queue.scopes },
        { tenantId, at: queue.createdAt, key: `inbound-queue-created:${queue.createdAt}` },
      );
      return { statusCode: created ? 201 : 200, body: view(queue) };
    },
  }),
  readOperation({
    ...admin,
    path: PATH,
    operationId: 'getInboundQueue',
    summary: "The tenant's inbound queue: its URL, account, scopes and the messages it refused",
    ok: { description: 'The queue', schema: inboundQueueResponse },
    notFound: 'The tenant has no inbound queue',
    read: async (ctx) => view(await ctx.services.inboundQueues.get(tenantIdOf(ctx))),
  }),
  readOperation({
    tag: 'Batches',
    scope: 'members:read',
    path: '/v1/inbound-queue',
    operationId: 'getOwnInboundQueue',
    summary:
      "The tenant's own inbound queue (operators create it): where to send, and the messages it refused as no batch " +
      'request (`rejectedMessages`, `lastRejection`)',
    ok: { description: 'The queue', schema: inboundQueueResponse },
    notFound: 'The tenant has no inbound queue',
    read: async ({ tenantId, services }) => view(await services.inboundQueues.get(tenantId)),
  }),
  {
    ...admin,
    method: 'DELETE',
    path: PATH,
    operationId: 'removeInboundQueue',
    summary:
      "Remove the tenant's inbound queue: its mapping, the queue, its DLQ (with any messages in them) and its " +
      'registration; removing what is not there changes nothing',
    idempotent: false,
    responses: { 204: { description: 'Removed (or there was none)' }, ...errors },
    run: async (ctx) => {
      const tenantId = tenantIdOf(ctx);
      const removed = await ctx.services.inboundQueues.remove(tenantId);
      if (removed)
        await recordAudit(
          ctx,
          'audit.inbound_queue.removed',
          removed.queueName,
          {},
          {
            tenantId,
            key: `inbound-queue-removed:${removed.createdAt}`,
          },
        );
      return { statusCode: 204, body: null };
    },
  },
];
