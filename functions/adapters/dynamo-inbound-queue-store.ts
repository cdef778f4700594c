import {
  DeleteCommand,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { InboundQueueStore } from '../domain/inbound-queue-service';
import type { InboundQueue } from '../domain/inbound-queues';

/** A tenant's registration, beside the tenant. */
const byTenant = (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'INBOUNDQUEUE' });
/** The same registration under its queue's ARN: how the inbound worker finds a message's tenant. */
const byQueue = (queueArn: string) => ({ pk: `QUEUE#${queueArn}`, sk: 'INBOUNDQUEUE' });

const FIELDS = [
  'tenantId',
  'queueName',
  'queueUrl',
  'queueArn',
  'dlqUrl',
  'dlqArn',
  'accountId',
  'scopes',
  'mappingId',
  'createdAt',
  'rejectedMessages',
  'lastRejection',
] as const;

const queueOf = (item: Record<string, unknown> | undefined): InboundQueue | null =>
  item
    ? (Object.fromEntries(
        FIELDS.filter((f) => item[f] !== undefined).map((f) => [f, item[f]]),
      ) as unknown as InboundQueue)
    : null;

/**
 * Inbound-queue registrations: two items written and deleted together, one by tenant (the admin API's view, with
 * the count of rejected messages) and one by queue ARN (the worker's lookup). The queue item carries no counters, so
 * the worker's reads of it are all it needs.
 */
export class DynamoInboundQueueStore implements InboundQueueStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(tenantId: string): Promise<InboundQueue | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: byTenant(tenantId), ConsistentRead: true }),
    );
    return queueOf(Item);
  }

  async getByArn(queueArn: string): Promise<InboundQueue | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: byQueue(queueArn) }));
    return queueOf(Item);
  }

  async put(queue: InboundQueue): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: { ...byTenant(queue.tenantId), kind: 'inboundQueue', ...queue } } },
          { Put: { TableName: this.tableName, Item: { ...byQueue(queue.queueArn), kind: 'inboundQueue', ...queue } } },
        ],
      }),
    );
  }

  async delete(queue: InboundQueue): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: byQueue(queue.queueArn) }));
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: byTenant(queue.tenantId) }));
  }

  async recordRejection(queue: InboundQueue, rejection: NonNullable<InboundQueue['lastRejection']>): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: byTenant(queue.tenantId),
          // Only while the queue is registered: a rejection after removal records nothing.
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: 'ADD rejectedMessages :one SET lastRejection = :rejection',
          ExpressionAttributeValues: { ':one': 1, ':rejection': rejection },
        }),
      )
      .catch((error: unknown) => {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      });
  }
}
