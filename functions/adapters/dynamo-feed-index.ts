import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { feedShards, type FeedEvent, type FeedIndex, type ShardPage } from '../domain/feed';
import { loyaltyEvent } from '../domain/events';
import { keys } from '../domain/keys';
import { TTL_ATTRIBUTE } from '../shared/item-ttl';

/**
 * The event feed's reads: the `feed` index shards of a tenant (queried in parallel) and a member's
 * outbox events by seq. Every key is built from the caller's tenant, never from a cursor.
 */
export class DynamoFeedIndex implements FeedIndex {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async readShards(
    tenantId: string,
    query: { after: string; upTo: string; limit: number; matches: (type: string) => boolean },
  ): Promise<ShardPage[]> {
    return Promise.all(feedShards(tenantId).map((shard) => this.readShard(shard, query)));
  }

  private async readShard(
    feedPk: string,
    query: { after: string; upTo: string; limit: number; matches: (type: string) => boolean },
  ): Promise<ShardPage> {
    // BETWEEN is inclusive: read one more and drop the event at `after` (the last one already served).
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'feed',
        KeyConditionExpression: 'feedPk = :pk AND feedSk BETWEEN :after AND :upTo',
        ExpressionAttributeValues: { ':pk': feedPk, ':after': query.after, ':upTo': query.upTo },
        Limit: query.limit + 1,
      }),
    );
    const read = (page.Items ?? []).filter((item) => String(item.feedSk) > query.after);
    const items = read
      .map((item) => ({ position: String(item.feedSk), event: eventOf(item) }))
      .filter((item) => query.matches(item.event.type));
    const last = page.Items?.at(-1);
    return { items, ...(page.LastEvaluatedKey && last ? { readTo: String(last.feedSk) } : {}) };
  }

  async readMember(
    tenantId: string,
    memberId: string,
    query: { afterSeq: number; limit: number },
  ): Promise<{ events: (FeedEvent & { seq: number })[]; lastSeq?: number }> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': keys.memberPk(tenantId, memberId),
          ':from': keys.eventSeq(query.afterSeq + 1),
          ':to': `${keys.eventPrefix}\uffff`,
        },
        Limit: query.limit,
        ConsistentRead: true,
      }),
    );
    const events = (page.Items ?? []).map((item) => eventOf(item) as FeedEvent & { seq: number });
    const last = events.at(-1);
    return { events, ...(page.LastEvaluatedKey && last ? { lastSeq: last.seq } : {}) };
  }
}

/**
 * The event an outbox item holds, as the catalogue defines it: the item without its keys, marker and
 * TTL, and without what the store keeps beside the event (an earning's idempotency key). An item the
 * catalogue no longer reads is served as stored rather than failing the page.
 */
function eventOf(item: Record<string, unknown>): FeedEvent {
  const { pk: _pk, sk: _sk, kind: _kind, feedPk: _feedPk, feedSk: _feedSk, [TTL_ATTRIBUTE]: _ttl, ...event } = item;
  const parsed = loyaltyEvent.safeParse(event);
  return (parsed.success ? parsed.data : event) as FeedEvent;
}
