import { createHash } from 'node:crypto';
import * as z from '../shared/zod';
import { PROBLEM_CODES, type ProblemCode } from '../shared/problem';
import type { Reply } from './idempotency';
import { assertWellFormedEvent, type EventOf } from './events';

/**
 * Batches of member commands through the platform's queue (pure rules, no I/O): the command envelope, what a
 * batch may hold, how commands are grouped and deduplicated on the FIFO queue, how an outcome counts, and the
 * `batch.completed` event. The commands themselves are applied by the REST operations (api/inbound-commands.ts).
 */

/** The command types a batch (or an inbound queue) carries, each the REST operation of the same name applies. */
export const COMMAND_TYPES = [
  'enrol',
  'updateProfile',
  'earn',
  'transaction',
  'redeem',
  'adjust',
  'reverse',
  'offerView',
  'offerActivate',
] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/**
 * What one batch may hold. 500 commands keep a batch's enqueueing (SendMessageBatch: 10 messages and 256 KiB a
 * call, so 50 calls, 10 at a time) well inside the API's 25 s; 1 MiB of request body stays far below API
 * Gateway's 10 MB and Lambda's 6 MB payloads, and each command's own body keeps the REST limit (64 KiB), so a
 * message stays under SQS's 256 KiB.
 */
export const BATCH_LIMITS = { maxCommands: 500, maxBodyBytes: 1024 * 1024 } as const;

/** How long a batch and its results are kept (TTL): long enough to collect results, short for the data they hold. */
export const BATCH_RETENTION_DAYS = 7;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const PATH_ID = /^[A-Za-z0-9_-]{1,64}$/;

const pathId = (what: string) =>
  z.string().check(z.regex(PATH_ID, `${what}: 1 to 64 letters, digits, _ or -`), z.describe(`The ${what}`));

/**
 * One command. `body` is the REST request body as it is (validated by the operation when the command runs, so a
 * bad body is a result, not a refused batch); the member is named by `memberId` or by the caller's `externalId`
 * (resolved when the command runs; `enrol` names its external id in its body). Address one member the same way
 * throughout a batch: commands are ordered per address.
 */
export const batchCommand = z.strictObject({
  type: z.enum(COMMAND_TYPES).check(z.describe('The REST operation the command runs (see the README)')),
  idempotencyKey: z
    .string()
    .check(
      z.regex(IDEMPOTENCY_KEY, 'Use 1 to 255 printable ASCII characters without spaces'),
      z.describe("The command's Idempotency-Key: the same key as a REST call replays the same reply"),
    ),
  memberId: z.optional(pathId('member id')),
  externalId: z.optional(
    z.string().check(z.minLength(1), z.maxLength(128), z.describe("The member's id in the calling system")),
  ),
  entryId: z.optional(pathId('ledger entry id (reverse)')),
  offerId: z.optional(pathId('offer id (offerView, offerActivate)')),
  body: z._default(z.record(z.string(), z.unknown()), {}).check(z.describe('The REST request body')),
});
export type BatchCommand = z.output<typeof batchCommand>;

export const batchRequest = z.strictObject({
  commands: z
    .array(batchCommand)
    .check(
      z.minLength(1),
      z.maxLength(BATCH_LIMITS.maxCommands),
      z.describe(`1 to ${BATCH_LIMITS.maxCommands} commands, applied in order per member`),
    ),
});

/** Why an envelope cannot be queued (its address is missing or ambiguous), or undefined when it can. */
export function envelopeProblem(command: BatchCommand): string | undefined {
  if (command.type === 'enrol') {
    if (command.memberId !== undefined || command.externalId !== undefined)
      return 'enrol names its member by body.externalId only';
    return typeof command.body.externalId === 'string' && command.body.externalId.length > 0
      ? undefined
      : 'enrol needs body.externalId';
  }
  if ((command.memberId === undefined) === (command.externalId === undefined))
    return 'name the member by memberId or by externalId (one of them)';
  if (command.type === 'reverse' && command.entryId === undefined) return 'reverse needs entryId';
  if ((command.type === 'offerView' || command.type === 'offerActivate') && command.offerId === undefined)
    return `${command.type} needs offerId`;
  return undefined;
}

/** The address a command's member has within its tenant: its id, or its external id. */
export function memberAddress(command: BatchCommand): string {
  if (command.type === 'enrol') return `ext:${String(command.body.externalId)}`;
  return command.memberId !== undefined ? `id:${command.memberId}` : `ext:${command.externalId}`;
}

const sha256 = (parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex');

/**
 * The FIFO message group of a command: its tenant and member address, hashed (external ids are the caller's text,
 * and group ids allow 128 characters of a narrow alphabet). One member's commands apply in order, members in
 * parallel.
 */
export const messageGroupId = (tenantId: string, command: BatchCommand): string =>
  `m-${sha256([tenantId, memberAddress(command)])}`;

/** The FIFO deduplication id of a batch's command: the same batch sent again within 5 minutes is dropped by SQS. */
export const deduplicationId = (tenantId: string, batchId: string, index: number): string =>
  sha256([tenantId, batchId, String(index)]);

/** A command on the queue: the tenant and caller come from the batch, never from what a producer wrote. */
export interface CommandMessage {
  tenantId: string;
  batchId: string;
  index: number;
  /** The caller that submitted the batch (tenant principal): audit events name it. */
  principal: { credentialId: string; scopes: string[] };
  correlationId?: string;
  command: BatchCommand;
}

export type BatchStatus = 'processing' | 'completed';

/** A batch as stored: counts grow as results are recorded; `queued` once every command is on the queue. */
export interface BatchRecord {
  tenantId: string;
  batchId: string;
  idempotencyKey: string;
  requestHash: string;
  status: BatchStatus;
  total: number;
  succeeded: number;
  failed: number;
  queued: boolean;
  createdAt: string;
  completedAt?: string;
  /** The submitting request's correlation id: its commands' events and `batch.completed` carry it. */
  correlationId?: string;
}

/** One command's result: the status and body (or problem) its REST call would have answered. */
export interface CommandResult {
  index: number;
  type: CommandType;
  idempotencyKey: string;
  statusCode: number;
  body: unknown;
  /** The member the command acted on, when known (resolved from an external id, or enrolled). */
  memberId?: string;
  completedAt: string;
}

/** A result as stored: a member reply keeps only its member (`body` is rendered when the result is read). */
export type StoredResult = Omit<CommandResult, 'body'> & ({ body: unknown } | { member: string });

/**
 * Commands whose success replies with the member (profile fields included). Their results keep only the member id
 * and show the member as it is when read, as a replay of their Idempotency-Key does: personal data stays in the
 * member's own items, and an erased member's results show it erased.
 */
export const MEMBER_REPLY_TYPES: ReadonlySet<CommandType> = new Set(['enrol', 'updateProfile']);

/** Problems a later try can clear: the command is tried again (and past the queue's limit, dead-lettered). */
const RETRYABLE: ReadonlySet<ProblemCode> = new Set([
  'concurrent_update',
  'idempotency_request_in_progress',
  'too_many_requests',
]);

/**
 * How a reply counts: 2xx succeeded; any other 4xx is the command's own fault and a final result (never retried);
 * a 5xx, throttling or a member's contention (409 concurrent_update) is the platform's and is retried.
 */
export function outcomeOf(reply: Reply): 'succeeded' | 'failed' | 'retry' {
  if (reply.statusCode < 400) return 'succeeded';
  if (reply.statusCode >= 500) return 'retry';
  const code = (reply.body as { code?: string } | null)?.code;
  return code !== undefined && code in PROBLEM_CODES && RETRYABLE.has(code as ProblemCode) ? 'retry' : 'failed';
}

/**
 * How long a command that failed on the platform's side waits before its next try: 15 s, doubling, at most 4 minutes
 * (about 8 minutes over the queue's 5 receives before the DLQ). Shorter than the visibility timeout, so contention
 * and throttling clear quickly; the member's later commands wait behind it (FIFO), other members do not.
 */
export const retryDelaySeconds = (receiveCount: number): number =>
  Math.min(15 * 2 ** Math.max(0, receiveCount - 1), 240);

export const isComplete = (batch: Pick<BatchRecord, 'total' | 'succeeded' | 'failed'>): boolean =>
  batch.succeeded + batch.failed >= batch.total;

/** A batch as the API shows it. */
export function batchView(batch: BatchRecord) {
  const { batchId, status, total, succeeded, failed, createdAt, completedAt } = batch;
  return {
    batchId,
    status,
    counts: { total, succeeded, failed, pending: Math.max(0, total - succeeded - failed) },
    createdAt,
    ...(completedAt !== undefined ? { completedAt } : {}),
  };
}

/**
 * `batch.completed`, built from the batch once its last result is recorded. Its id follows from the batch alone,
 * so the event is one event however often completion is attempted.
 * @example batchCompletedEvent(batch, '2026-12-03T10:00:00.000Z')
 */
export function batchCompletedEvent(batch: BatchRecord, completedAt: string): EventOf<'batch.completed'> {
  const event: EventOf<'batch.completed'> = {
    id: `bev_${sha256([batch.tenantId, 'batch.completed', batch.batchId]).slice(0, 32)}`,
    version: 1,
    tenantId: batch.tenantId,
    occurredAt: completedAt,
    ...(batch.correlationId !== undefined ? { correlationId: batch.correlationId } : {}),
    type: 'batch.completed',
    data: {
      batchId: batch.batchId,
      total: batch.total,
      succeeded: batch.succeeded,
      failed: batch.failed,
      createdAt: batch.createdAt,
    },
  };
  assertWellFormedEvent(event);
  return event;
}
