import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DynamoDeliveryLog } from '../../functions/adapters/dynamo-delivery-log';
import { DynamoDigestStore } from '../../functions/adapters/dynamo-digest-store';
import { DynamoEndpointHealth } from '../../functions/adapters/dynamo-endpoint-health';
import { DynamoSubscriptionStore } from '../../functions/adapters/dynamo-subscription-store';
import { loyaltyEvent, pointsEarnedEvent } from '../../functions/domain/events';
import { keys } from '../../functions/domain/keys';
import { deliveryMessage } from '../../functions/domain/webhooks/message';
import { newId } from '../../functions/shared/ids';
import { TTL_ATTRIBUTE, ttlAfterDays } from '../../functions/shared/item-ttl';
import { useLocalTable } from '../support/local-table';
import { testSealer, testSubscription } from '../support/webhook-fixtures';

/**
 * The webhook stores' cancelled transactions on DynamoDB Local: what each store does when
 * another writer got there first (a closed digest window, a newer round, a taken event seq).
 */
const local = useLocalTable();

const NOW = new Date('2026-11-21T10:00:00.000Z');

/** A points.earned event of a fresh member of the tenant. */
function earned(tenantId: string) {
  return pointsEarnedEvent.parse({
    id: newId('evt', NOW.getTime()),
    version: 1,
    tenantId,
    memberId: newId('mem'),
    seq: 1,
    occurredAt: NOW.toISOString(),
    type: 'points.earned',
    data: {
      entryId: newId('ent'),
      amountPoints: 10,
      reason: 'stay',
      source: 'pms',
      transactionId: newId('txn'),
      expiresAt: null,
      pending: false,
      balance: { availablePoints: 10, pendingPoints: 0, lifetimePoints: 10, tier: 'base' },
    },
  });
}

/** A client that runs `before` once, just ahead of the first transaction it is asked to send. */
function racedBefore(documents: DynamoDBDocumentClient, before: () => Promise<unknown>): DynamoDBDocumentClient {
  let raced = false;
  const send = async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
    if (command instanceof TransactWriteCommand && !raced) {
      raced = true;
      await before();
    }
    return documents.send(command);
  };
  return { send } as unknown as DynamoDBDocumentClient;
}

describe('digest windows', () => {
  it('puts an event that finds its window closed into the next window', async () => {
    // Prepare
    const digests = new DynamoDigestStore(local.documents, local.tableName, 30);
    const tenantId = newId('ten');
    const subscriptionId = newId('sub');
    const first = earned(tenantId);
    const late = earned(tenantId);
    const opened = await digests.add(tenantId, subscriptionId, first, 60, NOW);
    await digests.close(tenantId, subscriptionId, opened.digest);

    // Act
    const next = await digests.add(tenantId, subscriptionId, late, 60, NOW);

    // Assess
    expect(next).toEqual({
      digest: { windowStart: opened.digest.windowStart + 60, part: 0, intervalSeconds: 60 },
      queue: true,
    });
    expect(await digests.close(tenantId, subscriptionId, next.digest)).toEqual([late]);
  });
});

describe('delivery log rounds', () => {
  it('does not dead-letter a copy of an older round: the message is stale and no dead letter is written', async () => {
    // Prepare
    const log = new DynamoDeliveryLog(local.documents, local.tableName, 30);
    const tenantId = newId('ten');
    const subscriptionId = newId('sub');
    const message = deliveryMessage.parse({ tenantId, subscriptionId, event: earned(tenantId), round: 0 });
    const eventId = 'event' in message ? message.event.id : '';
    expect(await log.markDead(message, NOW, 'attempts_exhausted')).toBe('recorded');
    await log.startRound(tenantId, subscriptionId, eventId, NOW);

    // Act
    const outcome = await log.markDead(message, NOW, 'endpoint_disabled');

    // Assess
    expect(outcome).toBe('stale');
    expect(await log.getMessage(tenantId, subscriptionId, eventId)).toMatchObject({ round: 1, status: 'pending' });
    expect((await log.listDeadLetters(tenantId, subscriptionId, { limit: 10 })).items).toEqual([]);
  });

  it('starts the round after the one a concurrent replay started when both read the same round', async () => {
    // Prepare
    const log = new DynamoDeliveryLog(local.documents, local.tableName, 30);
    const tenantId = newId('ten');
    const subscriptionId = newId('sub');
    const message = deliveryMessage.parse({ tenantId, subscriptionId, event: earned(tenantId), round: 0 });
    const eventId = 'event' in message ? message.event.id : '';
    await log.markDead(message, NOW, 'attempts_exhausted');
    const raced = new DynamoDeliveryLog(
      racedBefore(local.documents, () => log.startRound(tenantId, subscriptionId, eventId, NOW)),
      local.tableName,
      30,
    );

    // Act
    const started = await raced.startRound(tenantId, subscriptionId, eventId, NOW);

    // Assess
    expect(started).toMatchObject({ tenantId, subscriptionId, round: 2 });
    expect(await log.getMessage(tenantId, subscriptionId, eventId)).toMatchObject({ round: 2, status: 'pending' });
    expect((await log.listDeadLetters(tenantId, subscriptionId, { limit: 10 })).items).toEqual([]);
  });
});

describe('delivery log listings', () => {
  /** An endpoint's log of `count` messages, one attempt each (every third failing), a second apart. */
  async function loggedEndpoint(count: number) {
    const log = new DynamoDeliveryLog(local.documents, local.tableName, 30);
    const tenantId = newId('ten');
    const subscriptionId = newId('sub');
    const at = (i: number) => new Date(NOW.getTime() + i * 1000).toISOString();
    const eventIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const event = { ...earned(tenantId), occurredAt: at(i) };
      eventIds.push(event.id);
      const failing = i % 3 === 0;
      await log.recordAttempt({
        message: deliveryMessage.parse({ tenantId, subscriptionId, event, round: 0 }),
        attempt: { at: at(i + 1), ok: !failing, durationMs: 3, status: failing ? 500 : 204 },
        attemptNumber: 1,
        roundAttempts: 1,
        outcome: failing ? 'failing' : 'delivered',
        ...(failing ? { nextAttemptAt: at(i + 6) } : {}),
      });
    }
    return { log, tenantId, subscriptionId, eventIds };
  }

  /** Every page of a listing, one after the other. */
  async function allPages<T>(list: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>) {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(cursor);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  it("lists an endpoint's messages and attempts across its shards in order, page by page", async () => {
    // Prepare: the first message logged in the partition used before sharding
    const { log, tenantId, subscriptionId, eventIds } = await loggedEndpoint(40);
    const [first] = eventIds as [string];
    for (const [key, legacy] of [
      [keys.delivery(tenantId, subscriptionId, first), keys.endpointMessages(tenantId, subscriptionId)],
      [keys.deliveryAttempt(tenantId, subscriptionId, first, 1), keys.endpointAttempts(tenantId, subscriptionId)],
    ] as const)
      await local.documents.send(
        new UpdateCommand({
          TableName: local.tableName,
          Key: key,
          UpdateExpression: 'SET gsi2pk = :legacy',
          ExpressionAttributeValues: { ':legacy': legacy },
        }),
      );

    // Act
    const newestFirst = await allPages((cursor) =>
      log.listMessages(tenantId, subscriptionId, { order: 'desc', limit: 7, ...(cursor ? { cursor } : {}) }),
    );
    const oldestFirst = await allPages((cursor) =>
      log.listMessages(tenantId, subscriptionId, { order: 'asc', limit: 9, ...(cursor ? { cursor } : {}) }),
    );
    const failing = await allPages((cursor) =>
      log.listMessages(tenantId, subscriptionId, {
        order: 'asc',
        status: 'failing',
        limit: 4,
        ...(cursor ? { cursor } : {}),
      }),
    );
    const attempts = await allPages((cursor) =>
      log.listAttempts(tenantId, subscriptionId, { limit: 6, ...(cursor ? { cursor } : {}) }),
    );

    // Assess
    expect(newestFirst.map((message) => message.eventId)).toEqual([...eventIds].reverse());
    expect(oldestFirst.map((message) => message.eventId)).toEqual(eventIds);
    expect(failing.map((message) => message.eventId)).toEqual(eventIds.filter((_, i) => i % 3 === 0));
    expect(attempts.map((attempt) => attempt.eventId)).toEqual([...eventIds].reverse());
    const last = eventIds.at(-1) ?? '';
    const { Item } = await local.documents.send(
      new GetCommand({ TableName: local.tableName, Key: keys.delivery(tenantId, subscriptionId, last) }),
    );
    expect(Item?.gsi2pk).toBe(keys.endpointMessages(tenantId, subscriptionId, keys.deliveryLogShard(last)));
    // The item leaves out what its key and event give back; the log's readers see it all the same.
    for (const repeated of ['tenantId', 'subscriptionId', 'eventId', 'eventType', 'occurredAt'])
      expect(Item).not.toHaveProperty(repeated);
    expect(await log.getMessage(tenantId, subscriptionId, last)).toMatchObject({
      tenantId,
      subscriptionId,
      eventId: last,
      eventType: 'points.earned',
      occurredAt: newestFirst[0]?.occurredAt,
      status: 'failing',
    });
    expect(newestFirst[0]).toMatchObject({ tenantId, subscriptionId, eventId: last, eventType: 'points.earned' });
    expect(new Set(eventIds.map((eventId) => keys.deliveryLogShard(eventId))).size).toBeGreaterThan(10);
  });

  it('lists a time range, and ends with no cursor when the range is read', async () => {
    // Prepare
    const { log, tenantId, subscriptionId, eventIds } = await loggedEndpoint(12);
    const at = (i: number) => new Date(NOW.getTime() + i * 1000).toISOString();

    // Act
    const page = await log.listMessages(tenantId, subscriptionId, { order: 'desc', from: at(3), to: at(7), limit: 10 });

    // Assess
    expect(page.items.map((message) => message.eventId)).toEqual(eventIds.slice(3, 8).reverse());
    expect(page.nextCursor).toBeUndefined();
  });
});

describe('endpoint health on a success', () => {
  it("writes nothing for a healthy endpoint's success, and clears a failure streak", async () => {
    // Prepare: a client that counts the writes it sends
    const writes: string[] = [];
    const counting = {
      send: (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
        if (!(command instanceof GetCommand)) writes.push(command.constructor.name);
        return local.documents.send(command);
      },
    } as unknown as DynamoDBDocumentClient;
    const health = new DynamoEndpointHealth(counting, local.tableName);
    const tenantId = newId('ten');
    const subscriptionId = newId('sub');
    await health.resetHealth(tenantId, subscriptionId);
    writes.length = 0;

    // Act
    await health.recordSuccess(tenantId, subscriptionId, NOW, false);
    const whileHealthy = [...writes];
    await health.countFailure(tenantId, subscriptionId, NOW, { lastStatus: 500 });
    await health.recordSuccess(tenantId, subscriptionId, NOW, false);

    // Assess
    expect(whileHealthy).toEqual([]);
    expect(writes).toEqual(['UpdateCommand', 'UpdateCommand']);
    const after = await health.getHealth(tenantId, subscriptionId);
    expect(after).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(after.failingSince).toBeUndefined();
  });
});

describe('disabling an endpoint', () => {
  it('emits endpoint.disabled at the next free seq when an older eventSeq was written back', async () => {
    // Prepare
    const subscriptions = new DynamoSubscriptionStore(local.documents, local.tableName, testSealer());
    const health = new DynamoEndpointHealth(local.documents, local.tableName);
    const tenantId = newId('ten');
    const subscriptionId = newId('sub');
    const subscription = testSubscription({ tenantId, subscriptionId, createdAt: NOW.toISOString(), eventSeq: 1 });
    await subscriptions.put(subscription);
    // Seq 2 is taken: a full update of the endpoint put its older eventSeq back after it was emitted.
    await local.documents.send(
      new PutCommand({
        TableName: local.tableName,
        Item: { ...keys.endpointEvent(tenantId, subscriptionId, 2), kind: 'event', seq: 2 },
      }),
    );

    // Act
    const disabled = await health.disable(subscription, NOW, { reason: 'gone', lastStatus: 410 });

    // Assess
    expect(disabled).toBe(true);
    expect(await subscriptions.get(tenantId, subscriptionId)).toMatchObject({ enabled: false, eventSeq: 3 });
    const { Item } = await local.documents.send(
      new GetCommand({
        TableName: local.tableName,
        Key: keys.endpointEvent(tenantId, subscriptionId, 3),
        ConsistentRead: true,
      }),
    );
    expect(loyaltyEvent.parse(Item)).toMatchObject({ type: 'endpoint.disabled', seq: 3, endpointId: subscriptionId });
  });
});

describe('item expiry', () => {
  it('writes every webhook item with the table TTL in epoch seconds, and the API view leaves it out', async () => {
    // Prepare
    const log = new DynamoDeliveryLog(local.documents, local.tableName, 30);
    const digests = new DynamoDigestStore(local.documents, local.tableName, 30);
    const health = new DynamoEndpointHealth(local.documents, local.tableName);
    const tenantId = newId('ten');
    const subscriptionId = newId('sub');
    const message = deliveryMessage.parse({ tenantId, subscriptionId, event: earned(tenantId), round: 0 });
    const eventId = 'event' in message ? message.event.id : '';
    const retained = ttlAfterDays(NOW, 30);
    const ttlOf = async (pk: string) =>
      (await local.documents.send(new QueryCommand({ TableName: local.tableName, ...keyIs(pk) }))).Items?.map(
        (item) => item[TTL_ATTRIBUTE] as unknown,
      );

    // Act
    await log.markDead(message, NOW, 'attempts_exhausted');
    const { digest } = await digests.add(tenantId, subscriptionId, earned(tenantId), 60, NOW);
    await health.takeRateToken(tenantId, subscriptionId, NOW, 5);

    // Assess
    expect(await ttlOf(keys.delivery(tenantId, subscriptionId, eventId).pk)).toEqual([retained]);
    expect(await ttlOf(keys.deadLetters(tenantId, subscriptionId))).toEqual([retained]);
    expect(await ttlOf(keys.digestWindowPk(tenantId, subscriptionId, digest.windowStart, 0))).toEqual([
      retained,
      retained,
    ]);
    expect(await ttlOf(keys.rateWindow(tenantId, subscriptionId, NOW.getTime() / 1000).pk)).toEqual([
      NOW.getTime() / 1000 + 60,
    ]);
    expect(await log.getMessage(tenantId, subscriptionId, eventId)).not.toHaveProperty(TTL_ATTRIBUTE);
  });
});

/** A query for every item of one partition. */
const keyIs = (pk: string) => ({
  KeyConditionExpression: 'pk = :pk',
  ExpressionAttributeValues: { ':pk': pk },
  ConsistentRead: true,
});
