import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { defaultProgramme, programmeSettings, type Programme } from '../domain/programme';
import type { ProgrammeStore } from '../domain/ports';
import { applied } from './conditional-write';

/** A tenant's programme as one item beside the tenant; a write is conditioned on the version it replaces. */
export class DynamoProgrammeStore implements ProgrammeStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(tenantId: string): Promise<Programme> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.programme(tenantId), ConsistentRead: true }),
    );
    if (!Item) return defaultProgramme(tenantId);
    // Settings added after the item was written take their defaults.
    return {
      tenantId,
      settings: programmeSettings.parse(Item.settings),
      version: Item.version as number,
      updatedAt: Item.updatedAt as string,
    };
  }

  async put(programme: Programme, expectedVersion: number): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.programme(programme.tenantId), kind: 'programme', ...programme },
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      ),
    );
  }
}
