import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import {
  batchCompletedEvent,
  batchView,
  deduplicationId,
  envelopeProblem,
  isComplete,
  messageGroupId,
  outcomeOf,
  type BatchCommand,
  type BatchRecord,
  type CommandMessage,
  MEMBER_REPLY_TYPES,
  type CommandResult,
  type StoredResult,
} from './batches';
import type { EventOf } from './events';
import type { IdempotencyContext, Reply } from './idempotency';
import type { Page } from './ports';

/** Batches as stored: the batch, its key's claim, its results and its completion. */
export interface BatchStore {
  /** Stores a new batch under its Idempotency-Key; answers the batch the key made before when there is one. */
  create(batch: BatchRecord): Promise<{ created: true } | { created: false; existing: BatchRecord }>;
  get(tenantId: string, batchId: string): Promise<BatchRecord | null>;
  /** Every command is on the queue: a retry of the request need not send them again. */
  markQueued(tenantId: string, batchId: string): Promise<void>;
  hasResult(tenantId: string, batchId: string, index: number): Promise<boolean>;
  /** Records a result and counts it, once: false when the command had its result already (nothing counted). */
  recordResult(
    tenantId: string,
    batchId: string,
    result: StoredResult,
    outcome: 'succeeded' | 'failed',
  ): Promise<boolean>;
  /** Marks the batch completed and writes its event in one commit, once: false when it was completed already. */
  complete(batch: BatchRecord, event: EventOf<'batch.completed'>): Promise<boolean>;
  listResults(
    tenantId: string,
    batchId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<StoredResult>>;
}

/** One message for the FIFO command queue. */
export interface QueuedCommand {
  groupId: string;
  deduplicationId: string;
  body: string;
}

export interface CommandQueue {
  /** Sends every message (in order within a group) or throws. */
  send(messages: QueuedCommand[]): Promise<void>;
}

/** A retryable failure of a command: the queue tries it again, and past its limit dead-letters it. */
export class CommandRetry extends Error {
  constructor(readonly reply: Reply) {
    super(`Command answered ${reply.statusCode}; retrying`);
    this.name = 'CommandRetry';
  }
}

/** Runs a command as its REST operation would: the reply, and the member it acted on when known. */
export type CommandRunner = (message: CommandMessage) => Promise<{ reply: Reply; memberId?: string }>;

/**
 * Batches: accepted at once (202) and queued per member; each command's result recorded by the worker; the batch
 * completed, with its `batch.completed` event, by whichever worker records the last result.
 */
export class BatchService {
  constructor(
    private readonly store: BatchStore,
    private readonly queue: CommandQueue,
    private readonly clock: Clock,
    private readonly newBatchId: () => string,
    /** The member as its REST reply shows it now (what a replay of an enrolment or profile update answers). */
    private readonly memberReply: (tenantId: string, memberId: string) => Promise<Reply>,
  ) {}

  /**
   * Accepts a batch under its Idempotency-Key: a retry (same key, same request) answers the same batch and sends
   * its commands again only when the first request had not sent them all (FIFO deduplication, then each result's
   * once-only record, keep a command from counting twice).
   */
  async submit(
    tenantId: string,
    caller: CommandMessage['principal'],
    idem: IdempotencyContext,
    commands: BatchCommand[],
  ): Promise<Reply> {
    const errors = commands.flatMap((command, i) => {
      const problem = envelopeProblem(command);
      return problem ? [{ path: `commands.${i}`, message: problem }] : [];
    });
    if (errors.length > 0) throw new Problem('validation_failed', 'A command cannot be queued', { errors });
    const fresh: BatchRecord = {
      tenantId,
      batchId: this.newBatchId(),
      idempotencyKey: idem.key,
      requestHash: idem.requestHash,
      status: 'processing',
      total: commands.length,
      succeeded: 0,
      failed: 0,
      queued: false,
      createdAt: this.clock.now().toISOString(),
      ...(idem.correlationId !== undefined ? { correlationId: idem.correlationId } : {}),
    };
    const created = await this.store.create(fresh);
    const batch = created.created ? fresh : created.existing;
    if (batch.requestHash !== idem.requestHash)
      throw new Problem('idempotency_key_reused', `Idempotency-Key ${idem.key} was first used with a different batch`);
    if (!batch.queued) {
      await this.queue.send(
        commands.map((command, index) => {
          const message: CommandMessage = {
            tenantId,
            batchId: batch.batchId,
            index,
            principal: caller,
            ...(idem.correlationId !== undefined ? { correlationId: idem.correlationId } : {}),
            command,
          };
          return {
            groupId: messageGroupId(tenantId, command),
            deduplicationId: deduplicationId(tenantId, batch.batchId, index),
            body: JSON.stringify(message),
          };
        }),
      );
      await this.store.markQueued(tenantId, batch.batchId);
    }
    return {
      statusCode: 202,
      body: { ...batchView(batch), links: { self: `/v1/batches/${batch.batchId}` } },
      ...(created.created ? {} : { replayed: true }),
    };
  }

  /** A batch's progress and a page of its results, in command order. */
  async get(tenantId: string, batchId: string, query: { limit: number; cursor?: string }) {
    const batch = await this.store.get(tenantId, batchId);
    if (!batch) throw new Problem('batch_not_found', `No batch ${batchId}`);
    const page = await this.store.listResults(tenantId, batchId, query);
    const results = await Promise.all(page.items.map((item) => this.rendered(tenantId, item)));
    return { ...batchView(batch), results, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  private async rendered(tenantId: string, stored: StoredResult): Promise<CommandResult> {
    if (!('member' in stored)) return stored;
    const { member, ...result } = stored;
    try {
      return { ...result, body: (await this.memberReply(tenantId, member)).body };
    } catch (error) {
      // Gone since (erased, then removed): the result says so as the member's own read would.
      if (error instanceof Problem) return { ...result, body: error.toBody() };
      throw error;
    }
  }
}

/**
 * The worker's side of batches: applies a queued command and records its result; whichever worker records a
 * batch's last result completes it, with its `batch.completed` event.
 */
export class BatchCommandWorker {
  constructor(
    private readonly store: BatchStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Applies one queued command and records its result (a final one: 2xx or the command's own 4xx). A retryable
   * outcome throws `CommandRetry`, so the queue tries again. A command redelivered after its result was recorded
   * is not run again; either way the batch is completed if this was its last result.
   */
  async apply(message: CommandMessage, run: CommandRunner): Promise<void> {
    const { tenantId, batchId, index, command } = message;
    if (!(await this.store.hasResult(tenantId, batchId, index))) {
      const { reply, memberId } = await run(message);
      const outcome = outcomeOf(reply);
      if (outcome === 'retry') throw new CommandRetry(reply);
      const keepsMember = MEMBER_REPLY_TYPES.has(command.type) && outcome === 'succeeded' && memberId !== undefined;
      const result: StoredResult = {
        index,
        type: command.type,
        idempotencyKey: command.idempotencyKey,
        statusCode: reply.statusCode,
        ...(keepsMember ? { member: memberId } : { body: reply.body }),
        ...(memberId !== undefined ? { memberId } : {}),
        completedAt: this.clock.now().toISOString(),
      };
      await this.store.recordResult(tenantId, batchId, result, outcome);
    }
    await this.completeIfDone(tenantId, batchId);
  }

  private async completeIfDone(tenantId: string, batchId: string): Promise<void> {
    const batch = await this.store.get(tenantId, batchId);
    if (!batch || batch.status === 'completed' || !isComplete(batch)) return;
    const completedAt = this.clock.now().toISOString();
    await this.store.complete({ ...batch, completedAt }, batchCompletedEvent(batch, completedAt));
  }
}
