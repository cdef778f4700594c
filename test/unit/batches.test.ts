import { ledgerReplies } from '../../functions/api/ledger-views';
import {
  applyCommand,
  commandOperation,
  commandScope,
  commandServices,
  COMMAND_OPERATIONS,
  type CommandServices,
} from '../../functions/api/inbound-commands';
import { requestHash } from '../../functions/api/request-hash';
import {
  BatchCommandWorker,
  BatchService,
  CommandRetry,
  type BatchStore,
  type QueuedCommand,
} from '../../functions/domain/batch-service';
import {
  batchCommand,
  batchCompletedEvent,
  COMMAND_TYPES,
  envelopeProblem,
  messageGroupId,
  outcomeOf,
  retryDelaySeconds,
  type BatchCommand,
  type BatchRecord,
  type CommandMessage,
  type StoredResult,
} from '../../functions/domain/batches';
import type { AuditEvent, EventOf } from '../../functions/domain/events';
import { loyaltyEvent } from '../../functions/domain/events';
import { LedgerService } from '../../functions/domain/ledger-service';
import { chatNotice } from '../../functions/domain/webhooks/chat-messages';
import type { Offer } from '../../functions/domain/offers';
import type { Tenant } from '../../functions/domain/ports';
import { RewardCatalogue } from '../../functions/domain/reward-catalogue';
import type { RewardStore } from '../../functions/domain/ports';
import { catalogueReplies } from '../../functions/api/catalogue-views';
import { executionRolePolicies } from '../../functions/declaration/iam-policy';
import { functions, queues } from '../../functions/declaration/topology';
import { FIXED_NOW } from '../support/ledger-helpers';
import { fixedProgrammes, MemoryLedgerStore } from '../support/memory-ledger-store';

const command = (fields: Partial<BatchCommand> & Pick<BatchCommand, 'type'>): BatchCommand =>
  batchCommand.parse({ idempotencyKey: `k-${Math.random().toString(36).slice(2)}`, ...fields });

const message = (tenantId: string, index: number, cmd: BatchCommand): CommandMessage => ({
  tenantId,
  batchId: 'bat_1',
  index,
  principal: { credentialId: 'key_1', scopes: ['members:write', 'points:write', 'points:adjust'] },
  correlationId: 'corr-1',
  command: cmd,
});

/** The ledger side only, in memory: what the command worker is composed of. */
function narrowServices() {
  const store = new MemoryLedgerStore();
  const ledger = new LedgerService(store, fixedProgrammes(), FIXED_NOW, ledgerReplies);
  const offer: Offer = {
    tenantId: 't1',
    offerId: 'off_1',
    name: 'Spa',
    status: 'active',
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '2027-01-01T00:00:00Z',
    activationLimitPerMember: 1,
    updatedAt: '2026-01-01T00:00:00Z',
  };
  const audited: AuditEvent[] = [];
  const services: CommandServices = {
    ledger,
    offers: {
      list: () => Promise.resolve([offer]),
      get: (_t, id) => Promise.resolve(id === offer.offerId ? offer : null),
      put: () => Promise.reject(new Error('not here')),
    },
    // Earnings funded by a campaign read their campaign here; these commands name none.
    catalogue: new RewardCatalogue({} as RewardStore, store, FIXED_NOW, catalogueReplies),
    audit: { record: (e) => Promise.resolve(void audited.push(e)), list: () => Promise.resolve({ items: [] }) },
    clock: FIXED_NOW,
    tenantStore: {
      getTenant: (tenantId: string) => Promise.resolve({ tenantId, status: 'active' } as Tenant),
      getTenantStatus: () => Promise.resolve({ status: 'active' }),
    } as unknown as CommandServices['tenantStore'],
  };
  const resolve = (tenantId: string, externalId: string) => store.findMemberIdByExternalId(tenantId, externalId);
  return { services, resolve, audited, store };
}

describe('batch commands: the envelope', () => {
  it('groups a member addressed by external id with its enrolment, and keeps tenants apart', () => {
    // Prepare
    const enrol = command({ type: 'enrol', body: { externalId: 'guest-1' } });
    const earn = command({ type: 'earn', externalId: 'guest-1', body: { amountPoints: 5, reason: 'stay' } });
    const other = command({ type: 'earn', externalId: 'guest-2', body: { amountPoints: 5, reason: 'stay' } });

    // Act + Assess
    expect(messageGroupId('t1', enrol)).toBe(messageGroupId('t1', earn));
    expect(messageGroupId('t1', earn)).not.toBe(messageGroupId('t1', other));
    expect(messageGroupId('t1', earn)).not.toBe(messageGroupId('t2', earn));
    expect(messageGroupId('t1', earn).length).toBeLessThanOrEqual(128);
  });

  it('refuses envelopes whose member, entry or offer is missing or ambiguous', () => {
    expect(envelopeProblem(command({ type: 'enrol', body: {} }))).toMatch(/externalId/);
    expect(envelopeProblem(command({ type: 'enrol', memberId: 'mem_1', body: { externalId: 'x' } }))).toBeDefined();
    expect(envelopeProblem(command({ type: 'earn' }))).toMatch(/memberId or by externalId/);
    expect(envelopeProblem(command({ type: 'earn', memberId: 'mem_1', externalId: 'x' }))).toBeDefined();
    expect(envelopeProblem(command({ type: 'reverse', memberId: 'mem_1' }))).toMatch(/entryId/);
    expect(envelopeProblem(command({ type: 'offerView', memberId: 'mem_1' }))).toMatch(/offerId/);
    expect(envelopeProblem(command({ type: 'earn', memberId: 'mem_1' }))).toBeUndefined();
  });

  it('counts 2xx as succeeded, a command’s own 4xx as failed, and platform failures as retries', () => {
    expect(outcomeOf({ statusCode: 201, body: {} })).toBe('succeeded');
    expect(outcomeOf({ statusCode: 422, body: { code: 'insufficient_points' } })).toBe('failed');
    expect(outcomeOf({ statusCode: 409, body: { code: 'idempotency_key_reused' } })).toBe('failed');
    expect(outcomeOf({ statusCode: 409, body: { code: 'concurrent_update' } })).toBe('retry');
    expect(outcomeOf({ statusCode: 429, body: { code: 'too_many_requests' } })).toBe('retry');
    expect(outcomeOf({ statusCode: 503, body: { code: 'service_unavailable' } })).toBe('retry');
  });

  it('waits longer before each retry of a platform failure, up to 4 minutes', () => {
    // Act
    const waits = [1, 2, 3, 4, 5, 9].map(retryDelaySeconds);

    // Assess
    expect(waits).toEqual([15, 30, 60, 120, 240, 240]);
  });

  it('builds a batch.completed event the catalogue accepts, with an id that depends on the batch only', () => {
    // Prepare
    const batch = { tenantId: 't1', batchId: 'bat_1', total: 3, succeeded: 2, failed: 1 } as BatchRecord;
    batch.createdAt = '2026-11-21T09:00:00.000Z';

    // Act
    const first = batchCompletedEvent(batch, '2026-11-21T10:00:00.000Z');
    const again = batchCompletedEvent(batch, '2026-11-21T10:00:05.000Z');

    // Assess
    expect(loyaltyEvent.safeParse(first).success).toBe(true);
    expect(again.id).toBe(first.id);
  });

  it('reads as a chat notice naming the batch and its refusals', () => {
    // Prepare
    const batch = { tenantId: 't1', batchId: 'bat_1', total: 3, succeeded: 2, failed: 1 } as BatchRecord;
    batch.createdAt = '2026-11-21T09:00:00.000Z';

    // Act
    const notice = chatNotice(batchCompletedEvent(batch, '2026-11-21T10:00:00.000Z'));

    // Assess
    expect(notice.title).toBe('Batch bat_1 completed: 2 of 3 commands succeeded');
    expect(notice.lines.join(' ')).toContain('1 command was refused');
    expect(notice.facts).toContainEqual(['Failed', '1']);
  });

  it('maps every command type to a REST operation whose scope it needs', () => {
    for (const type of COMMAND_TYPES) {
      expect(commandOperation(type).operationId).toBe(COMMAND_OPERATIONS[type]);
      expect(commandScope(type)).toMatch(/^(members|points):/);
    }
    expect(commandScope('adjust')).toBe('points:adjust');
  });
});

describe('batch commands: applied by the REST operations with the worker’s narrow services', () => {
  it('runs every command type, with REST bodies, problems and idempotency records', async () => {
    // Prepare
    const { services, resolve, audited } = narrowServices();
    const run = (index: number, cmd: BatchCommand) => applyCommand(message('t1', index, cmd), services, resolve);

    // Act: a new member enrolled, then addressed by its external id and by its id, through every type.
    const enrol = await run(0, command({ type: 'enrol', body: { externalId: 'guest-1' } }));
    const memberId = enrol.memberId ?? '';
    const update = await run(1, command({ type: 'updateProfile', externalId: 'guest-1', body: { firstName: 'Ada' } }));
    const earn = await run(2, command({ type: 'earn', memberId, body: { amountPoints: 100, reason: 'stay' } }));
    const entryId = (earn.reply.body as { entry: { entryId: string } }).entry.entryId;
    const transaction = await run(
      3,
      command({
        type: 'transaction',
        memberId,
        body: { transactionId: 'tx-1', type: 'purchase', amount: 10, currency: 'EUR' },
      }),
    );
    const redeem = await run(4, command({ type: 'redeem', memberId, body: { amountPoints: 10, reason: 'gift' } }));
    const adjust = await run(5, command({ type: 'adjust', memberId, body: { amountPoints: 5, reason: 'goodwill' } }));
    const reverse = await run(
      6,
      command({ type: 'reverse', memberId, entryId, body: { amountPoints: 20, reason: 'x' } }),
    );
    const view = await run(7, command({ type: 'offerView', memberId, offerId: 'off_1', body: { channel: 'app' } }));
    const activate = await run(8, command({ type: 'offerActivate', memberId, offerId: 'off_1' }));

    // Assess
    expect(enrol.reply.statusCode).toBe(201);
    expect(memberId).toMatch(/^mem_/);
    expect(update).toMatchObject({ reply: { statusCode: 200 }, memberId });
    expect(earn.reply.statusCode).toBe(201);
    expect(transaction.reply.statusCode).toBeLessThan(300);
    expect(redeem.reply.statusCode).toBe(201);
    expect(adjust.reply.statusCode).toBe(201);
    expect(reverse.reply.statusCode).toBe(201);
    expect(view.reply.statusCode).toBe(201);
    expect(activate.reply.statusCode).toBe(201);
    // The adjustment's audit event names the batch's caller, as the REST call names its own.
    expect(audited.map((e) => [e.type, e.actor.credentialId])).toEqual([['audit.points.adjusted', 'key_1']]);
  });

  it('answers a command’s own failures as REST would: validation, business rules, unknown members', async () => {
    // Prepare
    const { services, resolve } = narrowServices();
    const run = (index: number, cmd: BatchCommand) => applyCommand(message('t1', index, cmd), services, resolve);
    const { memberId = '' } = await run(0, command({ type: 'enrol', body: { externalId: 'guest-1' } }));

    // Act
    const invalid = await run(1, command({ type: 'earn', memberId, body: { amountPoints: -1, reason: 'x' } }));
    const broke = await run(2, command({ type: 'redeem', memberId, body: { amountPoints: 10, reason: 'x' } }));
    const unknown = await run(
      3,
      command({ type: 'earn', externalId: 'nobody', body: { amountPoints: 1, reason: 'x' } }),
    );

    // Assess
    expect(invalid.reply).toMatchObject({
      statusCode: 400,
      body: { code: 'validation_failed', instance: `/v1/members/${memberId}/points/earn` },
    });
    expect(broke.reply).toMatchObject({ statusCode: 422, body: { code: 'insufficient_points' } });
    expect(unknown.reply).toMatchObject({ statusCode: 404, body: { code: 'member_not_found' } });
  });

  it('shares idempotency records with the REST path: the REST retry of a command replays its reply', async () => {
    // Prepare
    const { services, resolve } = narrowServices();
    const { memberId = '' } = await applyCommand(
      message('t1', 0, command({ type: 'enrol', body: { externalId: 'guest-1' } })),
      services,
      resolve,
    );
    const body = { amountPoints: 7, reason: 'stay' };
    const queued = await applyCommand(
      message('t1', 1, command({ type: 'earn', memberId, idempotencyKey: 'pos-77', body })),
      services,
      resolve,
    );

    // Act: the REST call with the same key and body.
    const path = `/v1/members/${memberId}/points/earn`;
    const rest = await services.ledger.earn(
      't1',
      memberId,
      { key: 'pos-77', requestHash: requestHash('POST', path, body) },
      body,
    );

    // Assess
    expect(rest).toEqual({ ...queued.reply, replayed: true });
  });

  it('fails loudly when a command reaches for a service the worker is not given', () => {
    // Prepare
    const { services } = narrowServices();

    // Act
    const guarded = commandServices(services);

    // Assess
    expect(guarded.ledger).toBe(services.ledger);
    expect(() => guarded.subscriptions).toThrow(/without subscriptions/);
    expect(() => guarded.tenants).toThrow(/without tenants/);
  });
});

/** Batches and results in memory: the same once-only rules as the table. */
class MemoryBatchStore implements BatchStore {
  batches = new Map<string, BatchRecord>();
  claims = new Map<string, string>();
  results = new Map<string, StoredResult>();
  events: EventOf<'batch.completed'>[] = [];

  create(batch: BatchRecord) {
    const claimed = this.claims.get(`${batch.tenantId}/${batch.idempotencyKey}`);
    if (claimed) return Promise.resolve({ created: false as const, existing: { ...this.batches.get(claimed)! } });
    this.claims.set(`${batch.tenantId}/${batch.idempotencyKey}`, batch.batchId);
    this.batches.set(batch.batchId, { ...batch });
    return Promise.resolve({ created: true as const });
  }
  get(_tenantId: string, batchId: string) {
    const batch = this.batches.get(batchId);
    return Promise.resolve(batch ? { ...batch } : null);
  }
  markQueued(_tenantId: string, batchId: string) {
    this.batches.get(batchId)!.queued = true;
    return Promise.resolve();
  }
  hasResult(_tenantId: string, batchId: string, index: number) {
    return Promise.resolve(this.results.has(`${batchId}/${index}`));
  }
  recordResult(_tenantId: string, batchId: string, result: StoredResult, outcome: 'succeeded' | 'failed') {
    if (this.results.has(`${batchId}/${result.index}`)) return Promise.resolve(false);
    this.results.set(`${batchId}/${result.index}`, result);
    this.batches.get(batchId)![outcome] += 1;
    return Promise.resolve(true);
  }
  complete(batch: BatchRecord, event: EventOf<'batch.completed'>) {
    const stored = this.batches.get(batch.batchId)!;
    if (stored.status === 'completed') return Promise.resolve(false);
    Object.assign(stored, { status: 'completed', completedAt: event.occurredAt });
    this.events.push(event);
    return Promise.resolve(true);
  }
  listResults(_tenantId: string, batchId: string) {
    const items = [...this.results.entries()].filter(([k]) => k.startsWith(`${batchId}/`)).map(([, r]) => r);
    return Promise.resolve({ items: items.sort((a, b) => a.index - b.index) });
  }
}

describe('batches: accepted, queued, completed once', () => {
  const caller = { credentialId: 'key_1', scopes: ['members:write', 'points:write'] };
  const idem = (key: string, body: unknown) => ({ key, requestHash: requestHash('POST', '/v1/batches', body) });

  function setup() {
    const store = new MemoryBatchStore();
    const sent: QueuedCommand[] = [];
    let ids = 0;
    const service = new BatchService(
      store,
      { send: (messages) => Promise.resolve(void sent.push(...messages)) },
      FIXED_NOW,
      () => `bat_${++ids}`,
      // The member as it is now: renamed since its enrolment.
      (_tenantId, memberId) => Promise.resolve({ statusCode: 200, body: { memberId, firstName: 'Now' } }),
    );
    return { store, sent, service, worker: new BatchCommandWorker(store, FIXED_NOW) };
  }

  it('answers a retry with the same batch without queueing again, and refuses the key for another batch', async () => {
    // Prepare
    const { service, sent } = setup();
    const commands = [command({ type: 'earn', memberId: 'mem_1', body: { amountPoints: 1, reason: 'x' } })];

    // Act
    const first = await service.submit('t1', caller, idem('b-1', { commands }), commands);
    const retry = await service.submit('t1', caller, idem('b-1', { commands }), commands);
    const other = service.submit('t1', caller, idem('b-1', { commands: [] }), commands);

    // Assess
    expect(first).toMatchObject({ statusCode: 202, body: { batchId: 'bat_1', counts: { total: 1, pending: 1 } } });
    expect(retry).toMatchObject({ statusCode: 202, body: { batchId: 'bat_1' }, replayed: true });
    expect(sent).toHaveLength(1);
    await expect(other).rejects.toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('records each result once and completes the batch once, with its event', async () => {
    // Prepare
    const { service, sent, store, worker } = setup();
    const commands = [
      command({ type: 'earn', memberId: 'mem_1', body: { amountPoints: 1, reason: 'x' } }),
      command({ type: 'redeem', memberId: 'mem_1', body: { amountPoints: 9, reason: 'x' } }),
    ];
    await service.submit('t1', caller, idem('b-2', { commands }), commands);
    const messages = sent.map((m) => JSON.parse(m.body) as CommandMessage);
    const replies = [
      { statusCode: 201, body: { ok: true } },
      { statusCode: 422, body: { code: 'insufficient_points' } },
    ];
    let runs = 0;
    const run = (m: CommandMessage) => {
      runs += 1;
      return Promise.resolve({ reply: replies[m.index]! });
    };

    // Act: both applied, then the last one redelivered.
    for (const m of messages) await worker.apply(m, run);
    await worker.apply(messages[1]!, run);
    const progress = await service.get('t1', 'bat_1', { limit: 25 });

    // Assess
    expect(runs).toBe(2);
    expect(progress).toMatchObject({
      status: 'completed',
      counts: { total: 2, succeeded: 1, failed: 1, pending: 0 },
      results: [
        { index: 0, statusCode: 201 },
        { index: 1, statusCode: 422, body: { code: 'insufficient_points' } },
      ],
    });
    expect(store.events).toHaveLength(1);
    expect(store.events[0]).toMatchObject({ type: 'batch.completed', data: { total: 2, succeeded: 1, failed: 1 } });
  });

  it('keeps only the member id of an enrolment’s result and shows the member as it is when read', async () => {
    // Prepare
    const { service, sent, store, worker } = setup();
    const commands = [command({ type: 'enrol', body: { externalId: 'guest-1', firstName: 'Then' } })];
    await service.submit('t1', caller, idem('b-4', { commands }), commands);
    const [queued] = sent.map((m) => JSON.parse(m.body) as CommandMessage);
    const enrolled = { statusCode: 201, body: { memberId: 'mem_1', firstName: 'Then' } };

    // Act
    await worker.apply(queued!, () => Promise.resolve({ reply: enrolled, memberId: 'mem_1' }));
    const progress = await service.get('t1', 'bat_1', { limit: 25 });

    // Assess
    expect(JSON.stringify([...store.results.values()])).not.toContain('Then');
    expect(progress.results).toEqual([
      expect.objectContaining({ statusCode: 201, memberId: 'mem_1', body: { memberId: 'mem_1', firstName: 'Now' } }),
    ]);
  });

  it('throws a retryable outcome back to the queue and records nothing', async () => {
    // Prepare
    const { service, sent, store, worker } = setup();
    const commands = [command({ type: 'earn', memberId: 'mem_1', body: { amountPoints: 1, reason: 'x' } })];
    await service.submit('t1', caller, idem('b-3', { commands }), commands);
    const [queued] = sent.map((m) => JSON.parse(m.body) as CommandMessage);

    // Act
    const applying = worker.apply(queued!, () =>
      Promise.resolve({ reply: { statusCode: 409, body: { code: 'concurrent_update' } } }),
    );

    // Assess
    await expect(applying).rejects.toBeInstanceOf(CommandRetry);
    expect(store.results.size).toBe(0);
    expect(store.events).toHaveLength(0);
  });
});

describe('batches: the declaration', () => {
  it('gives the worker the table alone: no KMS key, queue to send to or throttling', () => {
    // Prepare
    const worker = functions.batchWorker;

    // Act
    const statements = executionRolePolicies.batchWorker;
    const resources = statements.flatMap((statement) => statement.resources.map((resource) => resource.kind));
    const sends = statements.filter((statement) => statement.actions.includes('sqs:SendMessage'));

    // Assess
    expect(worker.access).toEqual({ table: 'readWrite' });
    expect(Object.keys(worker.environment)).toEqual(['TABLE_NAME', 'BATCH_QUEUE_URL']);
    for (const kind of ['secretsKey', 'usagePlans', 'apiKeys', 'rawEventsStream', 'activeTokenKey', 'lakeKey'])
      expect(resources).not.toContain(kind);
    expect(sends).toEqual([]);
  });

  it('feeds the worker from a FIFO queue with a DLQ, a visibility of six timeouts, and lets the API send to it', () => {
    // Prepare
    const { trigger } = functions.batchWorker;

    // Act
    const queue = queues[trigger.queue];

    // Assess
    expect(queue).toMatchObject({ fifo: true, deadLetter: { queue: 'batchCommandsDlq', maxReceiveCount: 5 } });
    expect(queues.batchCommandsDlq.fifo).toBe(true);
    expect(queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * functions.batchWorker.timeoutSeconds);
    expect(trigger.reportBatchItemFailures).toBe(true);
    expect(functions.api.access.sendTo).toContain('batchCommands');
  });
});
