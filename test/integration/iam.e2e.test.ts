import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queues, rawEvents, table, type FunctionId } from '../../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { principalArn, roleCredentials } from '../../local/roles';
import { configureReceiver, receivedHooks, twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * IAM on the local twin: a call signed with a function's role goes through the authorizing
 * proxies the functions use, and what the role's declared policy does not allow fails with the
 * error AWS returns (name, message naming the action and the resource).
 */
// A short retry schedule, so a delivery dead-letters within seconds (as in the webhook tests).
const twin = useTwin([], {
  WEBHOOK_RETRY_SCHEDULE: '1s,1s',
  WEBHOOK_RETRY_JITTER: '0',
  WEBHOOK_BREAKER_FAILURES: '10',
});
const api = twinApi(twin);

/** Clients as the function's own code has them: its role's credentials, its endpoints. */
function asFunction(id: FunctionId) {
  const config = { region: REGION, credentials: roleCredentials(id), maxAttempts: 1 };
  return {
    dynamo: new DynamoDBClient({ ...config, endpoint: twin.functionEndpoints.dynamodb }),
    sqs: new SQSClient({ ...config, endpoint: twin.functionEndpoints.sqs }),
    firehose: new FirehoseClient({ ...config, endpoint: twin.functionEndpoints.firehose }),
  };
}

const TABLE_ARN = `arn:aws:dynamodb:${REGION}:000000000000:table/${table.localName}`;
const key = { pk: { S: 'IAM#probe' }, sk: { S: 'IAM#probe' } };
const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } },
  );

describe('IAM on the local twin', () => {
  it('lets a role do what it declares: the authorizer reads the table', async () => {
    // Prepare
    const { dynamo } = asFunction('authorizer');

    // Act
    const read = await dynamo.send(new GetItemCommand({ TableName: table.localName, Key: key }));

    // Assess
    expect(read.$metadata.httpStatusCode).toBe(200);
    dynamo.destroy();
  });

  it("denies a write to a read-only role with DynamoDB's AccessDeniedException", async () => {
    // Prepare
    const { dynamo } = asFunction('authorizer');

    // Act
    const error = await caught(dynamo.send(new PutItemCommand({ TableName: table.localName, Item: key })));

    // Assess
    expect(error?.name).toBe('AccessDeniedException');
    expect(error?.$metadata?.httpStatusCode).toBe(400);
    expect(error?.message).toBe(
      `User: ${principalArn('authorizer')} is not authorized to perform: dynamodb:PutItem on resource: ${TABLE_ARN} ` +
        'because no identity-based policy allows the dynamodb:PutItem action',
    );
    // The twin's stderr arrives through a pipe, possibly after the answer: wait for the line.
    const denial = 'AccessDenied: authorizer may not dynamodb:PutItem';
    await waitFor(() => Promise.resolve(twin.output().includes(denial) ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the denial in the twin log',
    });
    dynamo.destroy();
  });

  it("denies a send to a queue the role may not send to with SQS's AccessDenied", async () => {
    // Prepare
    const { sqs } = asFunction('lakeRouter');
    const queueUrl = `${twin.functionEndpoints.sqs}${new URL(twin.queueUrls.webhookDelivery).pathname}`;

    // Act
    const error = await caught(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: '{}',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd',
        }),
      ),
    );

    // Assess
    expect(error?.name).toBe('AccessDenied');
    expect(error?.$metadata?.httpStatusCode).toBe(403);
    expect(error?.message).toContain(
      `is not authorized to perform: sqs:sendmessage on resource: ` +
        `arn:aws:sqs:${REGION}:000000000000:${queues.webhookDelivery.localName}`,
    );
    sqs.destroy();
  });

  it('denies Firehose to a role without the lake grant', async () => {
    // Prepare
    const { firehose } = asFunction('api');

    // Act
    const error = await caught(
      firehose.send(
        new PutRecordBatchCommand({ DeliveryStreamName: rawEvents.localName, Records: [{ Data: Buffer.from('{}') }] }),
      ),
    );

    // Assess
    expect(error?.name).toBe('AccessDeniedException');
    expect(error?.message).toContain(
      `firehose:PutRecordBatch on resource: ` +
        `arn:aws:firehose:${REGION}:000000000000:deliverystream/${rawEvents.localName}`,
    );
    firehose.destroy();
  });
});

describe("the operator's DLQ redrive on the local twin", () => {
  it('delivers a redriven dead letter: the delivery function may queue its new round', async () => {
    // Prepare: an endpoint that fails until its deliveries are dead letters on the DLQ, then recovers.
    await configureReceiver(twin, 'redrive', { failure: { status: 500 } });
    const created = await api<{ subscriptionId: string; secret: string }>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/redrive`, eventTypes: ['member.enrolled'] },
      idempotent: false,
    });
    expect(created.status).toBe(201);
    await configureReceiver(twin, 'redrive', { secrets: [created.body.secret] });
    const enrolled = await api<{ memberId: string }>('/v1/members', { body: { externalId: `redrive-${Date.now()}` } });
    expect(enrolled.status).toBe(201);
    const letters = await waitFor(
      async () => {
        const page = await api<{ items: { eventId: string }[] }>(
          `/v1/webhooks/endpoints/${created.body.subscriptionId}/dead-letters`,
        );
        return page.body.items.length > 0 ? page.body.items : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the dead letter' },
    );
    await configureReceiver(twin, 'redrive', { failure: null });

    // Act: the operator's redrive (as StartMessageMoveTask does): each DLQ copy back onto the delivery queue.
    const sqs = new SQSClient({ endpoint: twin.endpoints.sqs, region: REGION, credentials: CREDENTIALS });
    let moved = 0;
    for (let read = 0; read < 10 && moved < letters.length; read++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: twin.queueUrls.webhookDeliveryDlq,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ['MessageGroupId'],
          WaitTimeSeconds: 1,
        }),
      );
      for (const message of Messages) {
        if ((JSON.parse(message.Body!) as { subscriptionId?: string }).subscriptionId !== created.body.subscriptionId)
          continue;
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: twin.queueUrls.webhookDelivery,
            MessageBody: message.Body!,
            MessageGroupId: message.Attributes!.MessageGroupId!,
            MessageDeduplicationId: `moved-${message.MessageId}`,
          }),
        );
        await sqs.send(
          new DeleteMessageCommand({
            QueueUrl: twin.queueUrls.webhookDeliveryDlq,
            ReceiptHandle: message.ReceiptHandle!,
          }),
        );
        moved++;
      }
    }
    sqs.destroy();
    expect(moved).toBe(letters.length);

    // Assess: every redriven webhook arrives (the copy starts a new round, queued on the delivery queue).
    const delivered = await waitFor(
      async () => {
        const ok = (await receivedHooks(twin, 'redrive')).filter((hook) => hook.answered < 300);
        return ok.length >= letters.length ? ok : undefined;
      },
      { timeoutMs: 20_000, what: 'the redriven webhook' },
    ).catch((error: unknown) => {
      const denials = twin
        .output()
        .split('\n')
        .filter((line) => line.includes('AccessDenied'));
      throw new Error(`${(error as Error).message}\n${denials.join('\n')}`);
    });
    expect(new Set(delivered.map((hook) => hook.webhookId))).toEqual(new Set(letters.map((letter) => letter.eventId)));
    expect(delivered.every((hook) => hook.verified)).toBe(true);
  }, 120_000);
});
