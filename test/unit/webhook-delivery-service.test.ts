import { jest } from '@jest/globals';
import { RECEIVE_LIMIT, SUSPENDED_RECHECK_SECONDS } from '../../functions/domain/webhooks/delivery-policy';
import { DeliveryService } from '../../functions/domain/webhooks/delivery-service';
import { WebhookFanOut } from '../../functions/domain/webhooks/fan-out';
import {
  DIGEST_MAX_EVENTS,
  deliveryMessage,
  digestWindowStart,
  nextDigestPlace,
  webhookBody,
  type DeliveryMessage,
} from '../../functions/domain/webhooks/message';
import type { AttemptResult } from '../../functions/domain/webhooks/ports';
import { ReplayService } from '../../functions/domain/webhooks/replay';
import { logger } from '../../functions/shared/logger';
import { MemoryEndpoints } from '../support/memory-webhook-ports';
import { deliveryHarness, POLICY, T0 } from '../support/delivery-harness';

/**
 * The webhook delivery service, replays and the fan-out driven through in-memory fakes of their
 * ports: the rules (schedule, breaker, disabling, dead letters, rounds, digests) without a table,
 * a queue or HTTP. The same service runs on DynamoDB Local in test/integration/delivery-worker.test.ts.
 */
const OK: AttemptResult = { ok: true, status: 204, durationMs: 2 };
const BOOM: AttemptResult = { ok: false, status: 500, durationMs: 2, responseBody: 'boom' };

beforeAll(() => {
  logger.setLogLevel('SILENT');
});

describe('delivery service (in-memory ports)', () => {
  it('delivers a message once, signs the body shaped for the endpoint, and ignores a duplicate copy', async () => {
    // Prepare
    const h = deliveryHarness({ payload: 'thin' });
    const m = h.message('mem_a');
    h.send.mockResolvedValueOnce(OK);

    // Act
    const first = await h.service.handle(m, 1);
    const duplicate = await h.service.handle({ ...m }, 2);

    // Assess
    expect([first, duplicate]).toEqual([undefined, undefined]);
    expect(h.send).toHaveBeenCalledTimes(1);
    if (!('event' in m)) throw new Error('an event message');
    expect(h.send.mock.calls[0]![1]).toEqual({ id: m.event.id, body: webhookBody(m.event, { payload: 'thin' }) });
    expect(await h.log.getMessage('t1', 'sub_1', m.event.id)).toMatchObject({
      status: 'delivered',
      round: 0,
      attempts: 1,
      roundAttempts: 1,
    });
  });

  it('retries on schedule, opens the breaker at the threshold, later messages wait without an attempt', async () => {
    // Prepare
    const h = deliveryHarness();
    h.send.mockResolvedValueOnce(BOOM).mockResolvedValueOnce(BOOM);

    // Act: two members fail once each (threshold 2), then a third message arrives
    const waits = [await h.service.handle(h.message('mem_a'), 1), await h.service.handle(h.message('mem_b'), 1)];
    const third = await h.service.handle(h.message('mem_c'), 1);

    // Assess: each failure waits its first retry step; the third waits the open period without being sent
    expect(waits).toEqual([{ waitSeconds: 5 }, { waitSeconds: 5 }]);
    expect(third).toEqual({ waitSeconds: 30 });
    expect(h.send).toHaveBeenCalledTimes(2);
    expect(await h.health.getHealth('t1', 'sub_1')).toMatchObject({
      state: 'open',
      openCount: 1,
      consecutiveFailures: 2,
    });
  });

  it('closes the breaker when the probe after the open period succeeds', async () => {
    // Prepare: the breaker is open
    const h = deliveryHarness();
    h.send.mockResolvedValueOnce(BOOM).mockResolvedValueOnce(BOOM).mockResolvedValueOnce(OK);
    await h.service.handle(h.message('mem_a'), 1);
    await h.service.handle(h.message('mem_b'), 1);
    h.advance(30);

    // Act
    const probe = await h.service.handle(h.message('mem_c'), 1);

    // Assess
    expect(probe).toBeUndefined();
    const health = await h.health.getHealth('t1', 'sub_1');
    expect(health).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      openCount: 0,
      closedAt: h.clock.now().toISOString(),
    });
    expect(h.log.attempts.at(-1)).toMatchObject({ ok: true, probe: true });
  });

  it('opens the breaker again for twice as long when the probe fails', async () => {
    // Prepare
    const h = deliveryHarness();
    h.send.mockResolvedValueOnce(BOOM).mockResolvedValueOnce(BOOM).mockResolvedValueOnce(BOOM);
    await h.service.handle(h.message('mem_a'), 1);
    await h.service.handle(h.message('mem_b'), 1);
    h.advance(30);

    // Act
    await h.service.handle(h.message('mem_c'), 1);

    // Assess
    const health = await h.health.getHealth('t1', 'sub_1');
    expect(health).toMatchObject({ state: 'open', openCount: 2 });
    expect((Date.parse(health.openUntil!) - h.clock.now().getTime()) / 1000).toBe(60);
  });

  it('dead-letters a message after its last attempt, in the log and on the DLQ', async () => {
    // Prepare
    const h = deliveryHarness({});
    const m = h.message('mem_a');
    h.send.mockResolvedValue(BOOM);
    const service = new DeliveryService({
      log: h.log,
      health: h.health,
      endpoint: (t, s) => h.directory.get(t, s),
      send: h.send,
      requeue: () => Promise.resolve(),
      deadLetter: h.deadLetter,
      policy: { ...POLICY, breakerFailures: 100 },
      attemptTimeoutSeconds: 15,
      clock: h.clock,
      random: () => 0,
      healthCacheMs: 0,
    });

    // Act
    const outcomes = [await service.handle(m, 1)];
    h.advance(5);
    outcomes.push(await service.handle(m, 2));
    h.advance(300);
    outcomes.push(await service.handle(m, 3));

    // Assess
    expect(outcomes).toEqual([{ waitSeconds: 5 }, { waitSeconds: 300 }, undefined]);
    expect(h.deadLetter).toHaveBeenCalledWith(m, { reason: 'attempts_exhausted', attempts: 3, lastStatus: 500 });
    const { items } = await h.log.listDeadLetters('t1', 'sub_1', { limit: 10 });
    expect(items.map((letter) => letter.reason)).toEqual(['attempts_exhausted']);
  });

  it("holds a suspended tenant's messages (no attempt, no dead letter) then delivers them", async () => {
    // Prepare: the tenant is suspended; one message is at the receive limit, where it would otherwise be dead-lettered.
    const h = deliveryHarness();
    let suspended = true;
    const service = new DeliveryService({
      log: h.log,
      health: h.health,
      endpoint: (t, s) => h.directory.get(t, s),
      tenantSuspended: (tenantId) => Promise.resolve(tenantId === 't1' && suspended),
      send: h.send,
      requeue: () => Promise.resolve(),
      deadLetter: h.deadLetter,
      policy: POLICY,
      attemptTimeoutSeconds: 15,
      clock: h.clock,
      random: () => 0,
      healthCacheMs: 0,
    });
    const [fresh, old] = [h.message('mem_a'), h.message('mem_b')];
    h.send.mockResolvedValue(OK);

    // Act
    const held = [await service.handle(fresh, 1), await service.handle(old, RECEIVE_LIMIT + 5)];
    suspended = false;
    const after = await service.handle(fresh, 2);

    // Assess: held as for an open breaker (the recheck, or the receive count's longer floor); then delivered.
    expect(held[0]).toEqual({ waitSeconds: SUSPENDED_RECHECK_SECONDS });
    expect(held[1]!.waitSeconds).toBeGreaterThan(SUSPENDED_RECHECK_SECONDS);
    expect(h.deadLetter).not.toHaveBeenCalled();
    expect(after).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(1);
    if (!('event' in fresh)) throw new Error('an event message');
    expect(await h.log.getMessage('t1', 'sub_1', fresh.event.id)).toMatchObject({ status: 'delivered' });
  });

  it('disables the endpoint on 410 Gone (endpoint.disabled); later messages dead-letter, not attempted', async () => {
    // Prepare
    const h = deliveryHarness();
    h.send.mockResolvedValueOnce({ ok: false, status: 410, durationMs: 2 });

    // Act
    const gone = await h.service.handle(h.message('mem_a'), 1);
    const later = h.message('mem_b');
    const parked = await h.service.handle(later, 1);

    // Assess
    expect([gone, parked]).toEqual([undefined, undefined]);
    expect(h.send).toHaveBeenCalledTimes(1);
    expect(h.health.events).toEqual([
      expect.objectContaining({
        type: 'endpoint.disabled',
        endpointId: 'sub_1',
        seq: 1,
        data: { url: h.subscription.url, reason: 'gone', lastStatus: 410 },
      }),
    ]);
    if (!('event' in later)) throw new Error('an event message');
    expect(await h.log.getMessage('t1', 'sub_1', later.event.id)).toMatchObject({
      status: 'dead',
      deadReason: 'endpoint_disabled',
      attempts: 0,
    });
  });

  it('drops the message of a deleted endpoint without sending it', async () => {
    // Prepare
    const h = deliveryHarness();
    h.endpoints.clear();

    // Act
    const outcome = await h.service.handle(h.message('mem_a'), 1);

    // Assess
    expect(outcome).toBeUndefined();
    expect(h.send).not.toHaveBeenCalled();
    expect(h.log.messages.size).toBe(0);
  });

  it('sends a digest once its window closed, with the window events in one body', async () => {
    // Prepare: two events join a 60 s window; the window's delivery was queued by the fan-out
    const h = deliveryHarness({ digest: { intervalSeconds: 60 } });
    const fanOut = new WebhookFanOut({ endpoints: h.directory, queue: h.queue, digests: h.digests, clock: h.clock });
    await fanOut.route(h.event('mem_a'));
    await fanOut.route(h.event('mem_b'));
    const [queuedDigest] = h.queue.queued;
    const digest = deliveryMessage.parse(queuedDigest);

    // Act: too early, then after the window and its grace
    const early = await h.service.handle(digest, 1);
    h.advance(60 + 5);
    h.send.mockResolvedValueOnce(OK);
    const sent = await h.service.handle(digest, 2);

    // Assess
    expect(h.queue.queued).toHaveLength(1);
    expect(early).toEqual({ waitSeconds: 65 });
    expect(sent).toBeUndefined();
    const body = JSON.parse(h.send.mock.calls[0]![1].body) as { type: string; data: { count: number } };
    expect(body).toMatchObject({ type: 'webhook.digest', data: { count: 2 } });
  });
});

describe('correlation ids on deliveries (in-memory ports)', () => {
  it('logs and sends the event’s correlation id with the attempt, and endpoint.disabled carries it', async () => {
    // Prepare
    const h = deliveryHarness();
    const m = deliveryMessage.parse({
      tenantId: 't1',
      subscriptionId: 'sub_1',
      event: { ...h.event('mem_a'), correlationId: 'order-42' },
    });
    h.send.mockResolvedValueOnce({ ok: false, status: 410, durationMs: 2 });
    logger.setLogLevel('INFO');
    const info = jest.spyOn(logger['console'], 'info').mockImplementation(() => undefined);

    // Act
    await h.service.handle(m, 1, undefined, 'delivery-invocation');
    const lines = info.mock.calls.map(([line]) => JSON.parse(String(line)));
    info.mockRestore();
    logger.setLogLevel('SILENT');

    // Assess
    expect(lines.find((line) => line.message === 'Webhook attempt')).toMatchObject({ correlation_id: 'order-42' });
    expect(h.send.mock.calls[0]![1]).toMatchObject({ correlationId: 'order-42' });
    expect(h.health.events).toEqual([
      expect.objectContaining({ type: 'endpoint.disabled', correlationId: 'order-42' }),
    ]);
  });

  it('traces a digest to the event that opened its window', async () => {
    // Prepare
    const h = deliveryHarness({ digest: { intervalSeconds: 60 } });
    const fanOut = new WebhookFanOut({ endpoints: h.directory, queue: h.queue, digests: h.digests, clock: h.clock });
    await fanOut.route({ ...h.event('mem_a'), correlationId: 'order-1' });
    await fanOut.route({ ...h.event('mem_b'), correlationId: 'order-2' });
    const digest = deliveryMessage.parse(h.queue.queued[0]);
    h.advance(60 + 5);
    h.send.mockResolvedValueOnce(OK);

    // Act
    await h.service.handle(digest, 1, undefined, 'delivery-invocation');

    // Assess: the call's header names the window's opener; each event in the body keeps its own
    expect(h.send.mock.calls[0]![1].correlationId).toBe('order-1');
    const body = JSON.parse(h.send.mock.calls[0]![1].body) as { data: { events: { correlationId: string }[] } };
    expect(body.data.events.map((event) => event.correlationId)).toEqual(['order-1', 'order-2']);
  });

  it('gives a message without one the delivering invocation’s id', async () => {
    // Prepare: an event written before events carried a correlation id
    const h = deliveryHarness();
    h.send.mockResolvedValueOnce(OK);

    // Act
    await h.service.handle(h.message('mem_a'), 1, undefined, 'delivery-invocation');

    // Assess
    expect(h.send.mock.calls[0]![1]).toMatchObject({ correlationId: 'delivery-invocation' });
  });
});

describe('digest windows', () => {
  it('aligns windows to their interval and moves a refused event past a closed window or a full part', () => {
    // Prepare
    const place = { windowStart: digestWindowStart(new Date('2026-11-21T10:00:59.000Z'), 60), part: 0 };

    // Act
    const afterClosed = nextDigestPlace(place, { closed: true, events: 3 }, 60);
    const afterFull = nextDigestPlace(place, { closed: false, events: DIGEST_MAX_EVENTS }, 60);
    const raced = nextDigestPlace(place, { closed: false, events: 3 }, 60);

    // Assess
    expect(place.windowStart).toBe(Date.parse('2026-11-21T10:00:00.000Z') / 1000);
    expect(afterClosed).toEqual({ windowStart: place.windowStart + 60, part: 0 });
    expect(afterFull).toEqual({ windowStart: place.windowStart, part: 1 });
    expect(raced).toEqual(place);
  });
});

describe('fan-out (in-memory ports)', () => {
  it('queues one message per matching immediate endpoint and none for others', async () => {
    // Prepare
    const h = deliveryHarness();
    h.endpoints.set(MemoryEndpoints.key('t1', 'sub_2'), {
      ...h.subscription,
      subscriptionId: 'sub_2',
      eventTypes: ['member.*'],
    });
    h.endpoints.set(MemoryEndpoints.key('t1', 'sub_3'), {
      ...h.subscription,
      subscriptionId: 'sub_3',
      eventTypes: ['*'],
      enabled: false,
    });
    const fanOut = new WebhookFanOut({ endpoints: h.directory, queue: h.queue, digests: h.digests, clock: h.clock });
    const event = h.event('mem_a');

    // Act
    const matched = await fanOut.route(event);

    // Assess: a disabled endpoint gets its message too (the delivery service parks it as a dead letter)
    expect(matched).toBe(2);
    expect(h.queue.queued).toEqual([
      { tenantId: 't1', subscriptionId: 'sub_1', event },
      { tenantId: 't1', subscriptionId: 'sub_3', event },
    ]);
  });
});

describe('replays and redrives (in-memory ports)', () => {
  it('replays a delivered message in a new round, refuses one still on schedule, redrives dead letters', async () => {
    // Prepare: one delivered message, one failing, one dead
    const h = deliveryHarness();
    const replays = new ReplayService({ log: h.log, queue: h.queue, clock: h.clock });
    const delivered = h.message('mem_a');
    const failing = h.message('mem_b');
    const dead = h.message('mem_c');
    h.send.mockResolvedValueOnce(OK).mockResolvedValueOnce(BOOM);
    await h.service.handle(delivered, 1);
    await h.service.handle(failing, 1);
    await h.log.markDead(dead, h.clock.now(), 'receive_limit');
    const id = (m: DeliveryMessage) => ('event' in m ? m.event.id : '');

    // Act
    const replayed = await replays.replayOne('t1', 'sub_1', id(delivered));
    const refused = await replays.replayOne('t1', 'sub_1', id(failing));
    const missing = await replays.replayOne('t1', 'sub_1', 'evt_none');
    const redriven = await replays.redrive('t1', 'sub_1', 10);

    // Assess
    expect([replayed, refused, missing, redriven]).toEqual([
      { queued: 1, skipped: 0 },
      'in_flight',
      'not_found',
      { queued: 1, more: false },
    ]);
    expect(h.queue.queued.map((m) => [id(deliveryMessage.parse(m)), m.round])).toEqual([
      [id(delivered), 1],
      [id(dead), 1],
    ]);
    expect(await h.log.listDeadLetters('t1', 'sub_1', { limit: 10 })).toEqual({ items: [] });
  });

  it('replays a time range oldest first and skips messages still on their schedule', async () => {
    // Prepare
    const h = deliveryHarness();
    const replays = new ReplayService({ log: h.log, queue: h.queue, clock: h.clock });
    const first = h.message('mem_a');
    h.advance(1);
    const second = h.message('mem_b');
    h.send.mockResolvedValueOnce(OK).mockResolvedValueOnce(BOOM);
    await h.service.handle(first, 1);
    await h.service.handle(second, 1);

    // Act
    const result = await replays.replayRange('t1', 'sub_1', {
      from: new Date(T0).toISOString(),
      to: h.clock.now().toISOString(),
      limit: 10,
    });

    // Assess
    expect(result).toEqual({ queued: 1, skipped: 1 });
    expect(h.queue.queued).toHaveLength(1);
  });
});

describe('endpoint maintenance windows (in-memory ports)', () => {
  const windowFor = (seconds: number, fromSeconds = 0) => ({
    windowId: 'mw_1',
    startsAt: new Date(T0 + fromSeconds * 1000).toISOString(),
    endsAt: new Date(T0 + (fromSeconds + seconds) * 1000).toISOString(),
    createdAt: new Date(T0).toISOString(),
  });

  it('holds a message until the window ends without an attempt, then delivers it at attempt 1', async () => {
    // Prepare: a one-hour window from now
    const h = deliveryHarness({ maintenanceWindows: [windowFor(3600)] });
    const m = h.message('mem_a');
    h.send.mockResolvedValueOnce(OK);

    // Act
    const held = await h.service.handle(m, 1);
    h.advance(3600);
    const after = await h.service.handle(m, 2);

    // Assess
    expect(held).toEqual({ waitSeconds: 3600 });
    expect(after).toBeUndefined();
    expect(h.send).toHaveBeenCalledTimes(1);
    if (!('event' in m)) throw new Error('an event message');
    expect(await h.log.getMessage('t1', 'sub_1', m.event.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('leaves a failing endpoint alone during a window: no probe, no disabling, the breaker as it was', async () => {
    // Prepare: the breaker opened an hour before the disable period ends, then a 48 h window starts
    const h = deliveryHarness();
    h.send.mockResolvedValue(BOOM);
    await h.service.handle(h.message('mem_a'), 1);
    await h.service.handle(h.message('mem_b'), 1);
    const opened = await h.health.getHealth('t1', 'sub_1');
    h.subscription.maintenanceWindows = [windowFor(48 * 3600, 60)];
    h.advance(60);

    // Act: a message during the window, long past the open period and the disable period
    h.advance(47 * 3600);
    const during = await h.service.handle(h.message('mem_c'), 1);
    const healthDuring = await h.health.getHealth('t1', 'sub_1');
    // Just after the window: the failing time inside it does not count towards disabling
    h.advance(3600 + 1);
    h.send.mockResolvedValueOnce(OK);
    const after = await h.service.handle(h.message('mem_d'), 1);

    // Assess
    expect(during).toEqual({ waitSeconds: 3600 });
    expect(healthDuring).toEqual(opened);
    expect(h.send).toHaveBeenCalledTimes(3);
    expect(after).toBeUndefined();
    expect(h.subscription.enabled).toBe(true);
    expect(h.health.events).toEqual([]);
    expect(await h.health.getHealth('t1', 'sub_1')).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('does not count receives spent waiting out windows against the receive limit', async () => {
    // Prepare: a message queued before a 48 h window that has just ended, received often before it
    const h = deliveryHarness({ maintenanceWindows: [windowFor(48 * 3600, 10)] });
    const sentAtMs = T0;
    h.advance(48 * 3600 + 10);
    h.send.mockResolvedValueOnce(OK);
    const m = h.message('mem_a');

    // Act: its receive count is the limit, but some of those receives were the window's
    const result = await h.service.handle(m, RECEIVE_LIMIT, sentAtMs);

    // Assess
    expect(result).toBeUndefined();
    expect(h.deadLetter).not.toHaveBeenCalled();
    expect(h.send).toHaveBeenCalledTimes(1);
  });

  it('dead-letters at the receive limit when no window excuses the receives', async () => {
    // Prepare
    const h = deliveryHarness();
    const m = h.message('mem_a');

    // Act
    const result = await h.service.handle(m, RECEIVE_LIMIT, T0);

    // Assess
    expect(result).toBeUndefined();
    expect(h.deadLetter).toHaveBeenCalledTimes(1);
    expect(h.send).not.toHaveBeenCalled();
  });
});
