import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { queues, rawEvents, table, type QueueId, type QueueSpec } from '../lib/topology';

/** Creates the table exactly as the topology declares it (idempotent: an existing table is kept). */
export async function provisionTable(client: DynamoDBClient): Promise<{ tableName: string; streamArn: string }> {
  const TableName = table.localName;
  try {
    await client.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [
          { AttributeName: table.partitionKey.name, AttributeType: table.partitionKey.type },
          { AttributeName: table.sortKey.name, AttributeType: table.sortKey.type },
        ],
        KeySchema: [
          { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: table.sortKey.name, KeyType: 'RANGE' },
        ],
        BillingMode: table.billingMode,
        StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamViewType },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true } }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName }));
  if (!Table?.LatestStreamArn) throw new Error(`Table ${TableName} has no stream`);
  return { tableName: TableName, streamArn: Table.LatestStreamArn };
}

export type QueueUrls = Record<QueueId, string>;

/** Creates the queues with the topology's FIFO, visibility, retention and redrive settings. */
export async function provisionQueues(client: SQSClient, endpoint: string): Promise<QueueUrls> {
  const urls = {} as QueueUrls;
  const arns = {} as Record<QueueId, string>;
  // Dead-letter queues first, so redrive policies can name them.
  const ordered = (Object.entries(queues) as [QueueId, QueueSpec][]).sort(([, a], [, b]) => Number(!!a.deadLetter) - Number(!!b.deadLetter));
  for (const [id, spec] of ordered) {
    const attributes: Record<string, string> = {
      VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(spec.retentionPeriodSeconds),
    };
    if (spec.fifo) {
      attributes.FifoQueue = 'true';
      attributes.ContentBasedDeduplication = 'false';
    }
    if (spec.deadLetter) {
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: arns[spec.deadLetter.queue],
        maxReceiveCount: spec.deadLetter.maxReceiveCount,
      });
    }
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: spec.localName, Attributes: attributes }));
    // fauxqs names queues sqs.<region>.localhost, which does not resolve everywhere; the path alone
    // identifies the queue, so the handlers get URLs on the endpoint they already talk to.
    urls[id] = `${endpoint}${new URL(QueueUrl!).pathname}`;
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: urls[id], AttributeNames: ['QueueArn'] }));
    arns[id] = Attributes!.QueueArn!;
  }
  return urls;
}

export async function provisionBucket(client: S3Client): Promise<string> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: rawEvents.localBucketName }));
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
  return rawEvents.localBucketName;
}
