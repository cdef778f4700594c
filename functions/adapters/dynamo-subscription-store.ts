import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { strip } from './dynamo-ledger-store';
import { queryPrefix } from './query-prefix';
import { keys } from '../domain/keys';
import type { SubscriptionStore, WebhookSubscription } from '../domain/ports';

export class DynamoSubscriptionStore implements SubscriptionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async listForTenant(tenantId: string): Promise<WebhookSubscription[]> {
    const { pk, skPrefix } = keys.subscriptionPrefix(tenantId);
    return (await queryPrefix(this.client, this.tableName, pk, skPrefix)).map(toSubscription);
  }

  async get(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.subscription(tenantId, subscriptionId) }),
    );
    return Item ? toSubscription(Item) : null;
  }

  async delete(tenantId: string, subscriptionId: string): Promise<boolean> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.subscription(tenantId, subscriptionId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  async put(subscription: WebhookSubscription): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.subscription(subscription.tenantId, subscription.subscriptionId),
          kind: 'subscription',
          ...subscription,
        },
      }),
    );
  }
}

const toSubscription = (item: Record<string, unknown>) => strip(item) as WebhookSubscription;
