import { jest } from '@jest/globals';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDeliveryLog } from '../../functions/adapters/dynamo-delivery-log';
import { DynamoEndpointHealth } from '../../functions/adapters/dynamo-endpoint-health';
import { DynamoSubscriptionStore } from '../../functions/adapters/dynamo-subscription-store';
import type { DeliveryPolicy } from '../../functions/domain/webhooks/delivery-policy';
import { DeliveryService, type DeliveryServiceDeps } from '../../functions/domain/webhooks/delivery-service';
import type { AttemptResult } from '../../functions/domain/webhooks/ports';
import { loyaltyEvent, pointsEarnedEvent, type EventOf } from '../../functions/domain/events';
import { keys } from '../../functions/domain/keys';
import { deliveryMessage, webhookBody, type DeliveryMessage } from '../../functions/domain/webhooks/message';
import { newId } from '../../functions/shared/ids';
import { logger } from '../../functions/shared/logger';
import { useLocalTable } from '../support/local-table';
import { testSealer, testSubscription } from '../support/webhook-fixtures';

/**
 * The delivery worker against the real table on DynamoDB Local: the message log, the attempt log,
 * dead letters, endpoint health (breaker, pause, drain ramp) and disabling, through the real
 * delivery and subscription stores. Only the HTTP send, the DLQ and the clock are scripted.
 */
let store: DynamoDeliveryLog;
let endpointHealth: DynamoEndpointHealth;
let subscriptions: DynamoSubscriptionStore;

const local = useLocalTable(({ documents, tableName }) => {
  store = new DynamoDeliveryLog(documents, tableName, 30);
  endpointHealth = new DynamoEndpointHealth(documents, tableName);
  subscriptions = new DynamoSubscriptionStore(documents, tableName, testSealer());
  // One JSON line per attempt would bury the test report; the log is not what is under test.
  logger.setLogLevel('SILENT');
});

const T0 = new Date('2026-11-21T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const POLICY: DeliveryPolicy = {
  retrySchedule: [5, 300, 1800],
  jitter: 0.2,
  breakerFailures: 3,
  breakerOpenSeconds: 30,
  breakerMaxOpenSeconds: 120,
  disableAfterSeconds: 3600,
  drainRampSeconds: 60,
  drainMaxPerSecond: 10,
};

/** What the scripted endpoint answers. */
const OK: AttemptResult = { ok: true, status: 204, durationMs: 3 };
const BOOM: AttemptResult = { ok: false, status: 500, durationMs: 3, responseBody: 'boom' };
const SLOW_DOWN: AttemptResult = {
  ok: false,
  status: 429,
  durationMs: 3,
  retryAfterSeconds: 120,
  responseBody: 'slow down',
};
const GONE: AttemptResult = { ok: false, status: 410, durationMs: 3, responseBody: 'gone' };

/**
 * A message that must wait is looked at again after the gate's wait plus a spread of
 * floor(random × 3) s; with random 0.5 (and few receives) that is the gate's wait + 1 s.
 */
const SPREAD = 1;

/** A queued delivery of one event (not a digest). */
type EventMessage = Extract<DeliveryMessage, { event: unknown }>;
type Send = DeliveryServiceDeps['send'];
type DeadLetterSink = DeliveryServiceDeps['deadLetter'];

/** One endpoint of a fresh tenant, a worker on it, a scripted send, a recording DLQ and a clock. */
async function setUp(policy: Partial<DeliveryPolicy> = {}) {
  const tenantId = newId('ten');
  const subscriptionId = newId('sub');
  const subscription = testSubscription({ tenantId, subscriptionId, createdAt: T0.toISOString() });
  await subscriptions.put(subscription);

  let nowMs = T0.getTime();
  const clock = {
    ms: () => nowMs,
    iso: () => iso(nowMs),
    advance: (seconds: number) => {
      nowMs += seconds * 1000;
    },
    set: (ms: number) => {
      nowMs = ms;
    },
  };
  // Unscripted sends fail the test loudly instead of answering undefined.
  const send = jest.fn<Send>(() => Promise.reject(new Error('send called without a scripted answer')));
  const deadLetter = jest.fn<DeadLetterSink>(() => Promise.resolve());
  const requeue = jest.fn<(message: DeliveryMessage) => Promise<void>>(() => Promise.resolve());
  /** A worker (a container) on this endpoint; several share the table, the send and the clock. */
  const makeWorker = (healthStore: DynamoEndpointHealth = endpointHealth) =>
    new DeliveryService({
      log: store,
      health: healthStore,
      endpoint: (t, s) => subscriptions.get(t, s),
      send,
      deadLetter,
      requeue,
      policy: { ...POLICY, ...policy },
      attemptTimeoutSeconds: 15,
      clock: { now: () => new Date(nowMs) },
      random: () => 0.5,
      healthCacheMs: 0,
    });
  const worker = makeWorker();

  let seq = 0;
  /** A member's next points.earned event, as the ledger writes it, queued for this endpoint (round 0). */
  const message = (memberId: string): EventMessage => {
    seq += 1;
    const event: EventOf<'points.earned'> = pointsEarnedEvent.parse({
      id: newId('evt', nowMs),
      version: 1,
      tenantId,
      memberId,
      seq,
      occurredAt: iso(nowMs),
      type: 'points.earned',
      data: {
        entryId: newId('ent', nowMs),
        amountPoints: 120,
        reason: 'purchase',
        source: 'pos',
        transactionId: `txn-${memberId}-${seq}`,
        expiresAt: '2027-11-21T10:00:00.000Z',
        pending: false,
        balance: { availablePoints: 120 * seq, pendingPoints: 0, lifetimePoints: 120 * seq, tier: 'silver' },
      },
    });
    const queued = deliveryMessage.parse({ tenantId, subscriptionId, event, round: 0 });
    if (!('event' in queued)) throw new Error('an event message must parse as one');
    return queued;
  };

  const log = (m: EventMessage) => store.getMessage(tenantId, subscriptionId, m.event.id);
  const attempts = (m: EventMessage) => store.messageAttempts(tenantId, subscriptionId, m.event.id);
  const health = () => endpointHealth.getHealth(tenantId, subscriptionId);
  const deadLetters = async () => (await store.listDeadLetters(tenantId, subscriptionId, { limit: 50 })).items;

  return {
    tenantId,
    subscriptionId,
    subscription,
    clock,
    send,
    deadLetter,
    requeue,
    worker,
    makeWorker,
    message,
    log,
    attempts,
    health,
    deadLetters,
  };
}

type Harness = Awaited<ReturnType<typeof setUp>>;

/** The endpoint's outbox event `seq` as stored (undefined when there is none). */
async function endpointEvent(h: Harness, seq: number) {
  const key = keys.endpointEvent(h.tenantId, h.subscriptionId, seq);
  const { Item } = await local.documents.send(
    new GetCommand({ TableName: local.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

/**
 * Holds the harness's next send open until the test answers it: `started` resolves once the
 * worker has sent, `answer` settles the send with the endpoint's result.
 */
function holdNextSend(h: Harness) {
  let answer!: (result: AttemptResult) => void;
  let sent!: () => void;
  const started = new Promise<void>((resolve) => {
    sent = resolve;
  });
  h.send.mockImplementationOnce(() => {
    sent();
    return new Promise<AttemptResult>((resolve) => {
      answer = resolve;
    });
  });
  return {
    started,
    answer: (result: AttemptResult) => {
      answer(result);
    },
  };
}

/** Fails `count` messages of different members once each (the breaker's threshold with the default policy). */
async function failDistinctMembers(h: Harness, count: number): Promise<EventMessage[]> {
  const messages: EventMessage[] = [];
  for (let i = 0; i < count; i++) {
    const m = h.message(`mem_failing${i}`);
    h.send.mockResolvedValueOnce(BOOM);
    expect(await h.worker.handle(m, 1)).toEqual({ waitSeconds: 5 });
    messages.push(m);
  }
  return messages;
}

describe('delivery worker on DynamoDB Local', () => {
  it('delivers once: logs the message delivered with one ok attempt, and skips a duplicate copy', async () => {
    // Prepare
    const h = await setUp();
    const m = h.message('mem_alice');
    h.send.mockResolvedValueOnce(OK);

    // Act
    const outcome = await h.worker.handle(m, 1);
    const duplicate = await h.worker.handle({ ...m }, 2);

    // Assess
    expect(outcome).toBeUndefined();
    expect(duplicate).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(1);
    expect(h.send).toHaveBeenCalledWith(
      expect.objectContaining({ subscriptionId: h.subscriptionId, url: h.subscription.url }),
      {
        id: m.event.id,
        body: webhookBody(m.event, h.subscription),
      },
    );
    expect(await h.log(m)).toMatchObject({
      tenantId: h.tenantId,
      subscriptionId: h.subscriptionId,
      eventId: m.event.id,
      eventType: 'points.earned',
      occurredAt: m.event.occurredAt,
      event: m.event,
      status: 'delivered',
      round: 0,
      roundAttempts: 1,
      attempts: 1,
      lastStatus: 204,
      lastAttemptAt: T0.toISOString(),
      deliveredAt: T0.toISOString(),
    });
    const attempt = {
      eventId: m.event.id,
      attempt: 1,
      round: 0,
      at: T0.toISOString(),
      ok: true,
      status: 204,
      durationMs: 3,
    };
    expect(await h.attempts(m)).toEqual([attempt]);
    expect((await store.listAttempts(h.tenantId, h.subscriptionId, { limit: 10 })).items).toEqual([attempt]);
    expect(await h.deadLetters()).toEqual([]);
    expect(h.deadLetter).not.toHaveBeenCalled();
  });

  it('retries on the schedule (5 s, 300 s, 1800 s) and dead-letters the message after the fourth failure', async () => {
    // Prepare: a breaker threshold out of reach, so only the schedule decides.
    const h = await setUp({ breakerFailures: 100 });
    const m = h.message('mem_bob');
    const schedule = [5, 300, 1800];

    // Act + Assess: three failures, each waiting the schedule's next step
    for (const [index, step] of schedule.entries()) {
      const attemptNumber = index + 1;
      const attemptedAt = h.clock.iso();
      h.send.mockResolvedValueOnce(BOOM);

      const outcome = await h.worker.handle(m, attemptNumber);

      expect(outcome).toEqual({ waitSeconds: step });
      const logged = await h.log(m);
      expect(logged).toMatchObject({
        status: 'failing',
        round: 0,
        attempts: attemptNumber,
        roundAttempts: attemptNumber,
        lastStatus: 500,
        lastAttemptAt: attemptedAt,
      });
      expect(logged!.nextAttemptAt).toBe(iso(h.clock.ms() + step * 1000));
      expect(logged!.deadReason).toBeUndefined();
      const logAttempts = await h.attempts(m);
      expect(logAttempts).toHaveLength(attemptNumber);
      expect(logAttempts.at(-1)).toEqual({
        eventId: m.event.id,
        attempt: attemptNumber,
        round: 0,
        at: attemptedAt,
        ok: false,
        status: 500,
        durationMs: 3,
        responseBody: 'boom',
      });
      h.clock.advance(step);
    }
    expect(h.deadLetter).not.toHaveBeenCalled();

    // Act: the fourth attempt, the last one
    const deadAt = h.clock.iso();
    h.send.mockResolvedValueOnce(BOOM);
    const last = await h.worker.handle(m, 4);

    // Assess
    expect(last).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(4);
    expect(h.deadLetter).toHaveBeenCalledTimes(1);
    expect(h.deadLetter).toHaveBeenCalledWith(m, { reason: 'attempts_exhausted', attempts: 4, lastStatus: 500 });
    const logged = await h.log(m);
    expect(logged).toMatchObject({
      status: 'dead',
      deadReason: 'attempts_exhausted',
      deadAt,
      attempts: 4,
      roundAttempts: 4,
      round: 0,
      event: m.event,
    });
    expect(logged!.nextAttemptAt).toBeUndefined();
    expect((await h.attempts(m)).map((a) => [a.attempt, a.ok, a.responseBody])).toEqual([
      [1, false, 'boom'],
      [2, false, 'boom'],
      [3, false, 'boom'],
      [4, false, 'boom'],
    ]);
    expect(await h.deadLetters()).toEqual([
      {
        eventId: m.event.id,
        eventType: 'points.earned',
        occurredAt: m.event.occurredAt,
        deadAt,
        reason: 'attempts_exhausted',
      },
    ]);
    const dead = await store.listMessages(h.tenantId, h.subscriptionId, { status: 'dead', order: 'asc', limit: 10 });
    expect(dead.items.map((item) => item.eventId)).toEqual([m.event.id]);
  });

  it("honours Retry-After: waits 120 s, not 5 s; the endpoint's other messages pause without an attempt", async () => {
    // Prepare
    const h = await setUp();
    const first = h.message('mem_carol');
    const other = h.message('mem_dave');
    h.send.mockResolvedValueOnce(SLOW_DOWN);

    // Act
    const throttled = await h.worker.handle(first, 1);
    const paused = await h.worker.handle(other, 1);

    // Assess
    expect(throttled).toEqual({ waitSeconds: 120 });
    expect((await h.health()).pauseUntil).toBe(iso(T0.getTime() + 120_000));
    expect(await h.log(first)).toMatchObject({
      status: 'failing',
      attempts: 1,
      lastStatus: 429,
      nextAttemptAt: iso(T0.getTime() + 120_000),
    });
    expect(paused).toEqual({ waitSeconds: 120 + SPREAD });
    expect(h.send).toHaveBeenCalledTimes(1);
    expect(await h.log(other)).toBeNull();
    expect(await h.attempts(other)).toEqual([]);

    // Act: the pause is over
    h.clock.advance(120);
    h.send.mockResolvedValueOnce(OK).mockResolvedValueOnce(OK);
    const retried = await h.worker.handle(first, 2);
    const resumed = await h.worker.handle(other, 2);

    // Assess
    expect(retried).toBeUndefined();
    expect(resumed).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(3);
    expect(await h.log(first)).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(await h.log(other)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('opens the breaker after 3 failures, lets a probe through, closes on success, drains from 1/s up', async () => {
    // Prepare: three members fail once each
    const h = await setUp();
    const [failed1, failed2] = await failDistinctMembers(h, 3);

    // Assess: open for 30 s
    expect(await h.health()).toMatchObject({
      state: 'open',
      consecutiveFailures: 3,
      openCount: 1,
      openUntil: iso(T0.getTime() + 30_000),
      failingSince: T0.toISOString(),
    });

    // Act: a fourth member's message while open
    const waiting = h.message('mem_erin');
    const whileOpen = await h.worker.handle(waiting, 1);

    // Assess: waits out the open period, no attempt
    expect(whileOpen).toEqual({ waitSeconds: 30 + SPREAD });
    expect(h.send).toHaveBeenCalledTimes(3);
    expect(await h.log(waiting)).toBeNull();

    // Act: past openUntil, one message probes while another arrives during the probe
    h.clock.advance(31);
    const probe = holdNextSend(h);
    const probing = h.worker.handle(waiting, 2);
    await probe.started;
    const duringProbe = h.message('mem_frank');
    const concurrent = await h.worker.handle(duringProbe, 1);

    // Assess: the second waits for the probe (held for attemptTimeoutSeconds + 5 = 20 s)
    expect(concurrent).toEqual({ waitSeconds: 20 + SPREAD });
    expect(await h.health()).toMatchObject({ state: 'halfOpen', probeUntil: iso(h.clock.ms() + 20_000) });
    expect(h.send).toHaveBeenCalledTimes(4);
    expect(await h.log(duringProbe)).toBeNull();

    // Act: the probe succeeds
    probe.answer(OK);
    const probed = await probing;

    // Assess: closed, the drain ramp starts now
    expect(probed).toBeUndefined();
    const closed = await h.health();
    expect(closed).toMatchObject({ state: 'closed', consecutiveFailures: 0, openCount: 0, closedAt: h.clock.iso() });
    expect(closed.openUntil).toBeUndefined();
    expect(closed.failingSince).toBeUndefined();
    expect(closed.probeUntil).toBeUndefined();
    expect(await h.attempts(waiting)).toEqual([
      {
        eventId: waiting.event.id,
        attempt: 1,
        round: 0,
        at: h.clock.iso(),
        ok: true,
        status: 204,
        durationMs: 3,
        probe: true,
      },
    ]);
    expect(await h.log(waiting)).toMatchObject({ status: 'delivered', attempts: 1 });

    // Act: right after closing, two retries in the same second
    h.send.mockResolvedValueOnce(OK);
    const firstInSecond = await h.worker.handle(failed1!, 2);
    const secondInSecond = await h.worker.handle(failed2!, 2);

    // Assess: 1 attempt per second at the start of the ramp
    expect(firstInSecond).toBeUndefined();
    expect(secondInSecond).toEqual({ waitSeconds: 1 + SPREAD });
    expect(h.send).toHaveBeenCalledTimes(5);
    expect(await h.log(failed2!)).toMatchObject({ status: 'failing', attempts: 1 });

    // Act: the next second has room again
    h.clock.advance(1);
    h.send.mockResolvedValueOnce(OK);
    const nextSecond = await h.worker.handle(failed2!, 3);

    // Assess
    expect(nextSecond).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(6);
    expect(await h.log(failed2!)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('reopens the breaker for twice as long when the probe fails', async () => {
    // Prepare
    const h = await setUp();
    await failDistinctMembers(h, 3);
    h.clock.advance(30); // openUntil reached: the probe may start
    const probe = h.message('mem_gina');
    h.send.mockResolvedValueOnce(BOOM);

    // Act
    const outcome = await h.worker.handle(probe, 1);

    // Assess
    expect(outcome).toEqual({ waitSeconds: 5 });
    const reopened = await h.health();
    expect(reopened).toMatchObject({ state: 'open', openCount: 2, consecutiveFailures: 4 });
    expect(reopened.probeUntil).toBeUndefined();
    expect((Date.parse(reopened.openUntil!) - h.clock.ms()) / 1000).toBe(60);
    expect(await h.attempts(probe)).toEqual([
      {
        eventId: probe.event.id,
        attempt: 1,
        round: 0,
        at: h.clock.iso(),
        ok: false,
        status: 500,
        durationMs: 3,
        responseBody: 'boom',
        probe: true,
      },
    ]);
  });

  it('lets exactly one of two workers that both see the open period end claim the probe', async () => {
    // Prepare: the breaker is open until T0+30 and that moment has come
    const h = await setUp();
    await failDistinctMembers(h, 3);
    h.clock.advance(30);
    // Both workers read the health (still open) before either claims the probe.
    const racing = new DynamoEndpointHealth(local.documents, local.tableName);
    let reads = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    racing.getHealth = async (tenantId, subscriptionId) => {
      const health = await endpointHealth.getHealth(tenantId, subscriptionId);
      reads += 1;
      if (reads === 2) bothRead();
      await barrier;
      return health;
    };
    const first = h.message('mem_nora');
    const second = h.message('mem_otto');
    const probe = holdNextSend(h);

    // Act: the loser settles first (the winner's probe is still in flight), then the probe succeeds
    const handling = [h.makeWorker(racing).handle(first, 1), h.makeWorker(racing).handle(second, 1)];
    const loser = await Promise.race(handling);
    probe.answer(OK);
    const outcomes = await Promise.all(handling);

    // Assess: one probe was sent and closed the breaker; the loser waits for the probe in flight
    // (its fresh read: half-open for attemptTimeoutSeconds + 5 = 20 s) and costs no attempt
    expect(loser).toEqual({ waitSeconds: 20 + SPREAD });
    expect(h.send).toHaveBeenCalledTimes(4);
    expect(outcomes.filter((outcome) => outcome === undefined)).toHaveLength(1);
    const logs = await Promise.all([h.log(first), h.log(second)]);
    expect(logs.filter((logged) => logged?.status === 'delivered')).toHaveLength(1);
    expect(logs.filter((logged) => logged === null)).toHaveLength(1);
    expect(await h.health()).toMatchObject({ state: 'closed', closedAt: h.clock.iso() });
  });

  it('disables the endpoint on 410 Gone, emits endpoint.disabled and parks later messages', async () => {
    // Prepare
    const h = await setUp();
    const gone = h.message('mem_hank');
    h.send.mockResolvedValueOnce(GONE);

    // Act
    const outcome = await h.worker.handle(gone, 1);

    // Assess: the endpoint is disabled
    expect(outcome).toBeUndefined();
    const disabledAt = T0.toISOString();
    expect(await subscriptions.get(h.tenantId, h.subscriptionId)).toMatchObject({
      enabled: false,
      disabledReason: 'gone',
      disabledAt,
      eventSeq: 1,
    });
    // ... endpoint.disabled is in the endpoint's outbox, in the catalogue's shape
    const stored = await endpointEvent(h, 1);
    expect(stored?.kind).toBe('event');
    const emitted = loyaltyEvent.parse(stored);
    expect(emitted).toMatchObject({
      type: 'endpoint.disabled',
      version: 1,
      tenantId: h.tenantId,
      endpointId: h.subscriptionId,
      seq: 1,
      occurredAt: disabledAt,
      data: { url: h.subscription.url, reason: 'gone', lastStatus: 410 },
    });
    const { Items: endpointEvents = [] } = await local.documents.send(
      new QueryCommand({
        TableName: local.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
        ExpressionAttributeValues: { ':pk': keys.endpointPk(h.tenantId, h.subscriptionId), ':event': 'EVENT#' },
        ConsistentRead: true,
      }),
    );
    expect(endpointEvents).toHaveLength(1);
    // ... and the message is a dead letter waiting for a redrive
    expect(await h.log(gone)).toMatchObject({
      status: 'dead',
      deadReason: 'endpoint_disabled',
      attempts: 1,
      lastStatus: 410,
    });
    expect(await h.attempts(gone)).toEqual([
      {
        eventId: gone.event.id,
        attempt: 1,
        round: 0,
        at: disabledAt,
        ok: false,
        status: 410,
        durationMs: 3,
        responseBody: 'gone',
      },
    ]);

    // Act: a later message for the disabled endpoint
    h.clock.advance(10);
    const later = h.message('mem_ivy');
    const parked = await h.worker.handle(later, 1);

    // Assess: parked without an attempt
    expect(parked).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(1);
    expect(await h.log(later)).toMatchObject({
      status: 'dead',
      deadReason: 'endpoint_disabled',
      attempts: 0,
      round: 0,
      deadAt: h.clock.iso(),
    });
    expect(await h.attempts(later)).toEqual([]);
    expect((await h.deadLetters()).map((letter) => [letter.eventId, letter.reason])).toEqual([
      [gone.event.id, 'endpoint_disabled'],
      [later.event.id, 'endpoint_disabled'],
    ]);
    expect(h.deadLetter).not.toHaveBeenCalled();
  });

  it('disables the endpoint (reason failing) once it has failed for disableAfterSeconds, probes included', async () => {
    // Prepare: three failures at T0 open the breaker; failingSince is T0
    const h = await setUp();
    await failDistinctMembers(h, 3);
    const openPeriods: number[] = [];
    let probes = 0;
    let outcome: Awaited<ReturnType<DeliveryService['handle']>> = { waitSeconds: -1 };
    let lastProbe: EventMessage | undefined;

    // Act: every time the breaker's open period ends, a new member's message probes and fails
    for (let i = 0; i < 100 && outcome !== undefined; i++) {
      const health = await h.health();
      expect(health.state).toBe('open');
      openPeriods.push((Date.parse(health.openUntil!) - h.clock.ms()) / 1000);
      h.clock.set(Date.parse(health.openUntil!));
      lastProbe = h.message(`mem_probe${i}`);
      h.send.mockResolvedValueOnce(BOOM);
      outcome = await h.worker.handle(lastProbe, 1);
      probes += 1;
      if (outcome !== undefined) expect(outcome).toEqual({ waitSeconds: 5 });
    }

    // Assess: open periods 30, 60, then capped at 120; probes at T0+30, +90, +210, … +3570 keep
    // it enabled; the probe at T0+3690 is the first failure 3600 s or more after failingSince.
    expect(outcome).toBeUndefined();
    expect(openPeriods.slice(0, 4)).toEqual([30, 60, 120, 120]);
    expect(openPeriods.slice(2).every((seconds) => seconds === 120)).toBe(true);
    expect(probes).toBe(32);
    const disabledAt = iso(T0.getTime() + 3690_000);
    expect(h.clock.iso()).toBe(disabledAt);
    expect(await subscriptions.get(h.tenantId, h.subscriptionId)).toMatchObject({
      enabled: false,
      disabledReason: 'failing',
      disabledAt,
      eventSeq: 1,
    });
    expect(loyaltyEvent.parse(await endpointEvent(h, 1))).toMatchObject({
      type: 'endpoint.disabled',
      endpointId: h.subscriptionId,
      seq: 1,
      occurredAt: disabledAt,
      data: { url: h.subscription.url, reason: 'failing', failingSince: T0.toISOString(), lastStatus: 500 },
    });
    expect(await h.log(lastProbe!)).toMatchObject({ status: 'dead', deadReason: 'endpoint_disabled', attempts: 1 });
    expect((await h.attempts(lastProbe!))[0]).toMatchObject({ ok: false, status: 500, probe: true });
    expect(h.deadLetter).not.toHaveBeenCalled();
  });

  it('replays a dead message in a new round: the old copy is stale, the new one is attempted, delivered', async () => {
    // Prepare: a message dies after its 4 attempts
    const h = await setUp({ breakerFailures: 100 });
    const m = h.message('mem_jack');
    for (const [receive, wait] of [5, 300, 1800].entries()) {
      h.send.mockResolvedValueOnce(BOOM);
      expect(await h.worker.handle(m, receive + 1)).toEqual({ waitSeconds: wait });
      h.clock.advance(wait);
    }
    h.send.mockResolvedValueOnce(BOOM);
    expect(await h.worker.handle(m, 4)).toBeUndefined();
    const before = (await h.log(m))!;
    expect(before).toMatchObject({ status: 'dead', round: 0, attempts: 4 });
    expect(await h.deadLetters()).toHaveLength(1);

    // Act: an operator replays it
    h.clock.advance(600);
    const replayed = await store.startRound(h.tenantId, h.subscriptionId, m.event.id, new Date(h.clock.ms()));

    // Assess
    expect(replayed).toEqual({ tenantId: h.tenantId, subscriptionId: h.subscriptionId, event: m.event, round: 1 });
    expect(await h.deadLetters()).toEqual([]);
    expect(await h.log(m)).toMatchObject({ status: 'pending', round: 1, roundAttempts: 0, attempts: 4 });

    // Act: the old copy comes back (a DLQ copy of round 0 after the replay: it carries why it died)
    const stale = await h.worker.handle({ ...m, deadLetter: { reason: 'attempts_exhausted' } }, 1);

    // Assess: nothing happens
    expect(stale).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(4);
    expect(await h.log(m)).toMatchObject({ status: 'pending', round: 1 });

    // Act: the replayed copy
    h.send.mockResolvedValueOnce(OK);
    const delivered = await h.worker.handle(replayed!, 1);

    // Assess
    expect(delivered).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(5);
    expect(await h.log(m)).toMatchObject({
      status: 'delivered',
      round: 1,
      roundAttempts: 1,
      attempts: before.attempts + 1,
      deliveredAt: h.clock.iso(),
    });
    const all = await h.attempts(m);
    expect(all.map((a) => [a.attempt, a.round, a.ok])).toEqual([
      [1, 0, false],
      [2, 0, false],
      [3, 0, false],
      [4, 0, false],
      [5, 1, true],
    ]);
    expect(await h.deadLetters()).toEqual([]);
  });

  it('treats a DLQ copy of a dead message (operator redrive) as a new round and attempts it', async () => {
    // Prepare: a dead message, whose full payload went to the DLQ
    const h = await setUp({ breakerFailures: 100, retrySchedule: [5] });
    const m = h.message('mem_kate');
    h.send.mockResolvedValueOnce(BOOM);
    expect(await h.worker.handle(m, 1)).toEqual({ waitSeconds: 5 });
    h.clock.advance(5);
    h.send.mockResolvedValueOnce(BOOM);
    expect(await h.worker.handle(m, 2)).toBeUndefined();
    expect(await h.log(m)).toMatchObject({ status: 'dead', round: 0, attempts: 2 });
    const [dlqCopy] = h.deadLetter.mock.calls[0]!;
    expect(dlqCopy).toEqual(m);

    // Act: the operator redrives the DLQ; the round-0 copy comes back as the DLQ holds it (a fresh receive count)
    h.clock.advance(60);
    const onDlq = { ...(dlqCopy as object), deadLetter: { reason: 'attempts_exhausted', attempts: 2 } };
    const outcome = await h.worker.handle(deliveryMessage.parse(JSON.parse(JSON.stringify(onDlq))), 1);

    // Assess: the copy starts round 1 and queues it as a message of that round, without an attempt
    expect(outcome).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(2);
    expect(h.requeue).toHaveBeenCalledTimes(1);
    const [requeued] = h.requeue.mock.calls[0]!;
    expect(requeued).toMatchObject({ round: 1 });

    // Act: the round-1 message arrives and is attempted; if it fails and waits, its copy is not stale
    h.send.mockResolvedValueOnce(BOOM);
    expect(await h.worker.handle(deliveryMessage.parse(JSON.parse(JSON.stringify(requeued))), 1)).toEqual({
      waitSeconds: 5,
    });
    h.clock.advance(5);
    h.send.mockResolvedValueOnce(OK);
    expect(await h.worker.handle(deliveryMessage.parse(JSON.parse(JSON.stringify(requeued))), 2)).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(4);
    expect(await h.log(m)).toMatchObject({ status: 'delivered', round: 1, roundAttempts: 2, attempts: 4 });
    expect((await h.attempts(m)).map((a) => [a.attempt, a.round, a.ok])).toEqual([
      [1, 0, false],
      [2, 0, false],
      [3, 1, false],
      [4, 1, true],
    ]);
    expect(await h.deadLetters()).toEqual([]);
  });

  // Regression test: the worker once reset the endpoint's failure streak only when the health it
  // read *before* sending showed failures, so a success that landed after another message's
  // failure was not counted (the 1 s health cache widened the window). A success now always
  // records itself.
  it('counts a success that lands after a failure: the failure streak and failingSince are reset', async () => {
    // Prepare: a delivery passes the gate while the endpoint is healthy and is still in flight ...
    const h = await setUp();
    const inFlight = h.message('mem_mia');
    const send = holdNextSend(h);
    const delivering = h.worker.handle(inFlight, 1);
    await send.started;
    // ... when another member's message fails
    const failed = h.message('mem_noah');
    h.send.mockResolvedValueOnce(BOOM);
    expect(await h.worker.handle(failed, 1)).toEqual({ waitSeconds: 5 });
    expect(await h.health()).toMatchObject({ consecutiveFailures: 1, failingSince: T0.toISOString() });

    // Act: the endpoint answers the in-flight delivery with 204, after the failure
    h.clock.advance(1);
    send.answer(OK);
    expect(await delivering).toBeUndefined();

    // Assess: failures are no longer consecutive and the endpoint is not failing since T0
    expect(await h.log(inFlight)).toMatchObject({ status: 'delivered', attempts: 1 });
    const after = await h.health();
    expect(after.consecutiveFailures).toBe(0);
    expect(after.failingSince).toBeUndefined();

    // ... so two more failures do not open the breaker (3 in a row are needed)
    for (const memberId of ['mem_olga', 'mem_pete']) {
      h.send.mockResolvedValueOnce(BOOM);
      await h.worker.handle(h.message(memberId), 1);
    }
    expect((await h.health()).state).toBe('closed');
  });

  it('waits for the scheduled attempt when a failing message comes back early (a lost visibility change)', async () => {
    // Prepare: a failure schedules the next attempt 5 s later
    const h = await setUp({ breakerFailures: 100 });
    const m = h.message('mem_early');
    h.send.mockResolvedValueOnce(BOOM);
    expect(await h.worker.handle(m, 1)).toEqual({ waitSeconds: 5 });

    // Act: the copy is back after 1 s instead of 5
    h.clock.advance(1);
    const early = await h.worker.handle(m, 2);

    // Assess: no attempt, it waits for the rest of its delay
    expect(early).toEqual({ waitSeconds: 4 });
    expect(h.send).toHaveBeenCalledTimes(1);
  });

  it('dead-letters a message queued for 12 days instead of letting the queue expire it', async () => {
    // Prepare
    const h = await setUp();
    const m = h.message('mem_old');
    const sentAt = h.clock.ms() - 12 * 86_400_000;

    // Act
    const outcome = await h.worker.handle(m, 40, sentAt);

    // Assess: on the DLQ and in the tenant's dead letters, never attempted
    expect(outcome).toBeUndefined();
    expect(h.send).not.toHaveBeenCalled();
    expect(h.deadLetter).toHaveBeenCalledTimes(1);
    expect((await h.deadLetters()).map((l) => l.reason)).toEqual(['receive_limit']);
  });

  it('disables an endpoint that has failed too long even while its messages only wait (paused or open)', async () => {
    // Prepare: a 429 pauses the endpoint; by the time another message looks, the endpoint has failed for the whole
    // period
    const h = await setUp({ breakerFailures: 100, disableAfterSeconds: 60 });
    h.send.mockResolvedValueOnce({ ...SLOW_DOWN, retryAfterSeconds: 3600 });
    await h.worker.handle(h.message('mem_a'), 1);
    h.clock.advance(120);

    // Act: a message that would only wait for the pause
    const outcome = await h.worker.handle(h.message('mem_b'), 1);

    // Assess: the endpoint is disabled and the message parked, without an attempt
    expect(outcome).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(1);
    expect(await subscriptions.get(h.tenantId, h.subscriptionId)).toMatchObject({
      enabled: false,
      disabledReason: 'failing',
    });
    expect((await h.deadLetters()).map((l) => l.reason)).toContain('endpoint_disabled');
  });

  it("drops a deleted endpoint's message without sending", async () => {
    // Prepare
    const h = await setUp();
    const m = h.message('mem_liam');
    expect(await subscriptions.delete(h.tenantId, h.subscriptionId)).toBe(true);

    // Act
    const outcome = await h.worker.handle(m, 1);

    // Assess
    expect(outcome).toBeUndefined();
    expect(h.send).not.toHaveBeenCalled();
    expect(h.deadLetter).not.toHaveBeenCalled();
    expect(await h.log(m)).toBeNull();
    expect(await h.deadLetters()).toEqual([]);
  });
});
