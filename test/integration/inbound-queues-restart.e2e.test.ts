import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { REGION } from '../../local/aws-local';
import { tenantTable } from '../support/tenant-fixtures';
import { keyedApi } from '../support/twin-api';
import { startTwinProcess, waitFor, type RunningTwin } from '../support/twin-process';

/**
 * A twin started again on its data keeps polling the inbound queues made before: the event-source mappings the admin
 * API made through the twin's Lambda API are kept under the data dir and their pollers start with the twin.
 */
describe('inbound queues across a twin restart', () => {
  let dataDir: string;
  let twin: RunningTwin | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'loyalty-inbound-restart-'));
  });
  afterAll(async () => {
    await twin?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('polls a queue created before the restart', async () => {
    // Prepare: a tenant and its queue on a twin with a data dir, then that twin stopped.
    const tenantId = `inq-restart-${randomBytes(4).toString('hex')}`;
    twin = await startTwinProcess(['--data-dir', dataDir]);
    const tenants = tenantTable(twin);
    const apiKey = await tenants.issueKey(tenantId);
    const operatorKey = await tenants.issueOperatorKey();
    tenants.destroy();
    const path = `/admin/tenants/${tenantId}/inbound-queue`;
    const created = await keyedApi(twin)<{ queueUrl: string }>(operatorKey, 'PUT', path, {
      accountId: '123456789012',
    });
    expect(created.status).toBe(201);
    const mappings = JSON.parse(readFileSync(join(dataDir, 'lambda-mappings.json'), 'utf8')) as unknown[];
    expect(mappings).toHaveLength(1);
    await twin.stop();

    // Act: the twin starts again on the same data; the producer sends a batch request.
    twin = await startTwinProcess(['--data-dir', dataDir]);
    const restarted = twin;
    const producer = new SQSClient({
      region: REGION,
      endpoint: restarted.endpoints.sqs,
      credentials: { accessKeyId: 'tenant-123456789012', secretAccessKey: 'tenant-secret' },
    });
    const externalId = `g-${tenantId}`;
    const { MessageId } = await producer.send(
      new SendMessageCommand({
        QueueUrl: `${restarted.endpoints.sqs}${new URL(created.body.queueUrl).pathname}`,
        MessageGroupId: externalId,
        MessageDeduplicationId: externalId,
        MessageBody: JSON.stringify({
          commands: [{ type: 'enrol', idempotencyKey: `enrol-${externalId}`, body: { externalId } }],
        }),
      }),
    );
    producer.destroy();

    // Assess: the message became the tenant's batch.
    const call = keyedApi(restarted);
    const batch = await waitFor(
      async () => {
        const got = await call<{ status: string; counts: { succeeded: number } }>(
          apiKey,
          'GET',
          `/v1/batches/inb_${MessageId!}`,
        );
        return got.status === 200 && got.body.status === 'completed' ? got.body : undefined;
      },
      { timeoutMs: 60_000, what: 'the batch made after the restart' },
    );
    expect(batch.counts.succeeded).toBe(1);
    expect((await call(operatorKey, 'DELETE', path)).status).toBe(204);
  }, 400_000);
});
