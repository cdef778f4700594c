import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiKeyService } from '../domain/api-key-service';
import { hashApiKey, keyIdOf, verifySecret } from '../domain/api-keys';
import { keys } from '../domain/keys';
import type { ApiKeyRecord, Tenant } from '../domain/ports';
import { systemClock } from '../shared/clock';
import { DynamoApiKeyStore } from './dynamo-api-key-store';

/**
 * Tenants, and the shortcuts the platform's own tools take to their keys with table access (the twin's demo seed,
 * `tenant:create`, test fixtures); the key lifecycle itself is `ApiKeyService`'s.
 */
export class DynamoTenantStore {
  private readonly keyStore: DynamoApiKeyStore;
  private readonly apiKeys: ApiKeyService;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.keyStore = new DynamoApiKeyStore(client, tableName);
    this.apiKeys = new ApiKeyService(this.keyStore, systemClock);
  }

  async getTenant(tenantId: string): Promise<Tenant | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.tenant(tenantId) }));
    if (!Item) return null;
    const { tenantId: id, name, status, limits, usageIdentifierKey } = Item as Tenant;
    return {
      tenantId: id,
      name,
      status,
      ...(limits ? { limits } : {}),
      ...(usageIdentifierKey ? { usageIdentifierKey } : {}),
    };
  }

  /** Records the tenant's usage identifier at the API edge (what `TenantThrottling.apply` answered). */
  async setUsageIdentifierKey(tenantId: string, usageIdentifierKey: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.tenant(tenantId),
        UpdateExpression: 'SET usageIdentifierKey = :key',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':key': usageIdentifierKey },
      }),
    );
  }

  /** The key a secret opens now (its current or overlapping previous secret), or null. */
  async findApiKey(apiKey: string): Promise<ApiKeyRecord | null> {
    const keyId = keyIdOf(apiKey);
    const key = keyId ? await this.keyStore.get(keyId) : null;
    if (!key || !verifySecret({ ...key, status: 'active' }, hashApiKey(apiKey), systemClock.now())) return null;
    const { owner, scopes, status } = key;
    return owner.kind === 'operator'
      ? { keyId: key.keyId, principal: 'operator', tenantId: '', scopes, status }
      : { keyId: key.keyId, tenantId: owner.tenantId, scopes, status };
  }

  /** Creates the tenant (if new; put again unchanged otherwise) and a fresh API key, returned once, never stored. */
  async createTenantWithKey(tenant: Tenant, scopes: readonly string[], name = 'First key') {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.tenant(tenant.tenantId), kind: 'tenant', ...tenant },
      }),
    );
    const { key, apiKey } = await this.apiKeys.createTenantKey(null, tenant.tenantId, { name, scopes });
    return { keyId: key.keyId, apiKey };
  }

  /** Creates an operator key (scope `admin`, no tenant); returned once, only its hash is stored. */
  async createOperatorKey(name = 'Operator key') {
    const { key, apiKey } = await this.apiKeys.createOperatorKey(null, { name });
    return { keyId: key.keyId, apiKey };
  }
}
