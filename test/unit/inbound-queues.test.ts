import { commandScope } from '../../functions/api/inbound-commands';
import { COMMAND_TYPES } from '../../functions/domain/batches';
import {
  InboundQueueAdmin,
  InboundQueueWorker,
  type InboundQueueInfrastructure,
  type InboundQueueStore,
  type SubmitBatch,
} from '../../functions/domain/inbound-queue-service';
import {
  inboundBatchIdentity,
  inboundQueueAttributes,
  inboundQueueNames,
  inboundQueuePolicy,
  inboundQueueRequest,
  INBOUND_SCOPES,
  parseInboundMessage,
  type InboundQueue,
} from '../../functions/domain/inbound-queues';
import type { Tenant, TenantStore } from '../../functions/domain/ports';
import { Problem } from '../../functions/shared/problem';

const clock = { now: () => new Date('2026-12-03T10:00:00.000Z') };
const ARN = 'arn:aws:sqs:eu-west-1:111111111111:loyalty-prod-inbound-acme.fifo';

function memoryStore(): InboundQueueStore & { items: Map<string, InboundQueue> } {
  const items = new Map<string, InboundQueue>();
  return {
    items,
    get: (tenantId) => Promise.resolve(items.get(tenantId) ?? null),
    getByArn: (arn) => Promise.resolve([...items.values()].find((q) => q.queueArn === arn) ?? null),
    put: (queue) => {
      items.set(queue.tenantId, queue);
      return Promise.resolve();
    },
    delete: (queue) => {
      items.delete(queue.tenantId);
      return Promise.resolve();
    },
    recordRejection: (queue, lastRejection) => {
      const stored = items.get(queue.tenantId);
      if (stored)
        items.set(queue.tenantId, { ...stored, rejectedMessages: stored.rejectedMessages + 1, lastRejection });
      return Promise.resolve();
    },
  };
}

/** Records every AWS call in order. */
function fakeInfrastructure(): InboundQueueInfrastructure & { calls: string[] } {
  const calls: string[] = [];
  const arn = (name: string) => `arn:aws:sqs:eu-west-1:111111111111:${name}`;
  return {
    calls,
    createQueue: (name) => {
      calls.push(`createQueue ${name}`);
      return Promise.resolve({ url: `https://sqs/111111111111/${name}`, arn: arn(name) });
    },
    setPolicy: (url) => {
      calls.push(`setPolicy ${url}`);
      return Promise.resolve();
    },
    ensureMapping: (queueArn) => {
      calls.push(`ensureMapping ${queueArn}`);
      return Promise.resolve('mapping-1');
    },
    deleteMapping: (id) => {
      calls.push(`deleteMapping ${id}`);
      return Promise.resolve();
    },
    deleteQueue: (url) => {
      calls.push(`deleteQueue ${url}`);
      return Promise.resolve();
    },
  };
}

const tenantStore = (known: string[]) =>
  ({
    getTenant: (tenantId: string) => Promise.resolve(known.includes(tenantId) ? ({ tenantId } as Tenant) : null),
  }) as unknown as TenantStore;

const registration = (tenantId: string, queueArn: string, scopes: string[] = [...INBOUND_SCOPES]): InboundQueue => ({
  tenantId,
  queueName: queueArn.split(':').at(-1)!,
  queueUrl: 'https://sqs/q',
  queueArn,
  dlqUrl: 'https://sqs/dlq',
  dlqArn: `${queueArn}-dlq`,
  accountId: '123456789012',
  scopes,
  mappingId: 'mapping-1',
  createdAt: clock.now().toISOString(),
  rejectedMessages: 0,
});

describe('inbound queue rules', () => {
  it('names a tenant’s queue and DLQ under the stage prefix, within SQS’s 80 characters, one per tenant', () => {
    // Prepare
    const long = 'a'.repeat(64);

    // Act
    const short = inboundQueueNames('loyalty-prod', 'acme');
    const longNames = inboundQueueNames('loyalty-prod', long);
    const otherLong = inboundQueueNames('loyalty-prod', `${'a'.repeat(63)}b`);

    // Assess
    expect(short).toEqual({ queue: 'loyalty-prod-inbound-acme.fifo', dlq: 'loyalty-prod-inbound-acme-dlq.fifo' });
    expect(longNames.dlq.length).toBeLessThanOrEqual(80);
    expect(longNames.queue).toMatch(/^loyalty-prod-inbound-a+-[0-9a-f]{12}\.fifo$/);
    expect(otherLong.queue).not.toBe(longNames.queue);
  });

  it('lets only the tenant’s account send, and nobody without TLS', () => {
    // Act
    const policy = inboundQueuePolicy(ARN, '123456789012') as { Statement: Record<string, unknown>[] };

    // Assess
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123456789012:root' },
        Action: ['sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
        Resource: ARN,
      }),
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ]);
  });

  it('makes FIFO queues with SQS-managed encryption, high throughput and a redrive after 5 receives', () => {
    // Act
    const attributes = inboundQueueAttributes({ deadLetterArn: `${ARN}-dlq` });

    // Assess
    expect(attributes).toMatchObject({
      FifoQueue: 'true',
      SqsManagedSseEnabled: 'true',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    expect(JSON.parse(attributes.RedrivePolicy!)).toEqual({ deadLetterTargetArn: `${ARN}-dlq`, maxReceiveCount: 5 });
    expect(inboundQueueAttributes({ dlq: true }).RedrivePolicy).toBeUndefined();
  });

  it('accepts 12-digit account ids and the command scopes only', () => {
    expect(inboundQueueRequest.safeParse({ accountId: '123456789012' }).success).toBe(true);
    expect(inboundQueueRequest.safeParse({ accountId: '12345678901' }).success).toBe(false);
    expect(inboundQueueRequest.safeParse({ accountId: '12345678901a' }).success).toBe(false);
    expect(inboundQueueRequest.safeParse({ accountId: '123456789012', scopes: ['admin'] }).success).toBe(false);
    expect(inboundQueueRequest.safeParse({ accountId: '123456789012', tenantId: 'x' }).success).toBe(false);
  });

  it('grants by default exactly the scopes every command type needs', () => {
    expect([...INBOUND_SCOPES].sort()).toEqual([...new Set(COMMAND_TYPES.map(commandScope))].sort());
  });

  it('derives the batch from the message: id from the MessageId, key from the queue and deduplication id', () => {
    // Act
    const first = inboundBatchIdentity({ queueArn: ARN, messageId: 'm-1', deduplicationId: 'd-1' });
    const redelivered = inboundBatchIdentity({ queueArn: ARN, messageId: 'm-1', deduplicationId: 'd-1' });
    const resent = inboundBatchIdentity({ queueArn: ARN, messageId: 'm-2', deduplicationId: 'd-1' });
    const otherQueue = inboundBatchIdentity({ queueArn: `${ARN}x`, messageId: 'm-1', deduplicationId: 'd-1' });

    // Assess
    expect(first.batchId).toBe('inb_m-1');
    expect(redelivered).toEqual(first);
    expect(resent.idempotencyKey).toBe(first.idempotencyKey);
    expect(otherQueue.idempotencyKey).not.toBe(first.idempotencyKey);
  });

  it('reads exactly a batch request body, nothing that names a tenant', () => {
    const commands = [{ type: 'enrol', idempotencyKey: 'k1', body: { externalId: 'x' } }];
    expect(parseInboundMessage(JSON.stringify({ commands }))).toMatchObject({ ok: true });
    expect(parseInboundMessage('not json')).toEqual({ ok: false, reason: 'The message body is not JSON' });
    expect(parseInboundMessage(JSON.stringify({ tenantId: 'other', commands }))).toMatchObject({ ok: false });
    expect(parseInboundMessage(JSON.stringify({ commands: [] }))).toMatchObject({ ok: false });
  });
});

describe('InboundQueueAdmin', () => {
  it('creates the DLQ, the queue, their policies and the mapping, then registers the queue', async () => {
    // Prepare
    const store = memoryStore();
    const aws = fakeInfrastructure();
    const admin = new InboundQueueAdmin(store, aws, tenantStore(['acme']), clock, 'loyalty-prod');

    // Act
    const { queue, created } = await admin.create('acme', { accountId: '123456789012' });

    // Assess
    expect(created).toBe(true);
    expect(aws.calls).toEqual([
      'createQueue loyalty-prod-inbound-acme-dlq.fifo',
      'setPolicy https://sqs/111111111111/loyalty-prod-inbound-acme-dlq.fifo',
      'createQueue loyalty-prod-inbound-acme.fifo',
      'setPolicy https://sqs/111111111111/loyalty-prod-inbound-acme.fifo',
      `ensureMapping ${queue.queueArn}`,
    ]);
    expect(store.items.get('acme')).toMatchObject({ accountId: '123456789012', mappingId: 'mapping-1' });
    expect(queue.scopes).toEqual([...INBOUND_SCOPES].sort());
  });

  it('answers the same queue when asked again, refuses another account, and changes nothing on bad input', async () => {
    // Prepare
    const store = memoryStore();
    const aws = fakeInfrastructure();
    const admin = new InboundQueueAdmin(store, aws, tenantStore(['acme']), clock, 'loyalty-prod');
    await admin.create('acme', { accountId: '123456789012' });
    aws.calls.length = 0;

    // Act
    const again = await admin.create('acme', { accountId: '123456789012' });
    const other = admin.create('acme', { accountId: '210987654321' });
    const noTenant = admin.create('ghost', { accountId: '123456789012' });
    const noWrite = admin.create('acme', { accountId: '123456789012', scopes: ['points:write'] });

    // Assess
    expect(again.created).toBe(false);
    await expect(other).rejects.toMatchObject({ code: 'inbound_queue_exists' });
    await expect(noTenant).rejects.toMatchObject({ code: 'tenant_not_found' });
    await expect(noWrite).rejects.toMatchObject({ code: 'validation_failed' });
    expect(aws.calls).toEqual([]);
  });

  it('removes mapping, queue, DLQ and registration, and removing again changes nothing', async () => {
    // Prepare
    const store = memoryStore();
    const aws = fakeInfrastructure();
    const admin = new InboundQueueAdmin(store, aws, tenantStore(['acme']), clock, 'loyalty-prod');
    const { queue } = await admin.create('acme', { accountId: '123456789012' });
    aws.calls.length = 0;

    // Act
    const removed = await admin.remove('acme');
    const again = await admin.remove('acme');

    // Assess
    expect(removed?.queueArn).toBe(queue.queueArn);
    expect(again).toBeNull();
    expect(aws.calls).toEqual([
      'deleteMapping mapping-1',
      `deleteQueue ${queue.queueUrl}`,
      `deleteQueue ${queue.dlqUrl}`,
    ]);
    expect(store.items.size).toBe(0);
  });
});

describe('InboundQueueWorker', () => {
  const commands = [
    // A REST body that names another tenant is the command's business, never the batch's tenant.
    { type: 'enrol', idempotencyKey: 'k1', body: { externalId: 'x', tenantId: 'other' } },
    { type: 'earn', idempotencyKey: 'k2', externalId: 'x', body: { amountPoints: 5 } },
  ];

  function setUp(scopes?: string[], submit?: SubmitBatch) {
    const store = memoryStore();
    void store.put(registration('acme', ARN, scopes));
    void store.put(registration('other', `${ARN}-other`));
    const submitted: Parameters<SubmitBatch>[0][] = [];
    const worker = new InboundQueueWorker(
      (arn) => store.getByArn(arn),
      store,
      submit ??
        ((input) => {
          submitted.push(input);
          return Promise.resolve();
        }),
      clock,
      commandScope,
    );
    return { store, submitted, worker };
  }

  it('submits the message as a batch for the queue’s tenant, whatever the message says', async () => {
    // Prepare
    const { submitted, worker } = setUp();

    // Act
    const outcome = await worker.handle({
      queueArn: ARN,
      messageId: 'm-1',
      deduplicationId: 'd-1',
      body: JSON.stringify({ commands }),
    });

    // Assess
    expect(outcome).toEqual({ kind: 'submitted', tenantId: 'acme', batchId: 'inb_m-1' });
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({
      tenantId: 'acme',
      batchId: 'inb_m-1',
      idempotencyKey: inboundBatchIdentity({ queueArn: ARN, messageId: 'm-1', deduplicationId: 'd-1' }).idempotencyKey,
      principal: { credentialId: 'queue:loyalty-prod-inbound-acme.fifo' },
      correlationId: 'm-1',
    });
  });

  it('records and drops a body that is no batch request (one naming a tenant too), never retrying it', async () => {
    // Prepare
    const { store, submitted, worker } = setUp();

    // Act
    const outcome = await worker.handle({
      queueArn: ARN,
      messageId: 'm-2',
      body: JSON.stringify({ tenantId: 'other', commands }),
    });

    // Assess
    expect(outcome).toMatchObject({ kind: 'rejected', tenantId: 'acme' });
    expect(submitted).toEqual([]);
    expect(store.items.get('acme')).toMatchObject({ rejectedMessages: 1, lastRejection: { messageId: 'm-2' } });
    expect(store.items.get('other')?.rejectedMessages).toBe(0);
  });

  it('refuses commands beyond the queue’s scopes, and a batch the service refuses, as final', async () => {
    // Prepare
    const narrow = setUp(['members:write']);
    const refusing = setUp(undefined, () => Promise.reject(new Problem('idempotency_key_reused')));

    // Act
    const outOfScope = await narrow.worker.handle({
      queueArn: ARN,
      messageId: 'm-3',
      body: JSON.stringify({ commands }),
    });
    const reused = await refusing.worker.handle({
      queueArn: ARN,
      messageId: 'm-4',
      body: JSON.stringify({ commands }),
    });

    // Assess
    expect(outOfScope).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('points:write') });
    expect(narrow.submitted).toEqual([]);
    expect(reused).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('idempotency_key_reused') });
  });

  it('throws (so SQS retries, then dead-letters) on an unknown queue or a platform failure', async () => {
    // Prepare
    const failing = setUp(undefined, () => Promise.reject(new Error('DynamoDB unavailable')));
    const body = JSON.stringify({ commands });

    // Act + Assess
    await expect(failing.worker.handle({ queueArn: `${ARN}-gone`, messageId: 'm-5', body })).rejects.toThrow(
      /No inbound queue/,
    );
    await expect(failing.worker.handle({ queueArn: ARN, messageId: 'm-6', body })).rejects.toThrow(/unavailable/);
    await expect(
      setUp(undefined, () => Promise.reject(new Problem('service_unavailable'))).worker.handle({
        queueArn: ARN,
        messageId: 'm-7',
        body,
      }),
    ).rejects.toThrow();
  });
});
