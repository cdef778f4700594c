import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiKeyService } from '../domain/api-key-service';
import { hashApiKey, keyIdOf, verifySecret, type ApiKey } from '../domain/api-keys';
import { DEFAULT_TENANT_LIMITS } from '../domain/credentials';
import { keys } from '../domain/keys';
import type { Page, Tenant, TenantBasics, TenantStore } from '../domain/ports';
import { systemClock } from '../shared/clock';
import { transactWrite } from './cancelled-transaction';
import { decodeCursor, encodeCursor } from './cursor';
import { DynamoApiKeyStore } from './dynamo-api-key-store';

/**
 * Copies of each tenant's status, each under its own partition key, written in the same transaction as every change
 * of the tenant item. The API reads one at random, strongly consistent, on every request: suspension still applies
 * at the next request, and a tenant's requests spread their reads over this many partitions instead of loading its
 * own (`TENANT#<t>`, which also holds its rewards and campaigns) with all of them (decision 0012).
 */
export const TENANT_STATUS_REPLICAS = 16;

/** One replica of a tenant's status as stored. */
export const tenantStatusItem = (
  tenant: Pick<Tenant, 'tenantId' | 'status'> & { updatedAt?: string },
  replica: number,
) => ({
  ...keys.tenantStatus(tenant.tenantId, replica),
  kind: 'tenantStatus',
  tenantId: tenant.tenantId,
  status: tenant.status,
  ...(tenant.updatedAt ? { updatedAt: tenant.updatedAt } : {}),
});

/** What a tenant stored before it had times reads as: not known, so the epoch. */
const UNKNOWN_TIME = '1970-01-01T00:00:00.000Z';

/** A stored tenant item as the domain sees it; an item from before limits existed gets the defaults. */
function tenantOf(item: Record<string, unknown>): Tenant {
  const stored = item as Partial<Tenant> & Pick<Tenant, 'tenantId' | 'name' | 'status'>;
  return {
    tenantId: stored.tenantId,
    name: stored.name,
    status: stored.status,
    limits: { ...DEFAULT_TENANT_LIMITS, ...stored.limits },
    createdAt: stored.createdAt ?? UNKNOWN_TIME,
    updatedAt: stored.updatedAt ?? stored.createdAt ?? UNKNOWN_TIME,
    ...(stored.suspendedAt ? { suspendedAt: stored.suspendedAt } : {}),
    ...(stored.usageIdentifierKey ? { usageIdentifierKey: stored.usageIdentifierKey } : {}),
  };
}

/**
 * Tenants, and the shortcuts the platform's own tools take to their keys with table access (the twin's demo seed,
 * test fixtures); the key lifecycle itself is `ApiKeyService`'s.
 */
export class DynamoTenantStore implements TenantStore {
  private readonly keyStore: DynamoApiKeyStore;
  private readonly apiKeys: ApiKeyService;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.keyStore = new DynamoApiKeyStore(client, tableName);
    this.apiKeys = new ApiKeyService(this.keyStore, systemClock);
  }

  async getTenant(tenantId: string, options: { consistent?: boolean } = {}): Promise<Tenant | null> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.tenant(tenantId),
        ...(options.consistent ? { ConsistentRead: true } : {}),
      }),
    );
    return Item ? tenantOf(Item) : null;
  }

  /**
   * The tenant's status from one of its replicas, strongly consistent. A tenant from before the replicas (or one
   * created by `createTenantWithKey` when its replicas could not be written) has none: its own item decides, and the
   * replicas are written then, unless the tenant changed in between (that change wrote them).
   */
  async getTenantStatus(tenantId: string): Promise<Pick<Tenant, 'status'> | null> {
    const replica = Math.floor(Math.random() * TENANT_STATUS_REPLICAS);
    const { Item: copy } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.tenantStatus(tenantId, replica), ConsistentRead: true }),
    );
    if (copy) return { status: (copy as Pick<Tenant, 'status'>).status };
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
    );
    if (!Item) return null;
    await this.writeStatusReplicas(Item as Pick<Tenant, 'tenantId' | 'status'> & { updatedAt?: string });
    return { status: (Item as Pick<Tenant, 'status'>).status };
  }

  async createTenant(tenant: Tenant): Promise<boolean> {
    const cancelled = await transactWrite(this.client, [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.tenant(tenant.tenantId), ...keys.tenantListKeys(tenant.tenantId), kind: 'tenant', ...tenant },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...this.statusReplicaPuts(tenant),
    ]);
    if (!cancelled) return true;
    if (cancelled.conditionFailedAt(0)) return false;
    throw cancelled.error;
  }

  /**
   * Sets the tenant's own fields only (other attributes of the item stay), over the version read; an item from
   * before versions existed has none to compare.
   */
  async saveTenant(tenant: Tenant, expectedUpdatedAt: string): Promise<boolean> {
    const { gsi1pk, gsi1sk } = keys.tenantListKeys(tenant.tenantId);
    const cancelled = await transactWrite(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.tenant(tenant.tenantId),
          UpdateExpression:
            'SET #name = :name, #status = :status, limits = :limits, createdAt = :createdAt, updatedAt = :updatedAt, ' +
            'gsi1pk = :gsi1pk, gsi1sk = :gsi1sk' +
            (tenant.suspendedAt ? ', suspendedAt = :suspendedAt' : ' REMOVE suspendedAt'),
          ConditionExpression: 'attribute_exists(pk) AND (updatedAt = :expected OR attribute_not_exists(updatedAt))',
          ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
          ExpressionAttributeValues: {
            ':name': tenant.name,
            ':status': tenant.status,
            ':limits': tenant.limits,
            ':createdAt': tenant.createdAt,
            ':updatedAt': tenant.updatedAt,
            ':gsi1pk': gsi1pk,
            ':gsi1sk': gsi1sk,
            ':expected': expectedUpdatedAt,
            ...(tenant.suspendedAt ? { ':suspendedAt': tenant.suspendedAt } : {}),
          },
        },
      },
      ...this.statusReplicaPuts(tenant),
    ]);
    if (!cancelled) return true;
    // Changed meanwhile, or a concurrent change holds the item: the service reads again and retries.
    if (cancelled.conditionFailedAt(0) || cancelled.conflicted) return false;
    throw cancelled.error;
  }

  async listTenants(query: { limit: number; cursor?: string }): Promise<Page<Tenant>> {
    const after = query.cursor ? decodeCursor(query.cursor, ['tenantId']).tenantId : undefined;
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'members',
        KeyConditionExpression: after ? 'gsi1pk = :pk AND gsi1sk > :after' : 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.tenantList, ...(after ? { ':after': after } : {}) },
        Limit: query.limit,
      }),
    );
    const items = Items.map(tenantOf);
    const last = items[items.length - 1];
    return { items, ...(LastEvaluatedKey && last ? { nextCursor: encodeCursor({ tenantId: last.tenantId }) } : {}) };
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
  /** The key a secret opens now (its current secret, or a previous one within its overlap), revoked or not. */
  async findApiKey(apiKey: string): Promise<ApiKey | null> {
    const keyId = keyIdOf(apiKey);
    const key = keyId ? await this.keyStore.get(keyId) : null;
    return key && verifySecret({ ...key, status: 'active' }, hashApiKey(apiKey), systemClock.now()) ? key : null;
  }

  /**
   * Creates the tenant (if new: an existing tenant stays as it is, suspended or not) and a fresh API key, returned
   * once, never stored.
   */
  async createTenantWithKey(tenant: TenantBasics, scopes: readonly string[], name = 'First key') {
    const now = new Date().toISOString();
    const fields = {
      kind: 'tenant',
      tenantId: tenant.tenantId,
      name: tenant.name,
      status: tenant.status,
      limits: DEFAULT_TENANT_LIMITS,
      createdAt: now,
      updatedAt: now,
      ...keys.tenantListKeys(tenant.tenantId),
    };
    const names = Object.keys(fields);
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.tenant(tenant.tenantId),
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = if_not_exists(#f${i}, :v${i})`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((field, i) => [`#f${i}`, field])),
        ExpressionAttributeValues: Object.fromEntries(Object.values(fields).map((value, i) => [`:v${i}`, value])),
        ReturnValues: 'ALL_NEW',
      }),
    );
    await this.writeStatusReplicas(Attributes as Pick<Tenant, 'tenantId' | 'status'> & { updatedAt?: string });
    const { key, apiKey } = await this.apiKeys.createTenantKey(null, tenant.tenantId, { name, scopes });
    return { keyId: key.keyId, apiKey };
  }

  /** Creates an operator key (scope `admin`, no tenant); returned once, only its hash is stored. */
  async createOperatorKey(name = 'Operator key') {
    const { key, apiKey } = await this.apiKeys.createOperatorKey(null, { name });
    return { keyId: key.keyId, apiKey };
  }

  private statusReplicaPuts(tenant: Pick<Tenant, 'tenantId' | 'status'> & { updatedAt?: string }) {
    return Array.from({ length: TENANT_STATUS_REPLICAS }, (_, replica) => ({
      Put: {
        TableName: this.tableName,
        Item: tenantStatusItem(tenant, replica),
      },
    }));
  }

  /**
   * Writes the replicas of a tenant item as read, on the condition that it is still that version: a change since
   * wrote its own replicas in its transaction, and these would be older (then nothing is written).
   */
  private async writeStatusReplicas(tenant: Pick<Tenant, 'tenantId' | 'status'> & { updatedAt?: string }) {
    const cancelled = await transactWrite(this.client, [
      {
        ConditionCheck: {
          TableName: this.tableName,
          Key: keys.tenant(tenant.tenantId),
          ...(tenant.updatedAt
            ? { ConditionExpression: 'updatedAt = :at', ExpressionAttributeValues: { ':at': tenant.updatedAt } }
            : { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(updatedAt)' }),
        },
      },
      ...this.statusReplicaPuts(tenant),
    ]);
    if (cancelled && !cancelled.conditionFailedAt(0) && !cancelled.conflicted) throw cancelled.error;
  }
}
