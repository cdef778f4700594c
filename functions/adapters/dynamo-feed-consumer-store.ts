import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { CommitOutcome, FeedConsumer, FeedConsumerStore } from '../domain/feed-consumers';
import { keys } from '../domain/keys';
import { applied } from './conditional-write';
import { strip } from './dynamo-ledger-store';
import { queryPrefix } from './query-prefix';

const KIND = 'feedConsumer';

const toConsumer = (item: Record<string, unknown>): FeedConsumer => strip(item) as FeedConsumer;

/**
 * Feed consumers in their tenant's partition (`CONSUMER#<id>`). Settings and position are written by separate
 * updates, so a settings change never undoes a commit racing it; a commit is conditional on moving forward.
 */
export class DynamoFeedConsumerStore implements FeedConsumerStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(tenantId: string): Promise<FeedConsumer[]> {
    const { pk, skPrefix } = keys.feedConsumerPrefix(tenantId);
    return (await queryPrefix(this.client, this.tableName, pk, skPrefix, { consistentRead: true })).map(toConsumer);
  }

  async get(tenantId: string, consumerId: string): Promise<FeedConsumer | null> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.feedConsumer(tenantId, consumerId),
        ConsistentRead: true,
      }),
    );
    return Item ? toConsumer(Item) : null;
  }

  async create(consumer: FeedConsumer): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.feedConsumer(consumer.tenantId, consumer.consumerId), kind: KIND, ...consumer },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async update(
    consumer: Pick<FeedConsumer, 'tenantId' | 'consumerId' | 'name' | 'types' | 'settings' | 'updatedAt'>,
  ): Promise<FeedConsumer | null> {
    const { tenantId, consumerId, name, types, settings, updatedAt } = consumer;
    return this.updateExisting(tenantId, consumerId, {
      UpdateExpression: 'SET #name = :name, types = :types, settings = :settings, updatedAt = :updatedAt',
      ExpressionAttributeNames: { '#name': 'name' },
      ExpressionAttributeValues: { ':name': name, ':types': types, ':settings': settings, ':updatedAt': updatedAt },
    });
  }

  async delete(tenantId: string, consumerId: string): Promise<boolean> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.feedConsumer(tenantId, consumerId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  async commit(tenantId: string, consumerId: string, position: string, at: string): Promise<CommitOutcome> {
    const consumer = await this.updateIf({
      TableName: this.tableName,
      Key: keys.feedConsumer(tenantId, consumerId),
      UpdateExpression: 'SET #position = :position, positionUpdatedAt = :at',
      // Equal is allowed: a retried commit of the same cursor succeeds without change.
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#position) OR #position <= :position)',
      ExpressionAttributeNames: { '#position': 'position' },
      ExpressionAttributeValues: { ':position': position, ':at': at },
    });
    if (consumer) return { outcome: 'committed', consumer };
    return { outcome: (await this.get(tenantId, consumerId)) ? 'behind' : 'missing' };
  }

  async seek(
    tenantId: string,
    consumerId: string,
    position: string | undefined,
    at: string,
  ): Promise<FeedConsumer | null> {
    return this.updateExisting(
      tenantId,
      consumerId,
      position === undefined
        ? {
            UpdateExpression: 'SET positionUpdatedAt = :at REMOVE #position',
            ExpressionAttributeNames: { '#position': 'position' },
            ExpressionAttributeValues: { ':at': at },
          }
        : {
            UpdateExpression: 'SET #position = :position, positionUpdatedAt = :at',
            ExpressionAttributeNames: { '#position': 'position' },
            ExpressionAttributeValues: { ':position': position, ':at': at },
          },
    );
  }

  /** An update of an existing consumer only (never creates one); null when there is none. */
  private updateExisting(
    tenantId: string,
    consumerId: string,
    update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<FeedConsumer | null> {
    return this.updateIf({
      TableName: this.tableName,
      Key: keys.feedConsumer(tenantId, consumerId),
      ...update,
      ConditionExpression: 'attribute_exists(pk)',
    });
  }

  /** The consumer after a conditional update; null when the condition failed. */
  private async updateIf(input: UpdateCommandInput): Promise<FeedConsumer | null> {
    let attributes: Record<string, unknown> | undefined;
    const done = await applied(
      this.client.send(new UpdateCommand({ ...input, ReturnValues: 'ALL_NEW' })).then((output) => {
        attributes = output.Attributes;
      }),
    );
    return done && attributes ? toConsumer(attributes) : null;
  }
}
