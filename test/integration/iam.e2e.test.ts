import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queues, rawEvents, table, type FunctionId } from '../../lib/topology';
import { REGION } from '../../local/aws-local';
import { principalArn, roleCredentials } from '../../local/roles';
import { startTwinProcess, type RunningTwin } from '../support/twin-process';

/**
 * IAM on the local twin: a call signed with a function's role goes through the authorizing
 * proxies the functions use, and what the role's declared policy does not allow fails with the
 * error AWS returns (name, message naming the action and the resource).
 */
let twin: RunningTwin;

beforeAll(async () => {
  twin = await startTwinProcess();
}, 90_000);

afterAll(async () => {
  await twin?.stop();
});

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
const caught = (promise: Promise<unknown>) => promise.then(() => undefined, (error: Error & { $metadata?: { httpStatusCode?: number } }) => error);

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

  it('denies a write to a read-only role with DynamoDB\'s AccessDeniedException', async () => {
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
    expect(twin.output()).toContain('AccessDenied: authorizer may not dynamodb:PutItem');
    dynamo.destroy();
  });

  it('denies a send to a queue the role may not send to with SQS\'s AccessDenied', async () => {
    // Prepare
    const { sqs } = asFunction('lakeRouter');
    const queueUrl = `${twin.functionEndpoints.sqs}${new URL(twin.queueUrls.webhookDelivery).pathname}`;

    // Act
    const error = await caught(sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}', MessageGroupId: 'g', MessageDeduplicationId: 'd' })));

    // Assess
    expect(error?.name).toBe('AccessDenied');
    expect(error?.$metadata?.httpStatusCode).toBe(403);
    expect(error?.message).toContain(`is not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:${REGION}:000000000000:${queues.webhookDelivery.localName}`);
    sqs.destroy();
  });

  it('denies Firehose to a role without the lake grant', async () => {
    // Prepare
    const { firehose } = asFunction('api');

    // Act
    const error = await caught(firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: rawEvents.localName, Records: [{ Data: Buffer.from('{}') }] })));

    // Assess
    expect(error?.name).toBe('AccessDeniedException');
    expect(error?.message).toContain(`firehose:PutRecordBatch on resource: arn:aws:firehose:${REGION}:000000000000:deliverystream/${rawEvents.localName}`);
    firehose.destroy();
  });
});
