import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { applied } from './conditional-write';
import { strip } from './dynamo-ledger-store';
import { queryPrefix } from './query-prefix';
import { keys } from '../domain/keys';
import type { SealedSecret, SecretSealer, SubscriptionStore, WebhookSubscription } from '../domain/ports';
import { authSecretOf, withAuthSecret } from '../domain/webhooks/callback-config';
import { isChatEndpoint, maskedChatUrl } from '../domain/webhooks/endpoint-types';
import type { EndpointMaintenanceWindow } from '../domain/webhooks/maintenance-windows';

/** What is sealed together: an endpoint's signing secrets and its ed25519 signing keys. */
interface SigningMaterial {
  secrets: string[];
  signingKeys?: string[];
  /** A chat endpoint's URL: its path is the secret, so the item holds it masked and the sealed material in full. */
  url?: string;
  /** A callback endpoint's client secret or static header value: the item holds its auth without it. */
  authSecret?: string;
}

/**
 * Webhook endpoints in the table, their signing secrets and keys (a chat endpoint's URL, a callback endpoint's client
 * secret or auth header value) sealed (envelope
 * encryption) under the endpoint's tenant and id: a table dump, a backup or a stream record holds no usable secret.
 *
 * Without a sealer the store serves routing only: endpoints come back without their secrets (`secrets` empty)
 * and cannot be written, so a function that only matches events to endpoints needs no key at all.
 * Items written before sealing (plaintext `secrets`) are refused: there was no production data, so there is
 * no migration path, and an unsealed item is a fault to see rather than to use.
 */
export class DynamoSubscriptionStore implements SubscriptionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sealer?: SecretSealer,
  ) {}

  async listForTenant(tenantId: string): Promise<WebhookSubscription[]> {
    const { pk, skPrefix } = keys.subscriptionPrefix(tenantId);
    const items = await queryPrefix(this.client, this.tableName, pk, skPrefix);
    return Promise.all(items.map((item) => this.toSubscription(item)));
  }

  async get(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.subscription(tenantId, subscriptionId) }),
    );
    return Item ? this.toSubscription(Item) : null;
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
    if (!this.sealer) throw new Error('This subscription store has no sealer: it cannot write secrets');
    const { secrets, signingKeys, ...rest } = subscription;
    const chat = isChatEndpoint(subscription);
    const material: SigningMaterial = {
      secrets,
      ...(signingKeys ? { signingKeys } : {}),
      ...(chat ? { url: subscription.url } : {}),
      ...(subscription.auth ? { authSecret: authSecretOf(subscription.auth) } : {}),
    };
    const sealedSecrets = await this.sealer.seal(JSON.stringify(material), sealingContext(subscription));
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.subscription(subscription.tenantId, subscription.subscriptionId),
          kind: 'subscription',
          ...rest,
          ...(chat ? { url: maskedChatUrl(subscription.url) } : {}),
          ...(subscription.auth ? { auth: withAuthSecret(subscription.auth, '') } : {}),
          // As JSON text: a template may nest deeper than DynamoDB's 32 levels or have keys a map cannot hold.
          ...(subscription.template !== undefined ? { template: JSON.stringify(subscription.template) } : {}),
          sealedSecrets,
        },
      }),
    );
  }

  /** The windows live on the endpoint's item, so the delivery function reads them with the endpoint (no extra read). */
  async setMaintenanceWindows(
    tenantId: string,
    subscriptionId: string,
    windows: EndpointMaintenanceWindow[],
    change: { expectedUpdatedAt: string | undefined; updatedAt: string },
  ): Promise<boolean> {
    const unchanged =
      change.expectedUpdatedAt === undefined ? 'attribute_not_exists(updatedAt)' : 'updatedAt = :expected';
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.subscription(tenantId, subscriptionId),
          UpdateExpression: 'SET maintenanceWindows = :windows, updatedAt = :now',
          ConditionExpression: `attribute_exists(pk) AND ${unchanged}`,
          ExpressionAttributeValues: {
            ':windows': windows,
            ':now': change.updatedAt,
            ...(change.expectedUpdatedAt === undefined ? {} : { ':expected': change.expectedUpdatedAt }),
          },
        }),
      ),
    );
  }

  private async toSubscription(item: Record<string, unknown>): Promise<WebhookSubscription> {
    const { sealedSecrets, secrets, ...stored } = strip(item) as Omit<WebhookSubscription, 'secrets'> & {
      sealedSecrets?: SealedSecret;
      secrets?: unknown;
    };
    if (!sealedSecrets || secrets !== undefined) {
      throw new Error(`Webhook endpoint ${stored.subscriptionId} holds unsealed secrets`);
    }
    if (typeof stored.template === 'string') stored.template = JSON.parse(stored.template) as unknown;
    if (!this.sealer) return { ...stored, secrets: [] };
    const { authSecret, ...material } = JSON.parse(
      await this.sealer.open(sealedSecrets, sealingContext(stored)),
    ) as SigningMaterial;
    return {
      ...stored,
      ...material,
      ...(stored.auth && authSecret !== undefined ? { auth: withAuthSecret(stored.auth, authSecret) } : {}),
    };
  }
}

/** The owner a subscription's secrets are sealed for: its tenant and its own id. */
const sealingContext = (subscription: Pick<WebhookSubscription, 'tenantId' | 'subscriptionId'>) => ({
  tenantId: subscription.tenantId,
  subscriptionId: subscription.subscriptionId,
});
