import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { EndpointHealth, DeliveryPolicy } from '../domain/delivery-policy';
import { HEALTHY, openPeriodSeconds } from '../domain/delivery-policy';
import { assertWellFormedEvent, type LoyaltyEvent } from '../domain/events';
import { keys } from '../domain/keys';
import { outboxItem } from '../domain/outbox';
import type { Page, WebhookSubscription } from '../domain/ports';
import { subjectOf, type DeadReason, type DeliveryMessage, type DigestRef } from '../domain/webhook-message';
import { newId } from '../shared/ids';
import { applied } from './conditional-write';
import { decodeCursor, encodeCursor } from './cursor';
import { strip as stripKeys } from './dynamo-ledger-store';

/** The log of one event for one endpoint: where it stands and how many attempts it took. */
export interface DeliveryRecord {
  tenantId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  occurredAt: string;
  /** The event, or for a digest the window it sent. */
  event?: LoyaltyEvent;
  digest?: DigestRef;
  status: 'pending' | 'delivered' | 'failing' | 'dead';
  /** 0 for the first delivery; each replay or redrive starts a new round with a fresh schedule. */
  round: number;
  roundAttempts: number;
  attempts: number;
  /** When the current round was started by a replay or redrive. */
  roundStartedAt?: string;
  createdAt: string;
  lastAttemptAt?: string;
  lastStatus?: number;
  lastError?: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
  deadAt?: string;
  deadReason?: string;
}

/** One attempt: what the attempt log shows per message and per endpoint. */
export interface AttemptRecord {
  eventId: string;
  attempt: number;
  round: number;
  at: string;
  ok: boolean;
  status?: number;
  durationMs: number;
  error?: string;
  responseBody?: string;
  /** The breaker's probe: the attempt that decided whether the endpoint is back. */
  probe?: boolean;
}

export interface DeadLetter {
  eventId: string;
  eventType: string;
  occurredAt: string;
  deadAt: string;
  reason: string;
}


/** A log item as the API shows it: no keys, no TTL, no bookkeeping. */
const strip = ({ expiresAt: _e, deadSk: _d, ...rest }: Record<string, unknown>) => stripKeys<Record<string, unknown>>(rest);

/**
 * The webhook delivery log and endpoint health in the ledger table. Each message has its own
 * partition (no hot or oversized item collection); the `deliveries` index lists an endpoint's
 * messages by event time and its attempts by attempt time. Everything expires after the
 * retention period (TTL), dead letters included.
 */
export class DynamoDeliveryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  private expiresAt(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.retentionDays * 86_400;
  }

  async getMessage(tenantId: string, subscriptionId: string, eventId: string): Promise<DeliveryRecord | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.delivery(tenantId, subscriptionId, eventId), ConsistentRead: true }),
    );
    return Item ? (strip(Item) as unknown as DeliveryRecord) : null;
  }

  /**
   * Logs an attempt and where the message now stands. The message's update is conditioned on its
   * round: when a replay started a newer round meanwhile, this copy is stale (`stale`), though the
   * attempt itself is still logged, because it happened.
   */
  async recordAttempt(input: {
    message: DeliveryMessage;
    attempt: Omit<AttemptRecord, 'eventId' | 'attempt' | 'round'>;
    attemptNumber: number;
    roundAttempts: number;
    outcome: 'delivered' | 'failing' | 'dead';
    nextAttemptAt?: string;
    deadReason?: DeadReason;
  }): Promise<'recorded' | 'stale'> {
    const { message, attempt } = input;
    const now = new Date(attempt.at);
    const { id } = subjectOf(message);
    const attemptItem: AttemptRecord = { eventId: id, attempt: input.attemptNumber, round: message.round, ...attempt };
    // A copy queued twice (past the queue's dedup window) must not overwrite the first's log: a failed condition is fine.
    const logAttempt = applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.deliveryAttempt(message.tenantId, message.subscriptionId, id, input.attemptNumber),
            kind: 'deliveryAttempt',
            gsi2pk: keys.endpointAttempts(message.tenantId, message.subscriptionId),
            gsi2sk: `${attempt.at}#${id}#${input.attemptNumber}`,
            expiresAt: this.expiresAt(now),
            ...attemptItem,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    const fields: Record<string, unknown> = {
      status: input.outcome,
      roundAttempts: input.roundAttempts,
      attempts: input.attemptNumber,
      lastAttemptAt: attempt.at,
      lastStatus: attempt.status,
      lastError: attempt.error,
      nextAttemptAt: input.nextAttemptAt,
      deliveredAt: input.outcome === 'delivered' ? attempt.at : undefined,
    };
    const [result] = await Promise.all([this.writeMessage(message, now, fields, input.outcome === 'dead' ? (input.deadReason ?? 'attempts_exhausted') : undefined), logAttempt]);
    return result;
  }

  /** A message that will not be attempted (its endpoint is disabled) becomes a dead letter at once. */
  async park(message: DeliveryMessage, now: Date, reason: DeadReason): Promise<'recorded' | 'stale'> {
    return this.writeMessage(message, now, { status: 'dead', nextAttemptAt: undefined }, reason);
  }

  private async writeMessage(message: DeliveryMessage, now: Date, fields: Record<string, unknown>, deadReason?: DeadReason): Promise<'recorded' | 'stale'> {
    const { tenantId, subscriptionId } = message;
    const subject = subjectOf(message);
    const at = now.toISOString();
    // One assignment per attribute (DynamoDB refuses two paths to the same attribute): later ones win.
    const assignments = new Map<string, { value: unknown; ifAbsent: boolean }>();
    const assign = (name: string, value: unknown, ifAbsent = false) => assignments.set(name, { value, ifAbsent });
    assign('kind', 'delivery');
    assign('tenantId', tenantId);
    assign('subscriptionId', subscriptionId);
    assign('eventId', subject.id);
    assign('eventType', subject.type);
    assign('occurredAt', subject.occurredAt);
    if ('event' in message) assign('event', message.event);
    else assign('digest', message.digest);
    assign('gsi2pk', keys.endpointMessages(tenantId, subscriptionId));
    assign('gsi2sk', `${subject.occurredAt}#${subject.id}`);
    assign('createdAt', at, true);
    assign('attempts', 0, true);
    assign('roundAttempts', 0, true);
    assign('expiresAt', this.expiresAt(now));
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
    try {
      if (!deadReason) {
        await this.client.send(new UpdateCommand(update));
      } else {
        const deadLetter: DeadLetter = { eventId: subject.id, eventType: subject.type, occurredAt: subject.occurredAt, deadAt: at, reason: deadReason };
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Update: update },
              {
                Put: {
                  TableName: this.tableName,
                  Item: { pk: keys.deadLetters(tenantId, subscriptionId), sk: deadSk, kind: 'deadLetter', expiresAt: this.expiresAt(now), ...deadLetter },
                },
              },
            ],
          }),
        );
      }
      return 'recorded';
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ConditionalCheckFailedException') return 'stale';
      if (name === 'TransactionCanceledException' && (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return 'stale';
      throw error;
    }
  }

  /**
   * Starts a new round for a logged message (replay, redrive): a fresh schedule, its dead letter
   * (if any) removed. Returns the message to queue, or null if the log no longer has it.
   */
  async startRound(tenantId: string, subscriptionId: string, eventId: string, now: Date): Promise<DeliveryMessage | null> {
    for (let tries = 0; tries < 3; tries++) {
      const current = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: keys.delivery(tenantId, subscriptionId, eventId), ConsistentRead: true }),
      );
      if (!current.Item) return null;
      const round = (current.Item.round as number) + 1;
      const deadSk = current.Item.deadSk as string | undefined;
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: keys.delivery(tenantId, subscriptionId, eventId),
                  UpdateExpression: 'SET #round = :next, roundAttempts = :zero, #status = :pending, roundStartedAt = :now, expiresAt = :expires REMOVE nextAttemptAt, deadAt, deadReason, deadSk',
                  ConditionExpression: '#round = :round',
                  ExpressionAttributeNames: { '#round': 'round', '#status': 'status' },
                  ExpressionAttributeValues: { ':next': round, ':round': round - 1, ':zero': 0, ':pending': 'pending', ':now': now.toISOString(), ':expires': this.expiresAt(now) },
                },
              },
              ...(deadSk ? [{ Delete: { TableName: this.tableName, Key: { pk: keys.deadLetters(tenantId, subscriptionId), sk: deadSk } } }] : []),
            ],
          }),
        );
        const item = current.Item;
        return item.event ? { tenantId, subscriptionId, round, event: item.event as LoyaltyEvent } : { tenantId, subscriptionId, round, digest: item.digest as DigestRef };
      } catch (error) {
        if ((error as Error).name !== 'TransactionCanceledException') throw error;
      }
    }
    throw new Error(`Message ${eventId} kept changing while a replay was started`);
  }

  /** An endpoint's messages whose events occurred in [from, to], oldest or newest first. */
  async listMessages(
    tenantId: string,
    subscriptionId: string,
    query: { from?: string; to?: string; status?: DeliveryRecord['status']; order: 'asc' | 'desc'; limit: number; cursor?: string },
  ): Promise<Page<DeliveryRecord>> {
    const page = await this.queryIndex(keys.endpointMessages(tenantId, subscriptionId), query, (position) => keys.delivery(tenantId, subscriptionId, position.eventId!), query.status);
    return { items: page.items.map((item) => strip(item) as unknown as DeliveryRecord), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** An endpoint's attempts, newest first. */
  async listAttempts(tenantId: string, subscriptionId: string, query: { from?: string; to?: string; limit: number; cursor?: string }): Promise<Page<AttemptRecord>> {
    const page = await this.queryIndex(keys.endpointAttempts(tenantId, subscriptionId), { ...query, order: 'desc' }, (position) =>
      keys.deliveryAttempt(tenantId, subscriptionId, position.eventId!, Number(position.attempt)),
    );
    return { items: page.items.map((item) => strip(item) as unknown as AttemptRecord), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** One message's attempts in order (at most the schedule's length per round). */
  async messageAttempts(tenantId: string, subscriptionId: string, eventId: string): Promise<AttemptRecord[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.delivery(tenantId, subscriptionId, eventId).pk, ':prefix': keys.attemptPrefix },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.map((item) => strip(item) as unknown as AttemptRecord);
  }

  /** An endpoint's dead letters, oldest first. */
  async listDeadLetters(tenantId: string, subscriptionId: string, query: { limit: number; cursor?: string }): Promise<Page<DeadLetter>> {
    const pk = keys.deadLetters(tenantId, subscriptionId);
    const start = query.cursor ? { pk, sk: decodeCursor(query.cursor, ['sk']).sk } : undefined;
    const page = await this.client.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, Limit: query.limit, ExclusiveStartKey: start }),
    );
    const last = page.LastEvaluatedKey;
    return {
      items: (page.Items ?? []).map((item) => strip(item) as unknown as DeadLetter),
      ...(last ? { nextCursor: encodeCursor({ sk: last.sk }) } : {}),
    };
  }

  private async queryIndex(
    partition: string,
    query: { from?: string; to?: string; order: 'asc' | 'desc'; limit: number; cursor?: string },
    baseKey: (position: Record<string, string>) => { pk: string; sk: string },
    status?: string,
  ): Promise<{ items: Record<string, unknown>[]; nextCursor?: string }> {
    const from = query.from ?? '0';
    const to = `${query.to ?? '9'}\uffff`;
    let start: Record<string, unknown> | undefined;
    if (query.cursor) {
      const position = decodeCursor(query.cursor, ['at', 'eventId', 'attempt']);
      start = { gsi2pk: partition, gsi2sk: position.at, ...baseKey(position) };
    }
    const items: Record<string, unknown>[] = [];
    // A status filter may empty a page; keep reading until the page is full or the range ends.
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'deliveries',
          KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to',
          ...(status ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: { ':pk': partition, ':from': from, ':to': to, ...(status ? { ':status': status } : {}) },
          ScanIndexForward: query.order === 'asc',
          Limit: query.limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < query.limit);
    if (!start) return { items };
    const last = items.at(-1) ?? {};
    return {
      items,
      nextCursor: encodeCursor({ at: String(start.gsi2sk), eventId: String(last.eventId ?? ''), attempt: String(last.attempt ?? '') }),
    };
  }

  async getHealth(tenantId: string, subscriptionId: string): Promise<EndpointHealth> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.endpointHealth(tenantId, subscriptionId), ConsistentRead: true }),
    );
    return Item ? ({ ...HEALTHY, ...strip(Item) } as EndpointHealth) : HEALTHY;
  }

  /**
   * A failed attempt: counts it, and opens the breaker when the threshold is reached (or, for a
   * probe, opens it again for twice as long). Returns the health after the change.
   */
  async recordFailure(tenantId: string, subscriptionId: string, now: Date, failure: { lastStatus?: number; lastError?: string; probe: boolean }, policy: DeliveryPolicy): Promise<EndpointHealth> {
    const Key = keys.endpointHealth(tenantId, subscriptionId);
    const at = now.toISOString();
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key,
        UpdateExpression:
          'SET consecutiveFailures = if_not_exists(consecutiveFailures, :zero) + :one, failingSince = if_not_exists(failingSince, :now), #state = if_not_exists(#state, :closed), openCount = if_not_exists(openCount, :zero), lastStatus = :status, lastError = :error',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': at, ':closed': 'closed', ':status': failure.lastStatus ?? null, ':error': failure.lastError ?? null },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const health = { ...HEALTHY, ...strip(Attributes!) } as EndpointHealth;
    const shouldOpen = failure.probe || (health.state === 'closed' && health.consecutiveFailures >= policy.breakerFailures);
    if (!shouldOpen) return health;
    const openUntil = new Date(now.getTime() + openPeriodSeconds(policy, health.openCount) * 1000).toISOString();
    try {
      const opened = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'SET #state = :open, openUntil = :until, openCount = openCount + :one REMOVE probeUntil, closedAt',
          // Only one worker opens it per period: the others see it open already.
          ConditionExpression: failure.probe ? '#state = :halfOpen' : '#state = :closed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':open': 'open', ':until': openUntil, ':one': 1, ...(failure.probe ? { ':halfOpen': 'halfOpen' } : { ':closed': 'closed' }) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ...HEALTHY, ...strip(opened.Attributes!) } as EndpointHealth;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return this.getHealth(tenantId, subscriptionId);
      throw error;
    }
  }

  /**
   * A delivered attempt. A probe's success closes the breaker and starts the drain ramp; any other
   * success clears the failure count, but only of a closed breaker (while it is open, only the
   * probe decides). Conditioned rather than skipped on a stale view: a success that lands right
   * after another worker's failure still counts.
   */
  async recordSuccess(tenantId: string, subscriptionId: string, now: Date, probe: boolean): Promise<void> {
    const Key = keys.endpointHealth(tenantId, subscriptionId);
    if (probe) {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'SET #state = :closed, consecutiveFailures = :zero, openCount = :zero, closedAt = :now REMOVE failingSince, openUntil, probeUntil, lastError',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':closed': 'closed', ':zero': 0, ':now': now.toISOString() },
        }),
      );
      return;
    }
    // A failed condition means there was no failure streak to clear (or the breaker is not closed).
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'SET consecutiveFailures = :zero REMOVE failingSince, lastError',
          ConditionExpression: '#state = :closed AND (consecutiveFailures > :zero OR attribute_exists(failingSince))',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':closed': 'closed', ':zero': 0 },
        }),
      ),
    );
  }

  /** An endpoint enabled again starts healthy: no failures counted, breaker closed. */
  async resetHealth(tenantId: string, subscriptionId: string): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.endpointHealth(tenantId, subscriptionId), kind: 'endpointHealth', ...HEALTHY } }));
  }

  /** Claims the probe of an open breaker whose period is over; false when another worker has it. */
  async claimProbe(tenantId: string, subscriptionId: string, now: Date, probeSeconds: number): Promise<boolean> {
    const at = now.toISOString();
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.endpointHealth(tenantId, subscriptionId),
          UpdateExpression: 'SET #state = :halfOpen, probeUntil = :until',
          ConditionExpression: '(#state = :open AND openUntil <= :now) OR (#state = :halfOpen AND probeUntil <= :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':halfOpen': 'halfOpen', ':open': 'open', ':now': at, ':until': new Date(now.getTime() + probeSeconds * 1000).toISOString() },
        }),
      ),
    );
  }

  /** A 429/503 with Retry-After: no attempts to the endpoint until then (the later pause wins). */
  async pauseUntil(tenantId: string, subscriptionId: string, until: Date): Promise<void> {
    const iso = until.toISOString();
    // A failed condition means a later pause is already set.
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.endpointHealth(tenantId, subscriptionId),
          UpdateExpression: 'SET pauseUntil = :until, #state = if_not_exists(#state, :closed), consecutiveFailures = if_not_exists(consecutiveFailures, :zero), openCount = if_not_exists(openCount, :zero)',
          ConditionExpression: 'attribute_not_exists(pauseUntil) OR pauseUntil < :until',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':until': iso, ':closed': 'closed', ':zero': 0 },
        }),
      ),
    );
  }

  /** One attempt under a rate cap: true if this second still has room (a counter per second, kept a minute). */
  async takeRateToken(tenantId: string, subscriptionId: string, now: Date, perSecond: number): Promise<boolean> {
    const second = Math.floor(now.getTime() / 1000);
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.rateWindow(tenantId, subscriptionId, second),
          UpdateExpression: 'SET expiresAt = :expires ADD taken :one',
          ConditionExpression: 'attribute_not_exists(taken) OR taken < :limit',
          ExpressionAttributeValues: { ':expires': second + 60, ':one': 1, ':limit': perSecond },
        }),
      ),
    );
  }

  /**
   * Disables an endpoint on the platform's own decision (410, failing too long) and emits
   * `endpoint.disabled` in the same transaction (only the worker that disables it emits). True
   * when the endpoint is disabled now; false when it is gone, or stayed enabled through every try
   * (concurrent updates of the endpoint kept winning): then the message is a plain failure.
   */
  async disable(subscription: WebhookSubscription, now: Date, detail: { reason: 'gone' | 'failing'; failingSince?: string; lastStatus?: number; lastError?: string }): Promise<boolean> {
    const { tenantId, subscriptionId } = subscription;
    let skip = 0;
    for (let tries = 0; tries < 5; tries++) {
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.subscription(tenantId, subscriptionId), ConsistentRead: true }));
      if (!Item) return false;
      if (Item.enabled === false) return true; // another worker (or a person) disabled it already
      const previous = (Item.eventSeq as number | undefined) ?? 0;
      // A concurrent full update may have put an older eventSeq back: skip seqs already taken.
      const seq = previous + 1 + skip;
      const at = now.toISOString();
      const event: LoyaltyEvent = {
        id: newId('evt', now.getTime()),
        version: 1,
        tenantId,
        endpointId: subscriptionId,
        seq,
        occurredAt: at,
        type: 'endpoint.disabled',
        data: {
          url: Item.url as string,
          reason: detail.reason,
          ...(detail.failingSince ? { failingSince: detail.failingSince } : {}),
          ...(detail.lastStatus !== undefined ? { lastStatus: detail.lastStatus } : {}),
          // The platform's own diagnostic text, not a caller's: made well-formed rather than refused.
          ...(detail.lastError ? { lastError: detail.lastError.toWellFormed() } : {}),
        },
      };
      assertWellFormedEvent(event);
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: keys.subscription(tenantId, subscriptionId),
                  UpdateExpression: 'SET enabled = :false, disabledReason = :reason, disabledAt = :at, updatedAt = :at, eventSeq = :seq',
                  ConditionExpression: 'enabled = :true AND (attribute_not_exists(eventSeq) OR eventSeq = :previous)',
                  ExpressionAttributeValues: { ':false': false, ':true': true, ':reason': detail.reason, ':at': at, ':seq': seq, ':previous': previous },
                },
              },
              { Put: { TableName: this.tableName, Item: outboxItem(keys.endpointEvent(tenantId, subscriptionId, seq), event), ConditionExpression: 'attribute_not_exists(pk)' } },
            ],
          }),
        );
        return true;
      } catch (error) {
        if ((error as Error).name !== 'TransactionCanceledException') throw error;
        const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
        if (reasons[1]?.Code === 'ConditionalCheckFailed') skip += 1;
      }
    }
    return false;
  }
}
