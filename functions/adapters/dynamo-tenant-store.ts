import { createHash, randomBytes } from 'node:crypto';
import {
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { OPERATOR_SCOPE } from '../domain/credentials';
import { keys } from '../domain/keys';
import type { ApiKeyRecord, Tenant } from '../domain/ports';
import { newId } from '../shared/ids';

/** API keys are random 256-bit secrets; only their SHA-256 is stored, so a table leak leaks no key. */
export const API_KEY_PREFIX = 'llk_';
export const hashApiKey = (apiKey: string) => createHash('sha256').update(apiKey).digest('hex');

export class DynamoTenantStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

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

  async findApiKey(apiKey: string): Promise<ApiKeyRecord | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.apiKey(hashApiKey(apiKey)) }),
    );
    if (!Item) return null;
    const { keyId, principal, tenantId, scopes, status } = Item as ApiKeyRecord;
    return { keyId, ...(principal ? { principal } : {}), tenantId, scopes, status };
  }

  /** Creates the tenant (if new) and a fresh API key; the key is returned once and never stored. */
  async createTenantWithKey(
    tenant: Tenant,
    scopes: readonly string[],
    apiKey = API_KEY_PREFIX + randomBytes(32).toString('base64url'),
  ) {
    const keyId = newId('key');
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: { ...keys.tenant(tenant.tenantId), kind: 'tenant', ...tenant } } },
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
