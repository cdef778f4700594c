import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FeedBackfill } from '../domain/backfill-runner';
import { feedIndexKeys } from '../domain/feed';
import { keys } from '../domain/keys';
import { applied } from './conditional-write';

/**
 * The feed target of a backfill: finds a tenant's outbox events that carry no feed index keys (written before the
 * index existed) by walking its members (the sharded `members` index) and each member's `EVENT#` items, and gives
 * them their keys. Only outside the index can such events be found; the cost is one query per member.
 */
export class DynamoFeedBackfill implements FeedBackfill {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async members(tenantId: string, shard: number, after: string | undefined, limit: number) {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'members',
        KeyConditionExpression: after ? 'gsi1pk = :pk AND gsi1sk > :after' : 'gsi1pk = :pk',
        ExpressionAttributeValues: {
          ':pk': keys.memberListShard(tenantId, shard),
          ...(after ? { ':after': after } : {}),
        },
        ProjectionExpression: 'gsi1sk',
        Limit: limit,
      }),
    );
    const memberIds = (page.Items ?? []).map((item) => String(item.gsi1sk));
    return { memberIds, more: page.LastEvaluatedKey !== undefined };
  }

  async indexMember(tenantId: string, memberId: string, range: { from: string; to: string }): Promise<number> {
    let indexed = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
          // ISO times of one precision compare as text; the range is normalised when it is requested.
          FilterExpression: 'occurredAt BETWEEN :from AND :to AND attribute_not_exists(feedPk)',
          ExpressionAttributeValues: {
            ':pk': keys.memberPk(tenantId, memberId),
            ':events': keys.eventPrefix,
            ':from': range.from,
            ':to': range.to,
          },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const index = feedIndexKeys(item);
        if (!index.feedPk || !index.feedSk) continue;
        // Only where still missing, and never bringing back an item that expired meanwhile.
        const given = await applied(
          this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { pk: String(item.pk), sk: String(item.sk) },
              UpdateExpression: 'SET feedPk = :feedPk, feedSk = :feedSk',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(feedPk)',
              ExpressionAttributeValues: { ':feedPk': index.feedPk, ':feedSk': index.feedSk },
            }),
          ),
        );
        if (given) indexed++;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return indexed;
  }
}
