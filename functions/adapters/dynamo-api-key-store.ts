import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ApiKeyStore } from '../domain/api-key-service';
import type { ApiKey, ApiKeyOwner } from '../domain/api-keys';
import { keys } from '../domain/keys';
import type { Page } from '../domain/ports';
import { applied } from './conditional-write';
import { decodeCursor, encodeCursor } from './cursor';
import { queryPages } from './query-prefix';

/** The stored item of a key: its record by id, listed per owner on the `members` index (sorted by key id). */
const itemOf = (key: ApiKey) => {
  const { owner, ...rest } = key;
  return {
    ...keys.apiKey(key.keyId),
    kind: 'apiKey',
    principal: owner.kind,
    tenantId: owner.kind === 'tenant' ? owner.tenantId : '',
    ...rest,
    gsi1pk: keys.apiKeyList(owner),
    gsi1sk: key.keyId,
  };
};

function keyOf(item: Record<string, unknown>): ApiKey {
  const optional = (name: string) => (typeof item[name] === 'string' ? { [name]: item[name] } : {});
  return {
    keyId: item.keyId as string,
    owner: item.principal === 'operator' ? { kind: 'operator' } : { kind: 'tenant', tenantId: item.tenantId as string },
    name: item.name as string,
    scopes: item.scopes as string[],
    status: item.status as ApiKey['status'],
    createdAt: item.createdAt as string,
    secretHash: item.secretHash as string,
    ...optional('expiresAt'),
    ...optional('lastUsedAt'),
    ...optional('rotatedAt'),
    ...optional('revokedAt'),
    ...optional('previousSecretHash'),
    ...optional('previousSecretRetiresAt'),
  };
}

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(key: ApiKey): Promise<boolean> {
    const put = { TableName: this.tableName, Item: itemOf(key), ConditionExpression: 'attribute_not_exists(pk)' };
    if (key.owner.kind === 'operator') {
      await this.client.send(new PutCommand(put));
      return true;
    }
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: keys.tenant(key.owner.tenantId),
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
            { Put: put },
          ],
        }),
      );
      return true;
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if (reasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async get(keyId: string): Promise<ApiKey | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.apiKey(keyId), ConsistentRead: true }),
    );
    return Item?.kind === 'apiKey' && typeof Item.secretHash === 'string' ? keyOf(Item) : null;
  }

  async list(owner: ApiKeyOwner, query: { limit: number; cursor?: string }): Promise<Page<ApiKey>> {
    const after = query.cursor ? decodeCursor(query.cursor, ['keyId']).keyId : undefined;
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'members',
          KeyConditionExpression: after ? 'gsi1pk = :pk AND gsi1sk > :after' : 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.apiKeyList(owner), ...(after ? { ':after': after } : {}) },
          Limit: query.limit + 1 - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length <= query.limit);
    const page = items.slice(0, query.limit).map(keyOf);
    const last = page.at(-1);
    return {
      items: page,
      ...(items.length > query.limit && last ? { nextCursor: encodeCursor({ keyId: last.keyId }) } : {}),
    };
  }

  replaceSecret(key: ApiKey, expectedSecretHash: string): Promise<boolean> {
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.apiKey(key.keyId),
          UpdateExpression:
            'SET secretHash = :hash, previousSecretHash = :previous, previousSecretRetiresAt = :retires, ' +
            'rotatedAt = :rotatedAt',
          ConditionExpression: 'secretHash = :expected AND #status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':hash': key.secretHash,
            ':previous': key.previousSecretHash,
            ':retires': key.previousSecretRetiresAt,
            ':rotatedAt': key.rotatedAt,
            ':expected': expectedSecretHash,
            ':active': 'active',
          },
        }),
      ),
    );
  }

  async revoke(keyId: string, at: string): Promise<void> {
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.apiKey(keyId),
          // The previous secret goes too: a revoked key opens with neither.
          UpdateExpression:
            'SET #status = :revoked, revokedAt = :at REMOVE previousSecretHash, previousSecretRetiresAt',
          ConditionExpression: 'attribute_exists(pk) AND #status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':revoked': 'revoked', ':active': 'active', ':at': at },
        }),
      ),
    );
  }

  async recordUse(keyId: string, at: string, since: string): Promise<void> {
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.apiKey(keyId),
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :since)',
          ExpressionAttributeValues: { ':at': at, ':since': since },
        }),
      ),
    );
  }

  async hasActiveOperatorKey(now: Date): Promise<boolean> {
    const pages = queryPages(this.client, {
      TableName: this.tableName,
      IndexName: 'members',
      KeyConditionExpression: 'gsi1pk = :pk',
      FilterExpression: '#status = :active AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pk': keys.apiKeyList({ kind: 'operator' }),
        ':active': 'active',
        ':now': now.toISOString(),
      },
    });
    for await (const items of pages) if (items.length > 0) return true;
    return false;
  }
}
