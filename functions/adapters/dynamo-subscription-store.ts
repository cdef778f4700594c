import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { strip } from './dynamo-ledger-store';
import { queryPrefix } from './query-prefix';
import { keys } from '../domain/keys';
import type { Clock } from '../shared/clock';
import { ttlCache } from '../shared/ttl-cache';
import type { SubscriptionStore, WebhookSubscription } from '../domain/ports';
import type { EndpointDirectory } from '../domain/webhooks/ports';

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

/**
 * Subscriptions change rarely and are read for every event: a short per-container cache keeps
 * the stream consumers off the table. The TTL bounds how long a change takes to apply.
 */
export class CachedSubscriptions implements EndpointDirectory {
  private readonly cache: ReturnType<typeof ttlCache<WebhookSubscription[]>>;

  constructor(store: SubscriptionStore, ttlMs: number, clock: Clock) {
    this.cache = ttlCache((tenantId) => store.listForTenant(tenantId), ttlMs, clock);
  }

  forTenant(tenantId: string): Promise<WebhookSubscription[]> {
    return this.cache.get(tenantId);
  }

  async get(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | null> {
    return (await this.forTenant(tenantId)).find((s) => s.subscriptionId === subscriptionId) ?? null;
  }
}
