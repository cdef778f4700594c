import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { LoyaltyEvent } from '../domain/events';
import { DELIVERY_LOG_SHARDS, keys } from '../domain/keys';
import type { Page } from '../domain/ports';
import { afterAttempt, deadLetterOf } from '../domain/webhooks/delivery-record';
import { subjectOf, type DeadReason, type DeliveryMessage, type DigestRef } from '../domain/webhooks/message';
import type {
  AttemptRecord,
  AttemptToRecord,
  DeadLetter,
  DeliveryLog,
  DeliveryRecord,
  MessageQuery,
} from '../domain/webhooks/ports';
import { transactWrite } from './cancelled-transaction';
import { applied } from './conditional-write';
import { TTL_ATTRIBUTE, TTL_NAMES, ttlAfterDays, ttlAttribute } from '../shared/item-ttl';
import { decodeCursor, encodeCursor } from './cursor';
import { required } from '../shared/required';
import { queryMerged } from './merged-query';
import { queryPrefix } from './query-prefix';
import { strip as stripKeys } from './dynamo-ledger-store';

/** A log or health item as the API shows it: no keys, no TTL, no bookkeeping. */
export const stripLogItem = ({ [TTL_ATTRIBUTE]: _ttl, deadSk: _d, ...rest }: Record<string, unknown>) =>
  stripKeys(rest);
const strip = stripLogItem;

/**
 * The webhook delivery log in the ledger table. Each message has its own partition (no hot or
 * oversized item collection); the `deliveries` index lists an endpoint's messages by event time
 * and its attempts by attempt time, each in `DELIVERY_LOG_SHARDS` shards by event id (no hot index
 * partition for a busy endpoint) that a listing reads together. Everything expires after the
 * retention period (TTL), dead letters included.
 */
export class DynamoDeliveryLog implements DeliveryLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  /** When a log item written at `now` may be deleted (epoch seconds, the table's TTL). */
  private deleteAfter(now: Date): number {
    return ttlAfterDays(now, this.retentionDays);
  }

  async getMessage(tenantId: string, subscriptionId: string, eventId: string): Promise<DeliveryRecord | null> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.delivery(tenantId, subscriptionId, eventId),
        ConsistentRead: true,
      }),
    );
    return Item ? messageRecord(tenantId, subscriptionId, Item) : null;
  }

  /**
   * Logs an attempt and where the message now stands. The message's update is conditioned on its
   * round: when a replay started a newer round meanwhile, this copy is stale (`stale`), though the
   * attempt itself is still logged, because it happened.
   */
  async recordAttempt(input: AttemptToRecord): Promise<'recorded' | 'stale'> {
    const { message, attempt } = input;
    const now = new Date(attempt.at);
    const { id } = subjectOf(message);
    const attemptItem: AttemptRecord = { eventId: id, attempt: input.attemptNumber, round: message.round, ...attempt };
    // A copy queued twice (past the queue's dedup window) must not overwrite the first's log: a failed
    // condition is fine.
    const logAttempt = applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.deliveryAttempt(message.tenantId, message.subscriptionId, id, input.attemptNumber),
            kind: 'deliveryAttempt',
            gsi2pk: keys.endpointAttempts(message.tenantId, message.subscriptionId, keys.deliveryLogShard(id)),
            gsi2sk: `${attempt.at}#${id}#${input.attemptNumber}`,
            ...ttlAttribute(this.deleteAfter(now)),
            ...attemptItem,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    const { fields, deadReason } = afterAttempt(input);
    const [result] = await Promise.all([this.writeMessage(message, now, fields, deadReason), logAttempt]);
    return result;
  }

  /** A message that will not be attempted (its endpoint is disabled) becomes a dead letter at once. */
  async markDead(message: DeliveryMessage, now: Date, reason: DeadReason): Promise<'recorded' | 'stale'> {
    return this.writeMessage(message, now, { status: 'dead', nextAttemptAt: undefined }, reason);
  }

  private async writeMessage(
    message: DeliveryMessage,
    now: Date,
    fields: Partial<DeliveryRecord>,
    deadReason?: DeadReason,
  ): Promise<'recorded' | 'stale'> {
    const { tenantId, subscriptionId } = message;
    const subject = subjectOf(message);
    const at = now.toISOString();
    // One assignment per attribute (DynamoDB refuses two paths to the same attribute): later ones win.
    const assignments = new Map<string, { value: unknown; ifAbsent: boolean }>();
    const assign = (name: string, value: unknown, ifAbsent = false) => assignments.set(name, { value, ifAbsent });
    // The tenant and endpoint are in the key, the event's id, type and time in the event: not repeated (an item under
    // one KB costs a write unit, and its index copy another, where one past it costs two each).
    assign('kind', 'delivery');
    if ('event' in message) assign('event', message.event);
    else assign('digest', message.digest);
    assign('gsi2pk', keys.endpointMessages(tenantId, subscriptionId, keys.deliveryLogShard(subject.id)));
    assign('gsi2sk', `${subject.occurredAt}#${subject.id}`);
    assign('createdAt', at, true);
    assign('attempts', 0, true);
    assign('roundAttempts', 0, true);
    assign(TTL_ATTRIBUTE, this.deleteAfter(now));
    for (const [name, value] of Object.entries(fields)) assign(name, value);
    const deadSk = deadReason ? `${at}#${subject.id}` : undefined;
    assign('deadAt', deadReason ? at : undefined);
    assign('deadReason', deadReason);
    assign('deadSk', deadSk);
    const set: string[] = ['#round = :round'];
    const remove: string[] = [];
    const names: Record<string, string> = { '#round': 'round' };
    const values: Record<string, unknown> = { ':round': message.round };
    for (const [name, { value, ifAbsent }] of assignments) {
      names[`#${name}`] = name;
      if (value === undefined) {
        remove.push(`#${name}`);
        continue;
      }
      values[`:${name}`] = value;
      set.push(ifAbsent ? `#${name} = if_not_exists(#${name}, :${name})` : `#${name} = :${name}`);
    }
    const update = {
      TableName: this.tableName,
      Key: keys.delivery(tenantId, subscriptionId, subject.id),
      UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ConditionExpression: 'attribute_not_exists(pk) OR #round = :round',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    if (!deadReason) return (await applied(this.client.send(new UpdateCommand(update)))) ? 'recorded' : 'stale';
    const cancelled = await transactWrite(this.client, [
      { Update: update },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            pk: keys.deadLetters(tenantId, subscriptionId),
            sk: deadSk,
            kind: 'deadLetter',
            ...ttlAttribute(this.deleteAfter(now)),
            ...deadLetterOf(message, at, deadReason),
          },
        },
      },
    ]);
    // Another round owns the message now (the log item's condition failed): no dead letter either.
    if (cancelled?.conditionFailedAt(0)) return 'stale';
    if (cancelled) throw cancelled.error;
    return 'recorded';
  }

  /** A dead letter left (redriven, replayed): the endpoint's count goes down, never below zero. */
  private async uncountDeadLetter(tenantId: string, subscriptionId: string): Promise<void> {
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.endpointHealth(tenantId, subscriptionId),
          UpdateExpression: 'ADD deadLetters :minus',
          ConditionExpression: 'deadLetters > :zero',
          ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
        }),
      ),
    );
  }

  /**
   * Starts a new round for a logged message (replay, redrive): a fresh schedule, its dead letter
   * (if any) removed. Returns the message to queue, or null if the log no longer has it.
   */
  async startRound(
    tenantId: string,
    subscriptionId: string,
    eventId: string,
    now: Date,
  ): Promise<DeliveryMessage | null> {
    for (let tries = 0; tries < 3; tries++) {
      const current = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.delivery(tenantId, subscriptionId, eventId),
          ConsistentRead: true,
        }),
      );
      if (!current.Item) return null;
      const round = (current.Item.round as number) + 1;
      const deadSk = current.Item.deadSk as string | undefined;
      const cancelled = await transactWrite(this.client, [
        {
          Update: {
            TableName: this.tableName,
            Key: keys.delivery(tenantId, subscriptionId, eventId),
            UpdateExpression:
              'SET #round = :next, roundAttempts = :zero, #status = :pending, roundStartedAt = :now, ' +
              '#ttl = :expires REMOVE nextAttemptAt, deadAt, deadReason, deadSk',
            ConditionExpression: '#round = :round',
            ExpressionAttributeNames: { '#round': 'round', '#status': 'status', ...TTL_NAMES },
            ExpressionAttributeValues: {
              ':next': round,
              ':round': round - 1,
              ':zero': 0,
              ':pending': 'pending',
              ':now': now.toISOString(),
              ':expires': this.deleteAfter(now),
            },
          },
        },
        ...(deadSk
          ? [
              {
                Delete: {
                  TableName: this.tableName,
                  Key: { pk: keys.deadLetters(tenantId, subscriptionId), sk: deadSk },
                },
              },
            ]
          : []),
      ]);
      // Another round started or finished meanwhile: read the message again.
      if (cancelled) continue;
      if (deadSk) await this.uncountDeadLetter(tenantId, subscriptionId);
      const item = current.Item;
      return item.event
        ? { tenantId, subscriptionId, round, event: item.event as LoyaltyEvent }
        : { tenantId, subscriptionId, round, digest: item.digest as DigestRef };
    }
    throw new Error(`Message ${eventId} kept changing while a replay was started`);
  }

  /** An endpoint's messages whose events occurred in [from, to], oldest or newest first. */
  async listMessages(tenantId: string, subscriptionId: string, query: MessageQuery): Promise<Page<DeliveryRecord>> {
    const page = await this.queryIndex(
      (shard) => keys.endpointMessages(tenantId, subscriptionId, shard),
      query,
      query.status,
    );
    return {
      items: page.items.map((item) => messageRecord(tenantId, subscriptionId, item)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** An endpoint's attempts, newest first. */
  async listAttempts(
    tenantId: string,
    subscriptionId: string,
    query: { from?: string; to?: string; limit: number; cursor?: string },
  ): Promise<Page<AttemptRecord>> {
    const page = await this.queryIndex((shard) => keys.endpointAttempts(tenantId, subscriptionId, shard), {
      ...query,
      order: 'desc',
    });
    return {
      items: page.items.map((item) => strip(item) as unknown as AttemptRecord),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** One message's attempts in order (at most the schedule's length per round). */
  async messageAttempts(tenantId: string, subscriptionId: string, eventId: string): Promise<AttemptRecord[]> {
    const pk = keys.delivery(tenantId, subscriptionId, eventId).pk;
    const items = await queryPrefix(this.client, this.tableName, pk, keys.attemptPrefix);
    return items.map((item) => strip(item) as unknown as AttemptRecord);
  }

  /** An endpoint's dead letters, oldest first. */
  async listDeadLetters(
    tenantId: string,
    subscriptionId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<DeadLetter>> {
    const pk = keys.deadLetters(tenantId, subscriptionId);
    const start = query.cursor ? { pk, sk: decodeCursor(query.cursor, ['sk']).sk } : undefined;
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Limit: query.limit,
        ExclusiveStartKey: start,
      }),
    );
    const last = page.LastEvaluatedKey;
    return {
      items: (page.Items ?? []).map((item) => strip(item) as unknown as DeadLetter),
      ...(last ? { nextCursor: encodeCursor({ sk: last.sk }) } : {}),
    };
  }

  /**
   * One page of an endpoint's log in the `deliveries` index: every shard's partition (and the one written before
   * sharding) read together and merged by sort key, which is unique within an endpoint's messages or attempts, so
   * the cursor is the last item's sort key.
   */
  private async queryIndex(
    partition: (shard?: number) => string,
    query: { from?: string; to?: string; order: 'asc' | 'desc'; limit: number; cursor?: string },
    status?: string,
  ): Promise<{ items: Record<string, unknown>[]; nextCursor?: string }> {
    const after = query.cursor ? cursorPosition(query.cursor) : undefined;
    const descending = query.order === 'desc';
    // Each shard's range, narrowed to the items from the cursor on (BETWEEN includes it: it is dropped below).
    const from = !descending && after !== undefined ? after : (query.from ?? '0');
    const to = descending && after !== undefined ? after : `${query.to ?? '9'}\uffff`;
    const partitions = [undefined, ...Array.from({ length: DELIVERY_LOG_SHARDS }, (_, shard) => shard)];
    const { items, more } = await queryMerged(
      this.client,
      partitions.map((shard) => ({
        TableName: this.tableName,
        IndexName: 'deliveries',
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to',
        ...(status ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } } : {}),
        ExpressionAttributeValues: {
          ':pk': partition(shard),
          ':from': from,
          ':to': to,
          ...(status ? { ':status': status } : {}),
        },
        ScanIndexForward: !descending,
        // Shards share the page: a few items each, more read only from the shards the merge draws on.
        Limit: Math.ceil(query.limit / DELIVERY_LOG_SHARDS) + 2,
      })),
      // One more than the page: the cursor's own item, if it is still there, comes first and is dropped.
      { sortKey: 'gsi2sk', descending, limit: query.limit + (after === undefined ? 0 : 1) },
    );
    const kept = items.filter((item) => item.gsi2sk !== after);
    const page = kept.slice(0, query.limit);
    const last = page.at(-1);
    if (!(more || kept.length > page.length) || !last) return { items: page };
    return { items: page, nextCursor: encodeCursor({ at: String(last.gsi2sk) }) };
  }
}

/** Where a page starts: after this sort key (cursors from before sharding carry the event and attempt as well). */
function cursorPosition(cursor: string): string {
  try {
    return decodeCursor(cursor, ['at']).at ?? '';
  } catch {
    return decodeCursor(cursor, ['at', 'eventId', 'attempt']).at ?? '';
  }
}

/**
 * A message item as the log's readers see it: what the item leaves out (its tenant, endpoint, event id, type and
 * time) put back from the key and the event or digest. Items written before kept them and read the same.
 */
function messageRecord(tenantId: string, subscriptionId: string, item: Record<string, unknown>): DeliveryRecord {
  const record = strip(item) as unknown as DeliveryRecord;
  const sent = record.event ? { event: record.event } : { digest: required(record.digest, "the message's digest") };
  const subject = subjectOf({ tenantId, subscriptionId, round: record.round, ...sent });
  return {
    ...record,
    tenantId,
    subscriptionId,
    eventId: subject.id,
    eventType: subject.type,
    occurredAt: subject.occurredAt,
  };
}
