import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LoyaltyEvent } from '../domain/events';
import { keys } from '../domain/keys';
import { DIGEST_MAX_EVENTS, digestWindowStart, nextDigestPlace, type DigestRef } from '../domain/webhooks/message';
import type { DigestStore } from '../domain/webhooks/ports';
import { TTL_NAMES, ttlAfterDays, ttlAttribute } from '../shared/item-ttl';
import { queryPrefix } from './query-prefix';
import { transactWrite } from './cancelled-transaction';

/**
 * Digest windows: an endpoint in digest mode collects its events per window (and part) in the
 * table, and gets one delivery per window when it closes. Adding an event is conditioned on the
 * window being open and not full, in the same transaction as the event, so closing a window and
 * reading it afterwards sees every event it will ever hold; a late event goes to the next window.
 */
export class DynamoDigestStore implements DigestStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  /**
   * Adds an event to the endpoint's current window. Returns the window, and whether its delivery
   * still has to be queued (the first event of a window queues it; a retry queues it again, which
   * the queue's deduplication absorbs).
   */
  async add(
    tenantId: string,
    subscriptionId: string,
    event: LoyaltyEvent,
    intervalSeconds: number,
    now: Date,
  ): Promise<{ digest: DigestRef; queue: boolean }> {
    let windowStart = digestWindowStart(now, intervalSeconds);
    let part = 0;
    const deleteAfter = ttlAfterDays(now, this.retentionDays);
    for (let tries = 0; tries < 50; tries++) {
      const pk = keys.digestWindowPk(tenantId, subscriptionId, windowStart, part);
      const cancelled = await transactWrite(this.client, [
        {
          Update: {
            TableName: this.tableName,
            Key: { pk, sk: 'WINDOW' },
            UpdateExpression: 'SET intervalSeconds = :interval, #ttl = :expires ADD events :one',
            ConditionExpression: 'attribute_not_exists(closed) AND (attribute_not_exists(events) OR events < :max)',
            ExpressionAttributeNames: TTL_NAMES,
            ExpressionAttributeValues: {
              ':interval': intervalSeconds,
              ':expires': deleteAfter,
              ':one': 1,
              ':max': DIGEST_MAX_EVENTS,
            },
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: {
              pk,
              sk: `${keys.digestEventPrefix}${event.occurredAt}#${event.id}`,
              kind: 'digestEvent',
              ...ttlAttribute(deleteAfter),
              event,
            },
          },
        },
      ]);
      const header = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk, sk: 'WINDOW' }, ConsistentRead: true }),
      );
      if (!cancelled) return { digest: { windowStart, part, intervalSeconds }, queue: header.Item?.queued !== true };
      // The window closed or filled up meanwhile: the event goes to the next place.
      const window = {
        closed: Boolean(header.Item?.closed),
        events: (header.Item?.events as number | undefined) ?? 0,
      };
      ({ windowStart, part } = nextDigestPlace({ windowStart, part }, window, intervalSeconds));
    }
    throw new Error(`No open digest window found for ${subscriptionId}`);
  }

  /** The window's delivery is on the queue. */
  async markQueued(tenantId: string, subscriptionId: string, digest: DigestRef): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: keys.digestWindowPk(tenantId, subscriptionId, digest.windowStart, digest.part), sk: 'WINDOW' },
        UpdateExpression: 'SET queued = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
  }

  /** Closes the window (no event joins it afterwards) and returns its events in time order. */
  async close(tenantId: string, subscriptionId: string, digest: DigestRef): Promise<LoyaltyEvent[]> {
    const pk = keys.digestWindowPk(tenantId, subscriptionId, digest.windowStart, digest.part);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk, sk: 'WINDOW' },
        UpdateExpression: 'SET closed = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
    // Consistent: every event whose add finished before the close is read.
    const items = await queryPrefix(this.client, this.tableName, pk, keys.digestEventPrefix, { consistentRead: true });
    return items.map((item) => item.event as LoyaltyEvent);
  }
}
