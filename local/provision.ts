import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { queues, rawEvents, table, type QueueId, type QueueSpec } from '../functions/declaration/topology';
import { required } from '../functions/shared/required';

/** Every string attribute that keys the table or one of its indexes. */
function keyAttributes(): string[] {
  return [
    ...new Set([
      table.partitionKey.name,
      table.sortKey.name,
      ...table.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
      ...table.localSecondaryIndexes.map((index) => index.sortKey),
    ]),
  ];
}

const indexNames = (indexes: { IndexName?: string }[] | undefined) =>
  (indexes ?? []).map((index) => index.IndexName).sort();

/**
 * Creates the table exactly as the topology declares it (idempotent: an existing table is kept).
 * Data kept from an older version whose indexes differ is refused with a clear message.
 */
export async function provisionTable(client: DynamoDBClient): Promise<{ tableName: string; streamArn: string }> {
  const TableName = table.localName;
  try {
    await client.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: keyAttributes().map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: table.sortKey.name, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: index.projection },
        })),
        LocalSecondaryIndexes: table.localSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: index.projection },
        })),
        BillingMode: table.billingMode,
        StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamViewType },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName }));
  if (!Table?.LatestStreamArn) throw new Error(`Table ${TableName} has no stream`);
  const want = [...table.globalSecondaryIndexes, ...table.localSecondaryIndexes].map((index) => index.indexName).sort();
  const have = [...indexNames(Table.GlobalSecondaryIndexes), ...indexNames(Table.LocalSecondaryIndexes)].sort();
  if (JSON.stringify(want) !== JSON.stringify(have)) {
    throw new Error(
      `The kept local data has the indexes [${have.join(', ')}], this version needs [${want.join(', ')}]: ` +
        'remove the data folder (or start with --in-memory) to create the table afresh',
    );
  }
  return { tableName: TableName, streamArn: Table.LatestStreamArn };
}

export interface ProvisionedQueues {
  urls: Record<QueueId, string>;
  arns: Record<QueueId, string>;
}

/** Creates the queues with the topology's FIFO, visibility, retention and redrive settings. */
export async function provisionQueues(client: SQSClient, endpoint: string): Promise<ProvisionedQueues> {
  const urls = {} as ProvisionedQueues['urls'];
  const arns = {} as ProvisionedQueues['arns'];
  // Dead-letter queues first, so redrive policies can name them.
  const ordered = (Object.entries(queues) as [QueueId, QueueSpec][]).sort(
    ([, a], [, b]) => Number(!!a.deadLetter) - Number(!!b.deadLetter),
  );
  for (const [id, spec] of ordered) {
    const attributes: Record<string, string> = {
      VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(spec.retentionPeriodSeconds),
    };
    if (spec.fifo) {
      attributes.FifoQueue = 'true';
      attributes.ContentBasedDeduplication = 'false';
      if (spec.highThroughput) {
        attributes.DeduplicationScope = 'messageGroup';
        attributes.FifoThroughputLimit = 'perMessageGroupId';
      }
    }
    if (spec.deadLetter) {
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: arns[spec.deadLetter.queue],
        maxReceiveCount: spec.deadLetter.maxReceiveCount,
      });
    }
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({ QueueName: spec.localName, Attributes: attributes }),
    );
    // fauxqs names queues sqs.<region>.localhost, which does not resolve everywhere; the path alone
    // identifies the queue, so the handlers get URLs on the endpoint they already talk to.
    urls[id] = `${endpoint}${new URL(required(QueueUrl, `CreateQueue ${spec.localName} URL`)).pathname}`;
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: urls[id], AttributeNames: ['QueueArn'] }),
    );
    arns[id] = required(Attributes?.QueueArn, `queue ${spec.localName} ARN`);
  }
  return { urls, arns };
}

export async function provisionBucket(client: S3Client, name: string = rawEvents.localBucketName): Promise<string> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    const code = (error as Error).name;
    if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
  }
  return name;
}
