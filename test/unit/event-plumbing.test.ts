import type { SQSRecord } from 'aws-lambda';
import { processFifoBatch } from '../../functions/shared/fifo-batch';
import { deduplicationId, matchesEventType, queueEntry, webhookBody } from '../../functions/domain/webhooks/message';
import type { LoyaltyEvent } from '../../functions/domain/events';
import { matchesAny } from '../../local/event-filter';
import { objectPrefix, partitionValues } from '../../functions/declaration/lake-partitioning';
import { OUTBOX_EVENT_FILTER, rawEvents } from '../../functions/declaration/topology';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { eventFromStreamRecord } from '../../functions/adapters/outbox-stream';
import { outboxItem } from '../../functions/domain/outbox';
import { asPromise } from '../support/as-promise';

const sqsRecord = (id: string, group: string): SQSRecord =>
  ({
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: id,
    attributes: { MessageGroupId: group, ApproximateReceiveCount: '1' },
  }) as unknown as SQSRecord;

/** One enrolment event, as the ledger writes it. */
const enrolled = {
  id: 'evt_1',
  type: 'member.enrolled',
  version: 1,
  tenantId: 't',
  memberId: 'm',
  seq: 1,
  occurredAt: '2026-01-01T00:00:00.000Z',
  data: {
    externalId: 'x',
    tier: 'base',
    balance: { availablePoints: 0, pendingPoints: 0, lifetimePoints: 0, tier: 'base' },
  },
} as LoyaltyEvent;

describe('FIFO batch processing', () => {
  it('fails the rest of a failing group only; other groups keep flowing in order', async () => {
    // Prepare
    const seen: string[] = [];
    const records = [
      sqsRecord('a1', 'A'),
      sqsRecord('b1', 'B'),
      sqsRecord('a2', 'A'),
      sqsRecord('b2', 'B'),
      sqsRecord('a3', 'A'),
    ];

    // Act
    const result = await processFifoBatch(records, (r) =>
      asPromise(() => {
        if (r.messageId === 'a2') throw new Error('endpoint down');
        seen.push(r.messageId);
      }),
    );

    // Assess
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a2', 'a3']);
    expect(seen.filter((id) => id.startsWith('b'))).toEqual(['b1', 'b2']);
    expect(seen).not.toContain('a3');
  });

  it('a waiting head keeps its group in flight for its wait; the rest is released last first', async () => {
    // Prepare
    const records = [sqsRecord('a1', 'A'), sqsRecord('a2', 'A'), sqsRecord('a3', 'A'), sqsRecord('b1', 'B')];

    // Act
    const result = await processFifoBatch(records, (r) =>
      Promise.resolve(r.messageId === 'a1' ? { waitSeconds: 300 } : undefined),
    );

    // Assess: b1 is done; a1 waits 300 s; a3 then a2 become visible (so the queue keeps a2 before a3)
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a1', 'a2', 'a3']);
    expect(result.visibility).toEqual([
      { receiptHandle: 'rh-a1', messageId: 'a1', seconds: 300 },
      { receiptHandle: 'rh-a3', messageId: 'a3', seconds: 0 },
      { receiptHandle: 'rh-a2', messageId: 'a2', seconds: 0 },
    ]);
  });

  it('starts nothing when the invocation is nearly out of time, and hands the messages back', async () => {
    // Prepare
    const handled: string[] = [];
    let remaining = 60_000;
    const records = [sqsRecord('a1', 'A'), sqsRecord('a2', 'A')];

    // Act: the first attempt uses up the time
    const result = await processFifoBatch(
      records,
      (r) => {
        handled.push(r.messageId);
        remaining = 10_000;
        return Promise.resolve();
      },
      { remainingMs: () => remaining, reserveMs: 20_000 },
    );

    // Assess
    expect(handled).toEqual(['a1']);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a2' }]);
    expect(result.visibility).toEqual([{ receiptHandle: 'rh-a2', messageId: 'a2', seconds: 0 }]);
  });
});

describe('webhook routing rules', () => {
  it('matches exact types, prefix wildcards and *', () => {
    expect(matchesEventType(['points.*'], 'points.earned')).toBe(true);
    expect(matchesEventType(['points.*'], 'member.enrolled')).toBe(false);
    expect(matchesEventType(['member.enrolled'], 'member.enrolled')).toBe(true);
    expect(matchesEventType(['*'], 'anything.at.all')).toBe(true);
  });

  it('groups by endpoint and member (operational events, digests: endpoint), dedups by endpoint, event, round', () => {
    const queued = (event: Partial<LoyaltyEvent>) =>
      queueEntry({ tenantId: 't', subscriptionId: 'sub_1', event: { id: 'evt_1', ...event } as LoyaltyEvent });
    expect(queued({ memberId: 'mem_1' }).MessageGroupId).toBe('sub_1.mem_1');
    expect(queued({ memberId: 'mem_1' }).MessageGroupId).not.toBe(queued({ memberId: 'mem_2' }).MessageGroupId);
    expect(queued({ endpointId: 'sub_9' }).MessageGroupId).toBe('sub_1.!endpoint.sub_9');
    const digest = queueEntry({
      tenantId: 't',
      subscriptionId: 'sub_1',
      digest: { windowStart: 1_800_000_000, part: 0, intervalSeconds: 60 },
    });
    expect(digest.MessageGroupId).toBe('sub_1.!digest');
    expect(digest.MessageDeduplicationId).toBe(deduplicationId('sub_1', 'dig_1800000000_0'));
    expect(deduplicationId('sub_1', 'evt_1')).toBe(deduplicationId('sub_1', 'evt_1'));
    expect(deduplicationId('sub_1', 'evt_1')).not.toBe(deduplicationId('sub_2', 'evt_1'));
    expect(deduplicationId('sub_1', 'evt_1', 1)).not.toBe(deduplicationId('sub_1', 'evt_1'));
    expect(deduplicationId('sub_1', 'evt_1')).toHaveLength(64);
  });

  it('sends Standard Webhooks type/timestamp/data with the member seq', () => {
    const body = JSON.parse(webhookBody(enrolled));
    expect(body).toMatchObject({
      type: 'member.enrolled',
      timestamp: '2026-01-01T00:00:00.000Z',
      id: 'evt_1',
      seq: 1,
      memberId: 'm',
      data: { externalId: 'x' },
    });
  });
});

describe('outbox items', () => {
  it('expire 30 days after their event (TTL, in epoch seconds)', () => {
    // Act
    const item = outboxItem({ pk: 'P', sk: 'EVENT#1' }, enrolled);

    // Assess
    expect(item).toMatchObject({ pk: 'P', sk: 'EVENT#1', kind: 'event', id: 'evt_1' });
    expect(item.expiresAt).toBe(Date.parse('2026-01-31T00:00:00.000Z') / 1000);
  });

  it('reach stream consumers as the event alone, without keys or expiry', () => {
    // Prepare
    const record = {
      eventName: 'INSERT',
      dynamodb: { NewImage: marshall(outboxItem({ pk: 'P', sk: 'EVENT#1' }, enrolled)) },
    } as DynamoDBRecord;

    // Act
    const event = eventFromStreamRecord(record);

    // Assess
    expect(event).toEqual(enrolled);
  });
});

describe('twin: Lambda event filtering', () => {
  const record = (kind: string, eventName = 'INSERT') => ({ eventName, dynamodb: { NewImage: { kind: { S: kind } } } });

  it('passes only outbox event inserts, as the deployed filter does', () => {
    expect(matchesAny([OUTBOX_EVENT_FILTER], record('event'))).toBe(true);
    expect(matchesAny([OUTBOX_EVENT_FILTER], record('balance'))).toBe(false);
    expect(matchesAny([OUTBOX_EVENT_FILTER], record('event', 'MODIFY'))).toBe(false);
    expect(matchesAny([OUTBOX_EVENT_FILTER], { eventName: 'INSERT' })).toBe(false);
  });

  it('supports prefix, exists and anything-but rules', () => {
    expect(matchesAny([{ a: [{ prefix: 'ev' }] }], { a: 'event' })).toBe(true);
    expect(matchesAny([{ a: [{ exists: false }] }], {})).toBe(true);
    expect(matchesAny([{ a: [{ 'anything-but': ['x'] }] }], { a: 'x' })).toBe(false);
  });
});

describe('twin: Firehose partitioning', () => {
  it('partitions by tenant, type and the event timestamp, like the deployed JQ query', () => {
    const values = partitionValues(
      { tenantId: 'demo', type: 'points.earned', occurredAt: '2026-11-21T22:07:16.457Z' },
      rawEvents.partitionKeys,
    );
    expect(objectPrefix(rawEvents.prefixTemplate, values!)).toBe('events/tenant=demo/date=2026-11-21/hour=22/');
  });

  it('returns null when a partition key is missing (records go to the error prefix)', () => {
    expect(partitionValues({ tenantId: 'demo' }, rawEvents.partitionKeys)).toBeNull();
  });
});
