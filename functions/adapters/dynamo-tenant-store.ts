import { createHash, randomBytes } from 'node:crypto';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULT_TENANT_LIMITS, OPERATOR_SCOPE } from '../domain/credentials';
import { keys } from '../domain/keys';
import type { ApiKeyRecord, Page, Tenant, TenantBasics, TenantStore } from '../domain/ports';
import { newId } from '../shared/ids';
import { applied } from './conditional-write';
import { decodeCursor, encodeCursor } from './cursor';

/** API keys are random 256-bit secrets; only their SHA-256 is stored, so a table leak leaks no key. */
export const API_KEY_PREFIX = 'llk_';
export const hashApiKey = (apiKey: string) => createHash('sha256').update(apiKey).digest('hex');

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
  };
}

export class DynamoTenantStore implements TenantStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

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

  createTenant(tenant: Tenant): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.tenant(tenant.tenantId), ...keys.tenantListKeys(tenant.tenantId), kind: 'tenant', ...tenant },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /**
   * Sets the tenant's own fields only (other attributes of the item stay), over the version read; an item from
   * before versions existed has none to compare.
   */
  saveTenant(tenant: Tenant, expectedUpdatedAt: string): Promise<boolean> {
    const { gsi1pk, gsi1sk } = keys.tenantListKeys(tenant.tenantId);
    return applied(
      this.client.send(
        new UpdateCommand({
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
        }),
      ),
    );
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

  async findApiKey(apiKey: string): Promise<ApiKeyRecord | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.apiKey(hashApiKey(apiKey)) }),
    );
    if (!Item) return null;
    const { keyId, principal, tenantId, scopes, status } = Item as ApiKeyRecord;
    return { keyId, ...(principal ? { principal } : {}), tenantId, scopes, status };
  }

  /**
   * Creates the tenant (if new: an existing tenant stays as it is, suspended or not) and a fresh API key; the key is
   * returned once and never stored.
   */
  async createTenantWithKey(
    tenant: TenantBasics,
    scopes: readonly string[],
    apiKey = API_KEY_PREFIX + randomBytes(32).toString('base64url'),
  ) {
    const keyId = newId('key');
    const now = new Date().toISOString();
    const { gsi1pk, gsi1sk } = keys.tenantListKeys(tenant.tenantId);
    const fields = {
      kind: 'tenant',
      tenantId: tenant.tenantId,
      name: tenant.name,
      status: tenant.status,
      limits: DEFAULT_TENANT_LIMITS,
      createdAt: now,
      updatedAt: now,
      gsi1pk,
      gsi1sk,
    };
    const names = Object.keys(fields);
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: keys.tenant(tenant.tenantId),
              UpdateExpression: `SET ${names.map((_, i) => `#f${i} = if_not_exists(#f${i}, :v${i})`).join(', ')}`,
              ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
              ExpressionAttributeValues: Object.fromEntries(Object.values(fields).map((value, i) => [`:v${i}`, value])),
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...keys.apiKey(hashApiKey(apiKey)),
                kind: 'apiKey',
                keyId,
                tenantId: tenant.tenantId,
                scopes,
                status: 'active',
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    return { keyId, apiKey };
  }

  /** Creates an operator key (scope `admin`, no tenant); returned once, only its hash is stored. */
  async createOperatorKey(apiKey = API_KEY_PREFIX + randomBytes(32).toString('base64url')) {
    const keyId = newId('opk');
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.apiKey(hashApiKey(apiKey)),
          kind: 'apiKey',
          keyId,
          principal: 'operator',
          tenantId: '',
          scopes: [OPERATOR_SCOPE],
          status: 'active',
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { keyId, apiKey };
  }
}
