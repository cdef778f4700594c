import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { outboxItem } from '../domain/outbox';
import type { WebhookSubscription } from '../domain/ports';
import { HEALTHY, successWrites, type EndpointHealth } from '../domain/webhooks/breaker';
import { endpointDisabledEvent } from '../domain/webhooks/disabling';
import { endpointDisabledNotice } from '../domain/webhooks/notices';
import type { DisableDetail, EndpointHealthStore } from '../domain/webhooks/ports';
import { transactWrite } from './cancelled-transaction';
import { applied } from './conditional-write';
import { stripLogItem as strip } from './dynamo-delivery-log';
import { required } from '../shared/required';
import { TTL_NAMES } from '../shared/item-ttl';

/**
 * Endpoint health in the ledger table, one item per endpoint shared by every worker: the
 * breaker's state, the failure streak, a Retry-After pause, and a counter per second for rate
 * caps. Each write is conditioned so concurrent workers agree; what to write is decided by the
 * delivery service from `breaker.ts`.
 */
export class DynamoEndpointHealth implements EndpointHealthStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getHealth(tenantId: string, subscriptionId: string): Promise<EndpointHealth> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.endpointHealth(tenantId, subscriptionId),
        ConsistentRead: true,
      }),
    );
    return Item ? { ...HEALTHY, ...(strip(Item) as Partial<EndpointHealth>) } : HEALTHY;
  }

  /** A failed attempt: counts it and keeps its status and error. Returns the health after the change. */
  async countFailure(
    tenantId: string,
    subscriptionId: string,
    now: Date,
    failure: { lastStatus?: number; lastError?: string },
  ): Promise<EndpointHealth> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.endpointHealth(tenantId, subscriptionId),
        UpdateExpression:
          'SET consecutiveFailures = if_not_exists(consecutiveFailures, :zero) + :one, ' +
          'failingSince = if_not_exists(failingSince, :now), #state = if_not_exists(#state, :closed), ' +
          'openCount = if_not_exists(openCount, :zero), lastStatus = :status, lastError = :error',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':one': 1,
          ':now': now.toISOString(),
          ':closed': 'closed',
          ':status': failure.lastStatus ?? null,
          ':error': failure.lastError ?? null,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { ...HEALTHY, ...(strip(required(Attributes, 'the updated health')) as Partial<EndpointHealth>) };
  }

  /** Opens the breaker until `until` if it is still in state `from` (one worker opens it per period). */
  async openBreaker(
    tenantId: string,
    subscriptionId: string,
    change: { from: 'closed' | 'halfOpen'; until: Date },
  ): Promise<EndpointHealth | null> {
    try {
      const opened = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.endpointHealth(tenantId, subscriptionId),
          UpdateExpression:
            'SET #state = :open, openUntil = :until, openCount = openCount + :one REMOVE probeUntil, closedAt',
          ConditionExpression: '#state = :from',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':open': 'open',
            ':until': change.until.toISOString(),
            ':one': 1,
            ':from': change.from,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ...HEALTHY, ...(strip(required(opened.Attributes, 'the opened health')) as Partial<EndpointHealth>) };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return null;
      throw error;
    }
  }

  /**
   * A delivered attempt. A probe's success closes the breaker and starts the drain ramp; any other
   * success clears the failure count, but only of a closed breaker (while it is open, only the
   * probe decides). Judged on the health read after the attempt (a consistent read, a fifth of a
   * write's price), never on the view the delivery gated on: a success that lands right after
   * another worker's failure still counts. While the endpoint is healthy nothing is written (a
   * conditional write whose condition fails is billed as a write); a failure counted between the
   * read and now came after this success, and stays counted.
   */
  async recordSuccess(tenantId: string, subscriptionId: string, now: Date, probe: boolean): Promise<void> {
    const Key = keys.endpointHealth(tenantId, subscriptionId);
    if (probe) {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression:
            'SET #state = :closed, consecutiveFailures = :zero, openCount = :zero, closedAt = :now ' +
            'REMOVE failingSince, openUntil, probeUntil, lastError',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':closed': 'closed', ':zero': 0, ':now': now.toISOString() },
        }),
      );
      return;
    }
    if (!successWrites(await this.getHealth(tenantId, subscriptionId), { probe })) return;
    // A failed condition means the streak was cleared meanwhile (or the breaker opened).
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
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.endpointHealth(tenantId, subscriptionId), kind: 'endpointHealth', ...HEALTHY },
      }),
    );
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
          ExpressionAttributeValues: {
            ':halfOpen': 'halfOpen',
            ':open': 'open',
            ':now': at,
            ':until': new Date(now.getTime() + probeSeconds * 1000).toISOString(),
          },
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
          UpdateExpression:
            'SET pauseUntil = :until, #state = if_not_exists(#state, :closed), ' +
            'consecutiveFailures = if_not_exists(consecutiveFailures, :zero), ' +
            'openCount = if_not_exists(openCount, :zero)',
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
          UpdateExpression: 'SET #ttl = :expires ADD taken :one',
          ConditionExpression: 'attribute_not_exists(taken) OR taken < :limit',
          ExpressionAttributeNames: TTL_NAMES,
          ExpressionAttributeValues: { ':expires': second + 60, ':one': 1, ':limit': perSecond },
        }),
      ),
    );
  }

  /** Counts one more dead letter of the endpoint (a redrive takes it off again); returns the count. */
  async countDeadLetter(tenantId: string, subscriptionId: string): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.endpointHealth(tenantId, subscriptionId),
        UpdateExpression:
          'SET #state = if_not_exists(#state, :closed), ' +
          'consecutiveFailures = if_not_exists(consecutiveFailures, :zero), ' +
          'openCount = if_not_exists(openCount, :zero) ADD deadLetters :one',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':closed': 'closed', ':zero': 0, ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.deadLetters ?? 0);
  }

  /**
   * Disables an endpoint on the platform's own decision (410, failing too long) and emits
   * `endpoint.disabled` and `webhook.endpoint.disabled` in the same transaction (only the worker that disables it
   * emits). True
   * when the endpoint is disabled now; false when it is gone, or stayed enabled through every try
   * (concurrent updates of the endpoint kept winning): then the message is a plain failure.
   */
  async disable(subscription: WebhookSubscription, now: Date, detail: DisableDetail): Promise<boolean> {
    const { tenantId, subscriptionId } = subscription;
    const traced = detail.correlationId !== undefined ? { correlationId: detail.correlationId } : {};
    let skip = 0;
    for (let tries = 0; tries < 5; tries++) {
      const { Item } = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.subscription(tenantId, subscriptionId),
          ConsistentRead: true,
        }),
      );
      if (!Item) return false;
      if (Item.enabled === false) return true; // another worker (or a person) disabled it already
      const previous = (Item.eventSeq as number | undefined) ?? 0;
      // A concurrent full update may have put an older eventSeq back: skip seqs already taken.
      const seq = previous + 1 + skip;
      const at = now.toISOString();
      const event = endpointDisabledEvent({ tenantId, subscriptionId, url: Item.url as string, seq, now, detail });
      const notice = endpointDisabledNotice({
        tenantId,
        subscriptionId,
        reason: detail.reason,
        at: now,
        seq,
        ...traced,
      });
      const cancelled = await transactWrite(this.client, [
        {
          Update: {
            TableName: this.tableName,
            Key: keys.subscription(tenantId, subscriptionId),
            UpdateExpression:
              'SET enabled = :false, disabledReason = :reason, disabledAt = :at, updatedAt = :at, eventSeq = :seq',
            ConditionExpression: 'enabled = :true AND (attribute_not_exists(eventSeq) OR eventSeq = :previous)',
            ExpressionAttributeValues: {
              ':false': false,
              ':true': true,
              ':reason': detail.reason,
              ':at': at,
              ':seq': seq,
              ':previous': previous,
            },
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: outboxItem(keys.endpointEvent(tenantId, subscriptionId, seq), event),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        // The tenant's other endpoints (a chat channel) hear of it: written with the disabling, once.
        { Put: { TableName: this.tableName, Item: outboxItem(keys.webhookNotice(tenantId, at, notice.id), notice) } },
      ]);
      if (!cancelled) return true;
      // Another event holds that seq: take the next one (any cancellation reads the endpoint again).
      if (cancelled.conditionFailedAt(1)) skip += 1;
    }
    return false;
  }
}
