import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import type { BatchCommand } from './batches';
import type { TenantScope } from './credentials';
import {
  INBOUND_SCOPES,
  inboundBatchIdentity,
  inboundDlqPolicy,
  inboundPrincipal,
  inboundQueueAttributes,
  inboundQueueNames,
  inboundQueuePolicy,
  parseInboundMessage,
  type InboundQueue,
  type InboundQueueRequest,
} from './inbound-queues';
import type { TenantStore } from './ports';

/** Registrations: which tenant a queue belongs to (by queue ARN) and a tenant's queue (by tenant). */
export interface InboundQueueStore {
  get(tenantId: string): Promise<InboundQueue | null>;
  getByArn(queueArn: string): Promise<InboundQueue | null>;
  put(queue: InboundQueue): Promise<void>;
  delete(queue: InboundQueue): Promise<void>;
  /** Counts a message that was no batch request (recorded, then deleted from the queue). */
  recordRejection(queue: InboundQueue, rejection: NonNullable<InboundQueue['lastRejection']>): Promise<void>;
}

/** The AWS side: queues (SQS) and the event-source mapping to the inbound worker (Lambda). */
export interface InboundQueueInfrastructure {
  /** Creates the queue (or finds it, with the same attributes) and answers its URL and ARN. */
  createQueue(
    name: string,
    attributes: Record<string, string>,
    tags: Record<string, string>,
  ): Promise<{ url: string; arn: string }>;
  setPolicy(url: string, policy: Record<string, unknown>): Promise<void>;
  /** The mapping from the queue to the inbound worker: an existing one is reused. */
  ensureMapping(queueArn: string): Promise<string>;
  /** Deleting what is gone already is not an error. */
  deleteMapping(mappingId: string): Promise<void>;
  deleteQueue(url: string): Promise<void>;
}

/** The admin side: create, show and remove a tenant's inbound queue. */
export class InboundQueueAdmin {
  constructor(
    private readonly store: InboundQueueStore,
    private readonly infrastructure: InboundQueueInfrastructure,
    private readonly tenants: TenantStore,
    private readonly clock: Clock,
    /** The stage's queue-name prefix (`inboundQueuePrefix`). */
    private readonly prefix: string,
  ) {}

  /**
   * Creates the queue, its DLQ, its policy and its mapping, then registers it. Asked again with the same account and
   * scopes it answers the queue it made (`created: false`); with others, 409. Every step finds what a failed
   * earlier attempt left, so a retry completes it.
   */
  async create(tenantId: string, request: InboundQueueRequest): Promise<{ queue: InboundQueue; created: boolean }> {
    if (!(await this.tenants.getTenant(tenantId))) throw new Problem('tenant_not_found', `No tenant ${tenantId}`);
    const scopes = [...(request.scopes ?? INBOUND_SCOPES)].sort();
    if (!scopes.includes('members:write'))
      throw new Problem('validation_failed', 'A queue needs the members:write scope', {
        errors: [{ path: 'scopes', message: 'members:write is required: every batch needs it' }],
      });
    const existing = await this.store.get(tenantId);
    if (existing) {
      if (existing.accountId === request.accountId && existing.scopes.join() === scopes.join())
        return { queue: existing, created: false };
      throw new Problem(
        'inbound_queue_exists',
        `Tenant ${tenantId} has an inbound queue for another account or scopes`,
      );
    }
    const names = inboundQueueNames(this.prefix, tenantId);
    const tags = { tenant: tenantId, purpose: 'inbound-queue' };
    const dlq = await this.infrastructure.createQueue(names.dlq, inboundQueueAttributes({ dlq: true }), tags);
    await this.infrastructure.setPolicy(dlq.url, inboundDlqPolicy(dlq.arn));
    const queue = await this.infrastructure.createQueue(
      names.queue,
      inboundQueueAttributes({ deadLetterArn: dlq.arn }),
      tags,
    );
    await this.infrastructure.setPolicy(queue.url, inboundQueuePolicy(queue.arn, request.accountId));
    const mappingId = await this.infrastructure.ensureMapping(queue.arn);
    const registration: InboundQueue = {
      tenantId,
      queueName: names.queue,
      queueUrl: queue.url,
      queueArn: queue.arn,
      dlqUrl: dlq.url,
      dlqArn: dlq.arn,
      accountId: request.accountId,
      scopes,
      mappingId,
      createdAt: this.clock.now().toISOString(),
      rejectedMessages: 0,
    };
    await this.store.put(registration);
    return { queue: registration, created: true };
  }

  async get(tenantId: string): Promise<InboundQueue> {
    const queue = await this.store.get(tenantId);
    if (!queue) throw new Problem('inbound_queue_not_found', `Tenant ${tenantId} has no inbound queue`);
    return queue;
  }

  /**
   * Removes the mapping, the queue, its DLQ and the registration, in that order (the registration last, so a retry
   * after a failure finds what is left). Nothing to remove answers null.
   */
  async remove(tenantId: string): Promise<InboundQueue | null> {
    const queue = await this.store.get(tenantId);
    if (!queue) return null;
    await this.infrastructure.deleteMapping(queue.mappingId);
    await this.infrastructure.deleteQueue(queue.queueUrl);
    await this.infrastructure.deleteQueue(queue.dlqUrl);
    await this.store.delete(queue);
    return queue;
  }
}

/** One message of a tenant's queue, as the event-source mapping hands it over. */
export interface InboundMessage {
  /** The queue it came from (the record's `eventSourceARN`): the only source of its tenant. */
  queueArn: string;
  messageId: string;
  deduplicationId?: string;
  body: string;
}

/** Submits a batch for a tenant, as `POST /v1/batches` does (BatchService.submit with a given batch id). */
export type SubmitBatch = (input: {
  tenantId: string;
  batchId: string;
  idempotencyKey: string;
  principal: { credentialId: string; scopes: string[] };
  correlationId: string;
  commands: BatchCommand[];
}) => Promise<unknown>;

/** What became of a message: a batch, or a rejection recorded for the tenant (either way, deleted). */
export type InboundOutcome =
  { kind: 'submitted'; tenantId: string; batchId: string } | { kind: 'rejected'; tenantId: string; reason: string };

/**
 * The inbound worker's rule: the tenant is the queue's, looked up by the queue's ARN, never read from the message; a
 * body that is no valid batch (or asks for scopes the queue lacks) is recorded and dropped, never retried; anything
 * else that fails throws, so SQS retries it and, past its limit, dead-letters it to the queue's DLQ.
 */
export class InboundQueueWorker {
  constructor(
    private readonly lookup: (queueArn: string) => Promise<InboundQueue | null>,
    private readonly store: Pick<InboundQueueStore, 'recordRejection'>,
    private readonly submit: SubmitBatch,
    private readonly clock: Clock,
    /** The scope of a command type's REST operation (`commandScope`, api/inbound-commands.ts). */
    private readonly commandScope: (type: BatchCommand['type']) => TenantScope,
  ) {}

  async handle(message: InboundMessage): Promise<InboundOutcome> {
    const queue = await this.lookup(message.queueArn);
    // A queue being removed (or not yet registered): retried, and dead-lettered if it stays unknown.
    if (!queue) throw new Error(`No inbound queue is registered for ${message.queueArn}`);
    const parsed = parseInboundMessage(message.body);
    if (!parsed.ok) return this.reject(queue, message, parsed.reason);
    const principal = inboundPrincipal(queue);
    const { batchId, idempotencyKey } = inboundBatchIdentity(message);
    const needed = new Set<string>(['members:write', ...parsed.commands.map((c) => this.commandScope(c.type))]);
    const missing = [...needed].filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) return this.reject(queue, message, `The queue lacks the ${missing.join(', ')} scope(s)`);
    try {
      await this.submit({
        tenantId: queue.tenantId,
        batchId,
        idempotencyKey,
        principal,
        correlationId: message.messageId,
        commands: parsed.commands,
      });
    } catch (error) {
      // A command's envelope that cannot be queued, a deduplication id reused for another body: final, not retried.
      if (error instanceof Problem && error.status < 500 && error.status !== 429)
        return this.reject(queue, message, `${error.code}: ${error.message}`);
      throw error;
    }
    return { kind: 'submitted', tenantId: queue.tenantId, batchId };
  }

  private async reject(queue: InboundQueue, message: InboundMessage, reason: string): Promise<InboundOutcome> {
    await this.store.recordRejection(queue, {
      messageId: message.messageId,
      at: this.clock.now().toISOString(),
      reason,
    });
    return { kind: 'rejected', tenantId: queue.tenantId, reason };
  }
}
