import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { loyaltyEvent, type LoyaltyEvent } from '../domain/events';
import { TTL_ATTRIBUTE } from '../shared/item-ttl';

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
