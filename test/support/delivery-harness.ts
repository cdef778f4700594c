import { jest } from '@jest/globals';
import type { WebhookSubscription } from '../../functions/domain/ports';
import type { DeliveryPolicy } from '../../functions/domain/webhooks/delivery-policy';
import { DeliveryService, type DeliveryServiceDeps } from '../../functions/domain/webhooks/delivery-service';
import { deliveryMessage, type DeliveryMessage } from '../../functions/domain/webhooks/message';
import {
  MemoryDeliveryLog,
  MemoryDeliveryQueue,
  MemoryDigestStore,
  MemoryEndpointHealth,
  MemoryEndpoints,
} from './memory-webhook-ports';
import { earnedEvents, testSubscription } from './webhook-fixtures';

/** When the harness's clock starts. */
export const T0 = Date.parse('2026-11-21T10:00:00.000Z');

/** Two retries, a breaker that opens after two failures, an endpoint disabled after an hour failing. */
export const POLICY: DeliveryPolicy = {
  retrySchedule: [5, 300],
  jitter: 0,
  breakerFailures: 2,
  breakerOpenSeconds: 30,
  breakerMaxOpenSeconds: 120,
  disableAfterSeconds: 3600,
  drainRampSeconds: 60,
  drainMaxPerSecond: 10,
};

/**
 * The webhook delivery service on in-memory ports, for endpoint sub_1 of tenant t1: a clock to advance, `send`
 * to script attempts with, and points.earned messages for any member.
 */
export function deliveryHarness(endpoint: Partial<WebhookSubscription> = {}, policy: Partial<DeliveryPolicy> = {}) {
  const subscription = testSubscription({
    tenantId: 't1',
    subscriptionId: 'sub_1',
    createdAt: new Date(T0).toISOString(),
    ...endpoint,
  });
  const endpoints = new Map([[MemoryEndpoints.key('t1', 'sub_1'), subscription]]);
  const directory = new MemoryEndpoints(endpoints);
  const log = new MemoryDeliveryLog();
  const health = new MemoryEndpointHealth(endpoints);
  const queue = new MemoryDeliveryQueue();
  let nowMs = T0;
  const clock = { now: () => new Date(nowMs) };
  const advance = (seconds: number) => {
    nowMs += seconds * 1000;
  };
  const send = jest.fn<DeliveryServiceDeps['send']>(() =>
    Promise.reject(new Error('send called without a scripted answer')),
  );
  const deadLetter = jest.fn<DeliveryServiceDeps['deadLetter']>(() => Promise.resolve());
  const digests = new MemoryDigestStore();
  const service = new DeliveryService({
    log,
    health,
    endpoint: (tenantId, subscriptionId) => directory.get(tenantId, subscriptionId),
    send,
    digests,
    requeue: (message) => queue.enqueue([message]),
    deadLetter,
    policy: { ...POLICY, ...policy },
    attemptTimeoutSeconds: 15,
    clock,
    random: () => 0,
    healthCacheMs: 0,
  });
  const event = earnedEvents(() => nowMs);
  const message = (memberId: string): DeliveryMessage =>
    deliveryMessage.parse({ tenantId: 't1', subscriptionId: 'sub_1', event: event(memberId), round: 0 });
  return {
    subscription,
    endpoints,
    directory,
    log,
    health,
    queue,
    digests,
    clock,
    advance,
    send,
    deadLetter,
    service,
    event,
    message,
  };
}
