import { randomBytes } from 'node:crypto';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { FunctionId } from '../../functions/declaration/topology';
import { REGION } from '../../local/aws-local';
import { roleCredentials } from '../../local/roles';
import { runScript } from '../support/run-script';
import { tenantTable } from '../support/tenant-fixtures';
import { keyedApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * A tenant's inbound queue on the twin, end to end: the admin CLI creates it (queue, DLQ, policy, mapping to the
 * inbound worker through the twin's Lambda API); a producer with the tenant account's own credentials sends batch
 * requests with SDK v3 `SendMessage`, one message group per member; the ledger reflects them in order per member, and
 * `GET /v1/batches/inb_<MessageId>` shows the results. The tenant is the queue's: a message naming another tenant
 * (in its body or its attributes) never acts for that tenant. Bad input changes nothing; remove deletes the queue and
 * the mapping.
 */
const twin = useTwin();

interface Queue {
  queueUrl: string;
  queueArn: string;
  queueName: string;
  accountId: string;
  scopes: string[];
  rejectedMessages: number;
  lastRejection?: { messageId: string; reason: string };
}
interface Batch {
  batchId: string;
  status: string;
  counts: { total: number; succeeded: number; failed: number };
  results: { index: number; statusCode: number; memberId?: string; body: { code?: string } }[];
}

const TENANT_ACCOUNT = '123456789012';

describe('inbound queues', () => {
  it("applies a producer's batches for the queue's tenant, never one the message names", async () => {
    // Prepare: two tenants; an operator.
    const suffix = randomBytes(4).toString('hex');
    const [tenantId, otherTenantId] = [`inq-${suffix}`, `inq-other-${suffix}`];
    const tenants = tenantTable(twin);
    const apiKey = await tenants.issueKey(tenantId);
    const otherKey = await tenants.issueKey(otherTenantId);
    const operatorKey = await tenants.issueOperatorKey();
    tenants.destroy();
    const call = keyedApi(twin);
    const admin = (args: string[]) =>
      runScript('scripts/admin/main.ts', ['--url', twin.apiUrl, 'inbound-queues', ...args], {
        LOYALTY_OPERATOR_KEY: operatorKey,
      });
    const path = `/admin/tenants/${tenantId}/inbound-queue`;

    // Act + Assess: a malformed account id is refused with its code, and creates nothing.
    const refused = await call<{ code: string }>(operatorKey, 'PUT', path, { accountId: '12345' });
    expect(refused).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect((await call<{ code: string }>(operatorKey, 'GET', path)).body.code).toBe('inbound_queue_not_found');
    // A tenant's own key never reaches the admin route.
    expect((await call(apiKey, 'PUT', path, { accountId: TENANT_ACCOUNT })).status).toBe(403);

    // Act: the CLI creates the queue; asked again, it answers the same one.
    const created = await admin(['create', tenantId, '--account', TENANT_ACCOUNT]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const queue = JSON.parse(created.stdout) as Queue;
    expect(queue).toMatchObject({ accountId: TENANT_ACCOUNT, queueName: `loyalty-local-inbound-${tenantId}.fifo` });
    const again = await call<Queue>(operatorKey, 'PUT', path, { accountId: TENANT_ACCOUNT });
    expect(again).toMatchObject({ status: 200, body: { queueArn: queue.queueArn } });
    const conflicting = await call<{ code: string }>(operatorKey, 'PUT', path, { accountId: '210987654321' });
    expect(conflicting).toMatchObject({ status: 409, body: { code: 'inbound_queue_exists' } });

    // Act: the producer, as the tenant's account would, sends batch requests: one message group per member.
    const producer = new SQSClient({
      region: REGION,
      endpoint: twin.endpoints.sqs,
      credentials: { accessKeyId: `tenant-${TENANT_ACCOUNT}`, secretAccessKey: 'tenant-secret' },
    });
    const queueUrl = `${twin.endpoints.sqs}${new URL(queue.queueUrl).pathname}`;
    const send = async (group: string, body: unknown, attributes?: Record<string, string>) => {
      const sent = await producer.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageGroupId: group,
          MessageDeduplicationId: randomBytes(8).toString('hex'),
          MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
          ...(attributes
            ? {
                MessageAttributes: Object.fromEntries(
                  Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
                ),
              }
            : {}),
        }),
      );
      return `inb_${sent.MessageId!}`;
    };
    const key = () => `cmd-${randomBytes(6).toString('hex')}`;
    const command = (type: string, externalId: string, body: Record<string, unknown>) =>
      type === 'enrol'
        ? { type, idempotencyKey: key(), body: { externalId } }
        : { type, idempotencyKey: key(), externalId, body };
    const members = [`a-${suffix}`, `b-${suffix}`];
    const batchIds: string[] = [];
    for (const member of members) {
      // Three messages a member, in order: the redeem succeeds only after both earnings (order per member holds).
      batchIds.push(await send(member, { commands: [command('enrol', member, {})] }));
      batchIds.push(await send(member, { commands: [command('earn', member, { amountPoints: 40, reason: 'stay' })] }));
      batchIds.push(
        await send(member, {
          commands: [
            command('earn', member, { amountPoints: 30, reason: 'spa' }),
            command('redeem', member, { amountPoints: 60, reason: 'reward' }),
          ],
        }),
      );
    }
    // A message that names the other tenant in its attributes still acts for the queue's tenant.
    const claimed = `c-${suffix}`;
    const claimedBatch = await send(
      claimed,
      { commands: [command('enrol', claimed, {})] },
      { tenantId: otherTenantId },
    );
    // A body that names a tenant is no batch request: recorded and dropped, never applied anywhere.
    const claimingBody = { tenantId: otherTenantId, commands: [command('enrol', `d-${suffix}`, {})] };
    await send(`d-${suffix}`, claimingBody);

    // Assess: every batch completes, for the queue's tenant, with the REST results.
    const batches: Batch[] = [];
    for (const batchId of [...batchIds, claimedBatch]) {
      const done = await waitFor(
        async () => {
          const got = await call<Batch>(apiKey, 'GET', `/v1/batches/${batchId}`);
          return got.status === 200 && got.body.status === 'completed' ? got.body : undefined;
        },
        { timeoutMs: 60_000, what: `batch ${batchId} completed` },
      );
      batches.push(done);
    }
    expect(batches.every((batch) => batch.counts.failed === 0)).toBe(true);
    for (const [m, member] of members.entries()) {
      const memberId = batches[m * 3]!.results[0]!.memberId!;
      const balance = await call<{ availablePoints: number }>(apiKey, 'GET', `/v1/members/${memberId}/balance`);
      expect({ member, points: balance.body.availablePoints }).toEqual({ member, points: 10 });
    }
    // The other tenant has neither the batch nor the member.
    expect((await call(otherKey, 'GET', `/v1/batches/${claimedBatch}`)).status).toBe(404);
    const otherMembers = await call<{ items: unknown[] }>(otherKey, 'GET', '/v1/members');
    expect(otherMembers.body.items).toEqual([]);
    const rejected = await waitFor(
      async () => {
        const got = await call<Queue>(operatorKey, 'GET', path);
        return got.body.rejectedMessages > 0 ? got.body : undefined;
      },
      { timeoutMs: 30_000, what: 'the rejected message recorded' },
    );
    expect(rejected.rejectedMessages).toBe(1);
    expect(rejected.lastRejection?.reason).toMatch(/tenantId/);
    // The tenant sees it too, on its own route; the other tenant has no queue.
    const own = await call<Queue>(apiKey, 'GET', '/v1/inbound-queue');
    expect(own).toMatchObject({ status: 200, body: { queueArn: queue.queueArn, rejectedMessages: 1 } });
    expect((await call(otherKey, 'GET', '/v1/inbound-queue')).status).toBe(404);

    // Act: the CLI removes the queue; removing again changes nothing.
    const removed = await admin(['remove', tenantId]);
    expect(removed.code).toBe(0);
    expect((await admin(['remove', tenantId])).code).toBe(0);

    // Assess: the tenant's audit trail has the creation (once, though asked twice) and the removal.
    const trail = await call<{ items: { type: string; data: { accountId?: string } }[] }>(
      apiKey,
      'GET',
      '/v1/audit-events?type=audit.inbound_queue',
    );
    expect(trail.body.items.map((event) => event.type).sort()).toEqual([
      'audit.inbound_queue.created',
      'audit.inbound_queue.removed',
    ]);
    // Assess: queue, DLQ, mapping and registration are gone.
    expect((await call<{ code: string }>(operatorKey, 'GET', path)).body.code).toBe('inbound_queue_not_found');
    await expect(producer.send(new GetQueueUrlCommand({ QueueName: queue.queueName }))).rejects.toThrow();
    const lambda = new LambdaClient({
      region: REGION,
      endpoint: twin.endpoints.lambda,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { EventSourceMappings } = await lambda.send(
      new ListEventSourceMappingsCommand({ EventSourceArn: queue.queueArn }),
    );
    expect(EventSourceMappings).toEqual([]);
    producer.destroy();
    lambda.destroy();
  }, 240_000);

  it("lets the admin role make only the stage's inbound queues, and the worker role none", async () => {
    // Prepare: SQS clients as the functions' own code has them (their roles, through the twin's IAM proxy).
    const asRole = (id: FunctionId) =>
      new SQSClient({
        region: REGION,
        endpoint: twin.functionEndpoints.sqs,
        credentials: roleCredentials(id),
        maxAttempts: 1,
        useQueueUrlAsEndpoint: false,
      });
    const [api, worker] = [asRole('api'), asRole('inboundWorker')];
    const fifo = { FifoQueue: 'true' };
    const name = `loyalty-local-inbound-iam-${randomBytes(3).toString('hex')}.fifo`;

    // Act + Assess
    const made = await api.send(new CreateQueueCommand({ QueueName: name, Attributes: fifo }));
    await api.send(new DeleteQueueCommand({ QueueUrl: made.QueueUrl }));
    await expect(
      api.send(new CreateQueueCommand({ QueueName: 'not-inbound.fifo', Attributes: fifo })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(worker.send(new CreateQueueCommand({ QueueName: name, Attributes: fifo }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    api.destroy();
    worker.destroy();
  });
});
