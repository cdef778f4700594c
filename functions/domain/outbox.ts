import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { table } from '../../lib/topology';
import { TTL_ATTRIBUTE, ttlAttribute, ttlEpochSeconds } from '../shared/item-ttl';
import { loyaltyEvent, type LoyaltyEvent } from './events';

const DAY_S = 86_400;

/**
 * The outbox item of an event: the complete event at its key, marked `kind = "event"` (what the
 * stream consumers' filter passes) and expiring `outboxRetentionDays` after the event (TTL), so
 * outbox items do not grow a member's partition for ever.
 *
 * @example
 * const item = outboxItem(keys.event(tenantId, memberId, event.seq), event);
 */
export function outboxItem<E extends { occurredAt: string }>(key: { pk: string; sk: string }, event: E) {
  const deleteAfter = ttlEpochSeconds(Date.parse(event.occurredAt), table.outboxRetentionDays * DAY_S);
  return { ...key, kind: 'event' as const, ...event, ...ttlAttribute(deleteAfter) };
}

/**
 * Reads the complete event out of an outbox item's stream record. Consumers never rebuild
 * events from diffs: the transaction wrote the whole event, and that is what they forward.
 * Returns null for records that are not outbox inserts (the mapping's filter should drop those).
 */
export function eventFromStreamRecord(record: DynamoDBRecord): LoyaltyEvent | null {
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return null;
  const item = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>);
  if (item.kind !== 'event') return null;
  const { pk: _pk, sk: _sk, kind: _kind, [TTL_ATTRIBUTE]: _ttl, ...event } = item;
  return loyaltyEvent.parse(event);
}
