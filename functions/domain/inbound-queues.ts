import { createHash } from 'node:crypto';
import * as z from '../shared/zod';
import type { TenantScope } from './credentials';
import { batchRequest } from './batches';

/**
 * Per-tenant inbound queues (pure rules, no I/O): a tenant's own AWS account sends batch requests to an SQS FIFO
 * queue of its own; the inbound worker submits each message as a batch for the queue's tenant. This module names
 * the queues, writes their policy and attributes, says which tenant a queue belongs to (the registration) and how a
 * message becomes a batch: its id and Idempotency-Key come from the queue and the message, never from its body.
 */

/** An AWS account id: exactly 12 digits. */
export const AWS_ACCOUNT_ID = /^\d{12}$/;

/** SQS: a queue name has at most 80 characters, `.fifo` included. */
const MAX_QUEUE_NAME = 80;
const FIFO_SUFFIX = '.fifo';
const DLQ_SUFFIX = '-dlq';

/** A redrive after this many receives: the same limit as the platform's command queue (decision 0013). */
export const INBOUND_MAX_RECEIVE_COUNT = 5;
/** Six times the inbound worker's timeout (AWS guidance for SQS triggers). */
export const INBOUND_VISIBILITY_TIMEOUT_SECONDS = 6 * 30;
/** A message waits up to 4 days (SQS's default), a dead letter 14 (SQS's maximum), as the platform's own queues. */
export const INBOUND_RETENTION_SECONDS = 4 * 86_400;
export const INBOUND_DLQ_RETENTION_SECONDS = 14 * 86_400;
/** Lambda takes at most 10 messages a batch from a FIFO queue. */
export const INBOUND_BATCH_SIZE = 10;

/** The scopes a queue may be granted: a batch needs `members:write` and each command type its own. */
export const INBOUND_SCOPES = ['members:write', 'points:write', 'points:adjust'] as const satisfies TenantScope[];

export const inboundQueueRequest = z.strictObject({
  accountId: z
    .string()
    .check(
      z.regex(AWS_ACCOUNT_ID, 'An AWS account id is 12 digits'),
      z.describe('The AWS account of the tenant allowed to send to the queue'),
    ),
  scopes: z.optional(
    z
      .array(z.enum(INBOUND_SCOPES))
      .check(
        z.minLength(1),
        z.describe('What its messages may do (default: every command scope); a batch needs members:write'),
      ),
  ),
});
export type InboundQueueRequest = z.output<typeof inboundQueueRequest>;

/** The registration of a tenant's queue: what the inbound worker and the admin API know of it. */
export interface InboundQueue {
  tenantId: string;
  queueName: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  accountId: string;
  scopes: string[];
  /** The event-source mapping from the queue to the inbound worker. */
  mappingId: string;
  createdAt: string;
  /** Messages whose body was not a batch request: recorded and deleted, never retried. */
  rejectedMessages: number;
  lastRejection?: { messageId: string; at: string; reason: string };
}

/** A queue name part: the tenant id when it fits, else its head and a hash (still one per tenant). */
function tenantPart(prefix: string, tenantId: string): string {
  const room = MAX_QUEUE_NAME - `${prefix}-inbound-`.length - DLQ_SUFFIX.length - FIFO_SUFFIX.length;
  if (tenantId.length <= room) return tenantId;
  const hash = createHash('sha256').update(tenantId).digest('hex').slice(0, 12);
  return `${tenantId.slice(0, room - hash.length - 1)}-${hash}`;
}

/**
 * The tenant's queue and its dead-letter queue: under the stage's prefix, so the admin function's grant
 * (`<prefix>-inbound-*`) covers them and nothing else.
 * @example inboundQueueNames('loyalty-prod', 'acme') // { queue: 'loyalty-prod-inbound-acme.fifo', dlq: '…-dlq.fifo' }
 */
export function inboundQueueNames(prefix: string, tenantId: string): { queue: string; dlq: string } {
  const base = `${prefix}-inbound-${tenantPart(prefix, tenantId)}`;
  return { queue: `${base}${FIFO_SUFFIX}`, dlq: `${base}${DLQ_SUFFIX}${FIFO_SUFFIX}` };
}

/**
 * The queue policy: the tenant's account may send (and find the queue), nobody without TLS. Same-account
 * principals (the inbound worker's role) are allowed by their own identity policies.
 */
export function inboundQueuePolicy(queueArn: string, accountId: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TenantAccountSends',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: ['sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
        Resource: queueArn,
      },
      {
        Sid: 'DenyWithoutTls',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: queueArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

/** The dead-letter queue's policy: no sender but SQS's redrive (same account), no request without TLS. */
export function inboundDlqPolicy(dlqArn: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyWithoutTls',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: dlqArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

/**
 * A FIFO queue's attributes: SQS-managed encryption (a producer in another account needs no KMS grant), high
 * throughput (deduplication and throughput per message group), and the redrive to its DLQ when given.
 */
export function inboundQueueAttributes(options: { deadLetterArn?: string; dlq?: boolean }): Record<string, string> {
  return {
    FifoQueue: 'true',
    ContentBasedDeduplication: 'false',
    SqsManagedSseEnabled: 'true',
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
    VisibilityTimeout: String(options.dlq ? 30 : INBOUND_VISIBILITY_TIMEOUT_SECONDS),
    MessageRetentionPeriod: String(options.dlq ? INBOUND_DLQ_RETENTION_SECONDS : INBOUND_RETENTION_SECONDS),
    ...(options.deadLetterArn
      ? {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: options.deadLetterArn,
            maxReceiveCount: INBOUND_MAX_RECEIVE_COUNT,
          }),
        }
      : {}),
  };
}

/** The principal a queue's batches act as: the queue itself, with the scopes granted when it was created. */
export const inboundPrincipal = (queue: Pick<InboundQueue, 'queueName' | 'scopes'>) => ({
  credentialId: `queue:${queue.queueName}`,
  scopes: [...queue.scopes],
});

/**
 * The batch a message makes: its id from the SQS MessageId the producer got back from SendMessage (so the producer
 * finds it at `GET /v1/batches/inb_<MessageId>`), its Idempotency-Key from the queue and the message's deduplication
 * id (a redelivery, or a resend with the same deduplication id, answers the same batch, never a second one).
 */
export function inboundBatchIdentity(input: { queueArn: string; messageId: string; deduplicationId?: string }): {
  batchId: string;
  idempotencyKey: string;
} {
  const source = input.deduplicationId ?? input.messageId;
  const hash = createHash('sha256').update(`${input.queueArn}\n${source}`).digest('hex');
  return { batchId: inboundBatchId(input.messageId), idempotencyKey: `inbound-${hash}` };
}

/** The batch id of the message SQS gave this id. */
export const inboundBatchId = (messageId: string): string => `inb_${messageId}`;

/**
 * A message's body as a batch request (`{ "commands": [...] }`, exactly the POST /v1/batches body), or why it is
 * not one. The body names no tenant: any field besides `commands` makes it no batch request.
 */
export function parseInboundMessage(
  body: string,
): { ok: true; commands: z.output<typeof batchRequest>['commands'] } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'The message body is not JSON' };
  }
  const parsed = batchRequest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    return { ok: false, reason: `Not a batch request: ${path ? `${path}: ` : ''}${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, commands: parsed.data.commands };
}
