import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Principal } from '../domain/credentials';
import { keys } from '../domain/keys';
import type { ClientSecretHash, OAuthClient, OAuthClientCredential, OAuthClientStore } from '../domain/oauth-clients';
import { queryPrefix } from './query-prefix';

/**
 * OAuth clients in the table: the credential item under the client's id (with its secret hashes, what the token
 * endpoint reads) and a reference in the tenant's partition (no secret, what listing reads). Both change together.
 */
export class DynamoOAuthClientStore implements OAuthClientStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(client: OAuthClient, secret: ClientSecretHash, _actor: Principal): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...keys.oauthClient(client.clientId),
                kind: 'oauthClient',
                ...client,
                secrets: [secret],
                version: 1,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.oauthClientRef(client.tenantId, client.clientId), kind: 'oauthClientRef', ...client },
            },
          },
        ],
      }),
    );
  }

  async list(tenantId: string): Promise<OAuthClient[]> {
    const { pk, skPrefix } = keys.oauthClientRefPrefix(tenantId);
    const items = await queryPrefix(this.client, this.tableName, pk, skPrefix, { consistentRead: true });
    return items.map((item) => clientOf(item));
  }

  async get(tenantId: string, clientId: string): Promise<OAuthClient | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.oauthClientRef(tenantId, clientId), ConsistentRead: true }),
    );
    return Item ? clientOf(Item) : null;
  }

  async findCredential(clientId: string): Promise<OAuthClientCredential | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.oauthClient(clientId), ConsistentRead: true }),
    );
    if (!Item) return null;
    const secrets = (Item.secrets as ClientSecretHash[]).map(({ hash, validUntil }) => ({
      hash,
      ...(validUntil ? { validUntil } : {}),
    }));
    return { ...clientOf(Item), secrets, version: Item.version as number };
  }

  async replaceSecrets(
    credential: OAuthClientCredential,
    secrets: ClientSecretHash[],
    rotatedAt: string,
    _actor: Principal,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.oauthClient(credential.clientId),
                UpdateExpression: 'SET secrets = :secrets, secretRotatedAt = :at, version = version + :one',
                ConditionExpression: 'version = :version AND #status = :active AND tenantId = :tenant',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':secrets': secrets,
                  ':at': rotatedAt,
                  ':one': 1,
                  ':version': credential.version,
                  ':active': 'active',
                  ':tenant': credential.tenantId,
                },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.oauthClientRef(credential.tenantId, credential.clientId),
                UpdateExpression: 'SET secretRotatedAt = :at',
                ExpressionAttributeValues: { ':at': rotatedAt },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      // The only condition is the client's own state: a cancelled transaction means it changed meanwhile.
      if ((error as Error).name === 'TransactionCanceledException') return false;
      throw error;
    }
  }

  async revoke(tenantId: string, clientId: string, revokedAt: string, _actor: Principal): Promise<OAuthClient | null> {
    const current = await this.get(tenantId, clientId);
    if (!current) return null;
    if (current.status === 'revoked') return current;
    const update = {
      TableName: this.tableName,
      // The revocation time stays the first one: revoking twice changes nothing.
      UpdateExpression: 'SET #status = :revoked, revokedAt = if_not_exists(revokedAt, :at)',
      ConditionExpression: 'tenantId = :tenant',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':revoked': 'revoked', ':at': revokedAt, ':tenant': tenantId },
    };
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: { ...update, Key: keys.oauthClient(clientId) } },
          { Update: { ...update, Key: keys.oauthClientRef(tenantId, clientId) } },
        ],
      }),
    );
    return { ...current, status: 'revoked', revokedAt };
  }
}

function clientOf(item: Record<string, unknown>): OAuthClient {
  const { clientId, tenantId, name, scopes, status, createdAt, secretRotatedAt, revokedAt } =
    item as unknown as OAuthClient;
  return {
    clientId,
    tenantId,
    name,
    scopes,
    status,
    createdAt,
    ...(secretRotatedAt ? { secretRotatedAt } : {}),
    ...(revokedAt ? { revokedAt } : {}),
  };
}
