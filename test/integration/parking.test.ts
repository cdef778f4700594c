import { jest } from '@jest/globals';
import { DynamoDeliveryLog } from '../../functions/adapters/dynamo-delivery-log';
import { DynamoEndpointHealth } from '../../functions/adapters/dynamo-endpoint-health';
import { DynamoParkingStore } from '../../functions/adapters/dynamo-parking-store';
import { DynamoSubscriptionStore } from '../../functions/adapters/dynamo-subscription-store';
import { DeliveryService, type DeliveryServiceDeps } from '../../functions/domain/webhooks/delivery-service';
import type { AttemptResult } from '../../functions/domain/webhooks/ports';
import { pointsEarnedEvent } from '../../functions/domain/events';
import { deliveryMessage, type DeliveryMessage } from '../../functions/domain/webhooks/message';
import { newId } from '../../functions/shared/ids';
import { logger } from '../../functions/shared/logger';
import { useLocalTable } from '../support/local-table';
import { testSealer, testSubscription } from '../support/webhook-fixtures';

/**
 * Parking on DynamoDB Local with one waiting slot per endpoint: the races of parking and waking,
 * step by step through the real stores. Only the HTTP send, the queue and the clock are scripted.
 */
let store: DynamoDeliveryLog;
let endpointHealth: DynamoEndpointHealth;
let parking: DynamoParkingStore;
let subscriptions: DynamoSubscriptionStore;

useLocalTable(({ documents, tableName }) => {
  store = new DynamoDeliveryLog(documents, tableName, 30);
  endpointHealth = new DynamoEndpointHealth(documents, tableName);
  parking = new DynamoParkingStore(documents, tableName, 30);
  subscriptions = new DynamoSubscriptionStore(documents, tableName, testSealer());
  logger.setLogLevel('SILENT');
});

const OK: AttemptResult = { ok: true, status: 204, durationMs: 3 };
const BOOM: AttemptResult = { ok: false, status: 500, durationMs: 3 };

async function setUp() {
  const tenantId = newId('ten');
  const subscriptionId = newId('sub');
  const subscription = testSubscription({ tenantId, subscriptionId, createdAt: '2026-11-21T10:00:00.000Z' });
  await subscriptions.put(subscription);
  let nowMs = Date.parse('2026-11-21T10:00:00.000Z');
  const send = jest.fn<DeliveryServiceDeps['send']>(() =>
    Promise.reject(new Error('send called without a scripted answer')),
  );
  const requeue = jest.fn<(message: DeliveryMessage) => Promise<void>>(() => Promise.resolve());
  const worker = new DeliveryService({
    log: store,
    health: endpointHealth,
    parking,
    maxWaitingPerEndpoint: 1,
    endpoint: (t, s) => subscriptions.get(t, s),
    send,
    deadLetter: () => Promise.resolve(),
    requeue,
    // One failure opens the breaker for 30 s.
    policy: {
      retrySchedule: [5, 5, 5],
      jitter: 0,
      breakerFailures: 1,
      breakerOpenSeconds: 30,
      breakerMaxOpenSeconds: 30,
      disableAfterSeconds: 86_400,
      drainRampSeconds: 1,
      drainMaxPerSecond: 50,
    },
    attemptTimeoutSeconds: 15,
    clock: { now: () => new Date(nowMs) },
    random: () => 0,
    healthCacheMs: 0,
  });
  const seqs = new Map<string, number>();
  const message = (memberId: string): DeliveryMessage => {
    const seq = (seqs.get(memberId) ?? 0) + 1;
    seqs.set(memberId, seq);
    const event = pointsEarnedEvent.parse({
      id: newId('evt', nowMs),
      version: 1,
      tenantId,
      memberId,
      seq,
      occurredAt: new Date(nowMs).toISOString(),
      type: 'points.earned',
      data: {
        entryId: newId('ent', nowMs),
        amountPoints: 10,
        reason: 'stay',
        source: 'pms',
        transactionId: `txn-${memberId}-${seq}`,
        expiresAt: '2027-11-21T10:00:00.000Z',
        pending: false,
        balance: { availablePoints: 10 * seq, pendingPoints: 0, lifetimePoints: 10 * seq, tier: 'silver' },
      },
    });
    return deliveryMessage.parse({ tenantId, subscriptionId, event, round: 0 });
  };
  const chain = (memberId: string) => parking.chain(tenantId, subscriptionId, memberId);
  const sentIds = () => send.mock.calls.map(([, m]) => m.id);
  const advance = (seconds: number) => {
    nowMs += seconds * 1000;
  };
  return { tenantId, subscriptionId, worker, send, requeue, message, chain, sentIds, advance };
}

const idOf = (m: DeliveryMessage) => ('event' in m ? m.event.id : '');

describe("parking a failing endpoint's overflow on DynamoDB Local", () => {
  it('keeps one message waiting in flight, parks the rest per member in order, wakes them in order', async () => {
    // Prepare: member A's message fails and holds the only slot; the breaker is open.
    const h = await setUp();
    const a1 = h.message('mem_a');
    h.send.mockResolvedValueOnce(BOOM);
    expect(await h.worker.handle(a1, 1)).toEqual({ waitSeconds: 5 });
    const b1 = h.message('mem_b');
    const b2 = h.message('mem_b');

    // Act: B's messages arrive while the breaker is open and the slot is taken.
    const parkedB1 = await h.worker.handle(b1, 1);
    // B1 comes back (a crash after its park, before its deletion from the queue), then B2 arrives.
    const againB1 = await h.worker.handle(b1, 2);
    const parkedB2 = await h.worker.handle(b2, 1);

    // Assess: both parked (deleted from the queue), once each, in order; nothing sent for B.
    expect([parkedB1, againB1, parkedB2]).toEqual([undefined, undefined, undefined]);
    expect(await h.chain('mem_b')).toEqual({ head: 0, tail: 2 });
    expect(await parking.parkedCount(h.tenantId, h.subscriptionId)).toEqual({ chains: 1, messages: 2 });
    expect(h.sentIds()).toEqual([idOf(a1)]);

    // Act: a wake-up copy for B's second place arrives first: not its turn, a no-op.
    const early = await h.worker.handle({ ...b2, parked: { seq: 1, wake: 'x' } }, 1);
    // The breaker's open period ends; A's message comes back, probes and succeeds.
    h.advance(31);
    h.send.mockResolvedValueOnce(OK);
    const probe = await h.worker.handle(a1, 2);

    // Assess: the slot went back and B's chain head was woken (a copy to the queue).
    expect(early).toBeUndefined();
    expect(probe).toBeUndefined();
    expect(h.requeue.mock.calls.map(([m]) => [idOf(m), m.parked?.seq])).toEqual([[idOf(b1), 0]]);
    expect(
      await parking.heldSlots(h.tenantId, h.subscriptionId, new Date(Date.parse('2026-11-21T10:00:31.000Z'))),
    ).toBe(0);

    // Act: the woken head is delivered, which wakes the next place; then that one is delivered.
    h.send.mockResolvedValue(OK);
    h.advance(2);
    expect(await h.worker.handle(h.requeue.mock.calls[0]![0], 1)).toBeUndefined();
    const next = h.requeue.mock.calls.at(-1)![0];
    h.advance(2);
    expect(await h.worker.handle(next, 1)).toBeUndefined();
    // A stale copy of the first place (a duplicate wake) comes back: handled already, a no-op.
    const stale = await h.worker.handle({ ...b1, parked: { seq: 0, wake: 'y' } }, 1);

    // Assess: B delivered exactly once each, in order; the chain is empty and out of the index.
    expect(next.parked).toEqual({ seq: 1, wake: 'next' });
    expect(idOf(next)).toBe(idOf(b2));
    expect(stale).toBeUndefined();
    expect(h.sentIds()).toEqual([idOf(a1), idOf(a1), idOf(b1), idOf(b2)]);
    expect(await h.chain('mem_b')).toEqual({ head: 2, tail: 2 });
    expect(await parking.parkedCount(h.tenantId, h.subscriptionId)).toEqual({ chains: 0, messages: 0 });
  });

  it("parks a member's new message behind its parked ones even when a slot is free", async () => {
    // Prepare: B has a parked message (the slot was A's), then A's slot is freed without a sweep.
    const h = await setUp();
    const a1 = h.message('mem_a');
    h.send.mockResolvedValueOnce(BOOM);
    await h.worker.handle(a1, 1);
    const b1 = h.message('mem_b');
    await h.worker.handle(b1, 1);
    await parking.releaseSlot(h.tenantId, h.subscriptionId, 'mem_a');
    h.advance(31);

    // Act: B's next message arrives on a healthy-looking queue.
    const b2 = h.message('mem_b');
    const outcome = await h.worker.handle(b2, 1);

    // Assess: it did not overtake B1: parked behind it, nothing sent.
    expect(outcome).toBeUndefined();
    expect(await h.chain('mem_b')).toEqual({ head: 0, tail: 2 });
    expect(h.sentIds()).toEqual([idOf(a1)]);
  });
});
