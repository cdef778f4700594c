import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import { logger } from '../../shared/logger';
import { recordMetric } from '../../shared/metrics';
import { ttlCache } from '../../shared/ttl-cache';
import type { WebhookSubscription } from '../ports';
import { breakerOpens, failingTooLong, gate, type EndpointHealth } from './breaker';
import {
  nextRetry,
  QUEUE_AGE_LIMIT_MS,
  RECEIVE_LIMIT,
  SUSPENDED_RECHECK_SECONDS,
  waitSeconds,
  type DeliveryPolicy,
} from './delivery-policy';
import { CallbackRenderError } from './callback-template';
import { digestBodyFor, eventBodyFor } from './chat-messages';
import { failingDetail } from './disabling';
import { activeWindow, windowReceives, windowTimeBetween, windowWaitSeconds } from './maintenance-windows';
import {
  DIGEST_GRACE_SECONDS,
  correlationIdOf,
  digestId,
  subjectOf,
  type DeadReason,
  type DeliveryMessage,
} from './message';
import {
  chainLength,
  chainTurn,
  MAX_WAITING_PER_ENDPOINT,
  needsSlot,
  slotLeaseSeconds,
  WAKE_GRACE_SECONDS,
  type ParkedChain,
  type WaitReason,
} from './parking';
import type {
  AttemptResult,
  DeadLetterDetail,
  DeliveryLog,
  DigestStore,
  EndpointHealthStore,
  ParkingStore,
  WebhookSender,
} from './ports';

/** The delivery service's ports and settings: what a handler (or a test) wires in. */
export interface DeliveryServiceDeps {
  /** The delivery log: messages, attempts, dead letters. */
  log: DeliveryLog;
  /** Endpoint health: breaker, pause, rate window, disabling. */
  health: EndpointHealthStore;
  endpoint(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | null>;
  /**
   * Whether the tenant is suspended: its messages are then held (no attempt, never a dead letter for it) until it is
   * reactivated. Read at most once per `healthCacheMs` per tenant and container. Absent: no tenant is ever held.
   */
  tenantSuspended?: (tenantId: string) => Promise<boolean>;
  send: WebhookSender;
  /** Digest mode: the endpoint's windows, closed and read when their digest goes out. */
  digests?: Pick<DigestStore, 'close'>;
  /** Queues a message again (a new round started from a dead letter's copy, a parked head woken). */
  requeue(message: DeliveryMessage): Promise<void>;
  /** Puts a message whose attempts are spent on the dead-letter queue, with its full payload. */
  deadLetter(message: DeliveryMessage, detail: DeadLetterDetail): Promise<void>;
  policy: DeliveryPolicy;
  /** How long one attempt may take: a probe holds the breaker half-open for this long. */
  attemptTimeoutSeconds: number;
  clock?: Clock;
  random?: () => number;
  /** Endpoint health is read at most this often per container (default 1 s). */
  healthCacheMs?: number;
  /**
   * Waiting slots and parked chains: with it, an endpoint keeps at most `maxWaitingPerEndpoint`
   * messages waiting in flight and parks the rest (without it, every waiting message stays in flight).
   */
  parking?: ParkingStore;
  maxWaitingPerEndpoint?: number;
}

/** A message that may not be handled yet: it stays on the queue, invisible for this long. */
export interface Wait {
  waitSeconds: number;
}

/** What handling a message came to: done (deleted from the queue), or a wait and why. */
type Outcome =
  { kind: 'done'; delivered?: boolean } | { kind: 'wait'; seconds: number; reason: WaitReason; dueAt?: Date };
const DONE: Outcome = { kind: 'done' };

/** A container sweeps an endpoint's due parked chains after a success at most this often. */
const SUCCESS_SWEEP_INTERVAL_MS = 5_000;

/**
 * Delivers one queued message, or decides that it waits. Attempts follow the retry schedule and
 * are logged; the endpoint's breaker, pause (Retry-After) and rate cap decide whether an attempt
 * may start at all, and waiting costs no attempt. After the last attempt the message becomes a
 * dead letter, in the log and on the DLQ. A 410, or failing for too long, disables the endpoint
 * and emits `endpoint.disabled`; a disabled endpoint's messages are parked as dead letters for a
 * redrive. Nothing is dropped but a deleted endpoint's messages and stale copies of a message
 * already delivered or replayed.
 */
export class DeliveryService {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly healthCache: ReturnType<typeof ttlCache<EndpointHealth>>;
  private readonly suspendedCache: ReturnType<typeof ttlCache<boolean>>;
  private readonly lastSweepMs = new Map<string, number>();

  constructor(private readonly deps: DeliveryServiceDeps) {
    const clock = deps.clock ?? systemClock;
    this.now = () => clock.now();
    this.random = deps.random ?? Math.random;
    this.healthCache = ttlCache(
      (key) => {
        const [tenantId, subscriptionId] = key.split('\n') as [string, string];
        return deps.health.getHealth(tenantId, subscriptionId);
      },
      deps.healthCacheMs ?? 1_000,
      clock,
    );
    const { tenantSuspended } = deps;
    this.suspendedCache = ttlCache(
      (tenantId) => (tenantSuspended ? tenantSuspended(tenantId) : Promise.resolve(false)),
      deps.healthCacheMs ?? 1_000,
      clock,
    );
  }

  /**
   * `sentAtMs`: when the queue got this copy (SQS SentTimestamp); messages near the retention limit become dead
   * letters. `invocationId`: the correlation id of a message that has none (a digest).
   */
  async handle(
    queued: DeliveryMessage,
    receiveCount: number,
    sentAtMs?: number,
    invocationId?: string,
  ): Promise<Wait | undefined> {
    const message =
      correlationIdOf(queued) === undefined && invocationId ? { ...queued, correlationId: invocationId } : queued;
    const { tenantId, subscriptionId } = message;
    const subject = subjectOf(message);
    const subscription = await this.deps.endpoint(tenantId, subscriptionId);
    if (!subscription) {
      logger.info('Endpoint deleted; its message is dropped', { subscriptionId, eventId: subject.id });
      return;
    }
    // Digests are one group per endpoint: at most one in flight, nothing to bound.
    const parking = 'event' in message ? this.deps.parking : undefined;
    if (!parking) {
      const outcome = await this.attempt(message, subscription, receiveCount, sentAtMs);
      if (outcome.kind === 'done') return;
      if (needsSlot(outcome.reason)) this.logWaiting(message, outcome, receiveCount, 'queue');
      return { waitSeconds: outcome.seconds };
    }

    const orderKey = subject.orderingKey;
    const chain = await parking.chain(tenantId, subscriptionId, orderKey);
    if (message.parked) {
      // A wake-up copy: only the head of its member's chain acts.
      const turn = chainTurn(chain, message.parked.seq);
      if (turn !== 'head') {
        logger.debug('Wake-up copy is no-op', { subscriptionId, eventId: subject.id, turn, seq: message.parked.seq });
        return;
      }
    } else if (chainLength(chain) > 0) {
      // This member has parked messages: this one parks behind them, never overtakes them.
      return this.parkMessage(
        parking,
        message,
        chain,
        { kind: 'wait', seconds: 0, reason: 'breaker_open' },
        receiveCount,
        'behind_parked',
      );
    }

    const outcome = await this.attempt(message, subscription, receiveCount, sentAtMs);
    if (outcome.kind === 'wait') {
      if (!needsSlot(outcome.reason)) return { waitSeconds: outcome.seconds };
      const now = this.now();
      const until = new Date(now.getTime() + slotLeaseSeconds(outcome.seconds) * 1000);
      if (await parking.claimSlot(tenantId, subscriptionId, orderKey, now, until, this.maxWaiting)) {
        this.logWaiting(message, outcome, receiveCount, 'queue');
        return { waitSeconds: outcome.seconds };
      }
      if (message.parked) {
        // The chain's head stays parked where it is; a sweep wakes it again.
        await parking.lookAt(tenantId, subscriptionId, orderKey, outcome.dueAt ?? now);
        this.logWaiting(message, outcome, receiveCount, 'parked');
        return;
      }
      return this.parkMessage(parking, message, chain, outcome, receiveCount, 'slots_full');
    }
    await this.finish(parking, message, receiveCount, chain, outcome.delivered === true);
  }

  private get maxWaiting(): number {
    return this.deps.maxWaitingPerEndpoint ?? MAX_WAITING_PER_ENDPOINT;
  }

  /**
   * How long the event of a waiting message has waited since it occurred: the metric the backlog alarm reads (only
   * for messages waiting on the queue, which SQS's age metric leaves out), and a line naming the endpoint and why.
   */
  private logWaiting(
    message: DeliveryMessage,
    outcome: Extract<Outcome, { kind: 'wait' }>,
    receiveCount: number,
    where: 'queue' | 'parked',
  ) {
    const subject = subjectOf(message);
    const waitingSeconds = Math.max(0, Math.round((this.now().getTime() - Date.parse(subject.occurredAt)) / 1000));
    if (where === 'queue') recordMetric('QueuedMessageWaitingSeconds', waitingSeconds);
    logger.info('Webhook message waiting', {
      tenantId: message.tenantId,
      subscriptionId: message.subscriptionId,
      eventId: subject.id,
      reason: outcome.reason,
      where,
      waitSeconds: outcome.seconds,
      waitingSeconds,
      receiveCount,
    });
  }

  /** Parks a message at the tail of its member's chain and lets the queue delete it. */
  private async parkMessage(
    parking: ParkingStore,
    message: DeliveryMessage,
    seen: ParkedChain | null,
    outcome: Extract<Outcome, { kind: 'wait' }>,
    receiveCount: number,
    cause: 'slots_full' | 'behind_parked',
  ): Promise<Wait | undefined> {
    const { tenantId, subscriptionId } = message;
    const orderKey = subjectOf(message).orderingKey;
    let chain = seen;
    for (let tries = 0; tries < 3; tries++) {
      const now = this.now();
      const result = await parking.park(message, chain, now, outcome.dueAt ?? now);
      if (result === 'already') return; // parked before a crash kept it on the queue
      if (result === 'parked') {
        this.logWaiting(message, outcome, receiveCount, 'parked');
        recordMetric('MessagesHeldInTable');
        logger.info('Webhook messages parked', {
          tenantId,
          subscriptionId,
          orderKey,
          cause,
          parkedInChain: chainLength(chain) + 1,
        });
        return;
      }
      chain = await parking.chain(tenantId, subscriptionId, orderKey);
      // The chain emptied meanwhile: look again shortly instead of starting a chain nobody wakes.
      if (cause === 'behind_parked' && chainLength(chain) === 0) return { waitSeconds: 1 };
    }
    return { waitSeconds: 1 };
  }

  /**
   * A message is done (delivered, dead, dropped). Its slot is freed and handed to a parked chain;
   * if it was its chain's head, the next place is woken before the head leaves the chain (a crash
   * in between wakes it twice: the second copy is a no-op), and an emptied chain hands on to
   * another chain. After a success, the endpoint's due chains are woken (now and then).
   */
  private async finish(
    parking: ParkingStore,
    message: DeliveryMessage,
    receiveCount: number,
    seen: ParkedChain | null,
    delivered: boolean,
  ) {
    const { tenantId, subscriptionId } = message;
    const orderKey = subjectOf(message).orderingKey;
    const now = this.now();
    let batons = 0;
    // Only a message that has waited can hold a slot.
    if (receiveCount > 1 && (await parking.releaseSlot(tenantId, subscriptionId, orderKey))) batons += 1;
    if (message.parked && seen) {
      let chain: ParkedChain | null = seen;
      for (let tries = 0; tries < 3 && chain && chain.head === message.parked.seq; tries++) {
        const nextSeq = chain.head + 1;
        if (nextSeq < chain.tail) {
          const next = await parking.item(tenantId, subscriptionId, orderKey, nextSeq);
          if (next) await this.deps.requeue({ ...next, parked: { seq: nextSeq, wake: 'next' } });
        }
        const lookAt = new Date(now.getTime() + WAKE_GRACE_SECONDS * 1000);
        if (await parking.consume(message, chain.head, chain.tail, now, lookAt)) {
          if (nextSeq >= chain.tail) batons += 1;
          break;
        }
        chain = await parking.chain(tenantId, subscriptionId, orderKey);
      }
    }
    const key = `${tenantId}\n${subscriptionId}`;
    const sweepAll = delivered && now.getTime() - (this.lastSweepMs.get(key) ?? 0) >= SUCCESS_SWEEP_INTERVAL_MS;
    if (sweepAll) this.lastSweepMs.set(key, now.getTime());
    if (batons > 0 || sweepAll)
      await this.sweep(
        parking,
        tenantId,
        subscriptionId,
        sweepAll ? this.maxWaiting : batons,
        sweepAll ? 'success' : 'handover',
      );
  }

  /**
   * Wakes up to `budget` parked chains of an endpoint, the longest unattended first: a copy of
   * each head goes to the queue (its member's group) and the chain is not looked at again for a
   * while. A head that still cannot wait in flight stays parked where it is.
   */
  private async sweep(
    parking: ParkingStore,
    tenantId: string,
    subscriptionId: string,
    budget: number,
    trigger: 'success' | 'handover',
  ) {
    const now = this.now();
    const chains = await parking.chains(tenantId, subscriptionId, budget);
    let woken = 0;
    for (const chain of chains) {
      const head = await parking.item(tenantId, subscriptionId, chain.orderKey, chain.head);
      if (!head) continue;
      await this.deps.requeue({ ...head, parked: { seq: chain.head, wake: now.getTime().toString(36) } });
      await parking.lookAt(
        tenantId,
        subscriptionId,
        chain.orderKey,
        new Date(now.getTime() + WAKE_GRACE_SECONDS * 1000),
      );
      woken += 1;
    }
    if (woken > 0)
      logger.info('Webhook messages unparked', {
        tenantId,
        subscriptionId,
        trigger,
        chainsWoken: woken,
        chainsSeen: chains.length,
      });
  }

  /**
   * The delivery itself: the log's view of the message, the endpoint's gate, one attempt and what
   * it leads to. Waiting here never parks: the caller decides where a waiting message waits.
   */
  private async attempt(
    message: DeliveryMessage,
    subscription: WebhookSubscription,
    receiveCount: number,
    sentAtMs?: number,
  ): Promise<Outcome> {
    const { log, health: healthStore, policy } = this.deps;
    const { tenantId, subscriptionId } = message;
    const subject = subjectOf(message);
    if ('digest' in message) {
      // A digest goes out once its window has closed (and the stream had time to fill it).
      const dueMs = (message.digest.windowStart + message.digest.intervalSeconds + DIGEST_GRACE_SECONDS) * 1000;
      const early = dueMs - this.now().getTime();
      if (early > 0) return { kind: 'wait', seconds: Math.ceil(early / 1000), reason: 'digest_window' };
    }
    // A first receive of a first-round copy has no log yet: skip the read on the common path.
    // A wake-up copy of a parked message may have attempts logged already.
    const firstSight = receiveCount <= 1 && message.round === 0 && !message.deadLetter && !message.parked;
    const logged = firstSight ? null : await log.getMessage(tenantId, subscriptionId, subject.id);
    if (logged && message.round < logged.round) return DONE; // a replay superseded this copy
    if (logged && message.round === logged.round && logged.status === 'delivered') return DONE; // delivered already
    if (logged && message.round === logged.round && logged.status === 'dead') {
      if (message.parked) return DONE; // parked, then dead-lettered by an earlier copy: nothing to restart
      // A copy of a dead letter came back (an operator redrove the DLQ): it starts a new round,
      // queued as a message of that round (this copy, of the old round, is done).
      const restarted = await log.startRound(tenantId, subscriptionId, subject.id, this.now());
      if (restarted) await this.deps.requeue(restarted);
      return DONE;
    }
    const sameRound = logged && logged.round === message.round;
    const roundAttempts = sameRound ? logged.roundAttempts : 0;
    const attemptNumber = (logged?.attempts ?? 0) + 1;
    if (sameRound && logged.status === 'failing' && logged.nextAttemptAt) {
      // Back before its time (a visibility change was lost, or a parked head woken early): the schedule still decides.
      const early = Date.parse(logged.nextAttemptAt) - this.now().getTime();
      if (early > 1000)
        return {
          kind: 'wait',
          seconds: Math.ceil(early / 1000),
          reason: 'not_due',
          dueAt: new Date(logged.nextAttemptAt),
        };
    }

    if (await this.suspendedCache.get(tenantId)) {
      // Held as for an open breaker, before any rule that could dead-letter it: no attempt, nothing counted.
      const seconds = waitSeconds(SUSPENDED_RECHECK_SECONDS, receiveCount, this.random);
      logger.debug('Tenant suspended; delivery held', { subscriptionId, eventId: subject.id, seconds, receiveCount });
      return { kind: 'wait', seconds, reason: 'tenant_suspended' };
    }
    if (!subscription.enabled) {
      await log.markDead(message, this.now(), 'endpoint_disabled');
      recordMetric('MessagesParked');
      logger.info('Endpoint disabled; message parked as a dead letter', { subscriptionId, eventId: subject.id });
      return DONE;
    }
    const held = this.maintenanceHold(subscription, message);
    if (held) return held;
    // Receives spent waiting out the endpoint's maintenance windows are not counted against the message.
    const receives = Math.max(1, receiveCount - windowReceives(subscription.maintenanceWindows, sentAtMs, this.now()));
    const nearRetention = sentAtMs !== undefined && this.now().getTime() - sentAtMs >= QUEUE_AGE_LIMIT_MS;
    if (receives >= RECEIVE_LIMIT || nearRetention) {
      // Before SQS would move or expire it on its own: a dead letter the tenant can see and redrive.
      await this.deps.deadLetter(message, { reason: 'receive_limit', attempts: roundAttempts });
      await log.markDead(message, this.now(), 'receive_limit');
      recordMetric('MessagesDeadLettered');
      logger.warn('Receive limit reached; message dead-lettered', {
        subscriptionId,
        eventId: subject.id,
        receiveCount,
        queuedForMs: sentAtMs && this.now().getTime() - sentAtMs,
      });
      return DONE;
    }

    const healthKey = `${tenantId}\n${subscriptionId}`;
    const health = await this.healthCache.get(healthKey);
    const decision = gate(health, this.now(), policy, subscription.rateLimitPerSecond);
    let probe = false;
    const wait = (seconds: number, reason: WaitReason): Outcome => {
      const waited = waitSeconds(seconds, receives, this.random);
      logger.debug('Delivery waits; no attempt', {
        subscriptionId,
        eventId: subject.id,
        reason,
        seconds: waited,
        receiveCount,
      });
      return { kind: 'wait', seconds: waited, reason };
    };
    if (decision.kind === 'wait') {
      // An endpoint that only waits (paused, open) still gets disabled when it has failed too long.
      if (this.failingTooLong(health, this.now(), subscription))
        return this.disableFailing(subscription, message, health);
      return wait(decision.seconds, decision.reason);
    }
    if (decision.kind === 'probe') {
      probe = await healthStore.claimProbe(tenantId, subscriptionId, this.now(), this.deps.attemptTimeoutSeconds + 5);
      if (!probe) {
        // Another worker probes, or this container's view was stale: wait as long as the fresh state says.
        const fresh = gate(
          await healthStore.getHealth(tenantId, subscriptionId),
          this.now(),
          policy,
          subscription.rateLimitPerSecond,
        );
        return wait(fresh.kind === 'wait' ? fresh.seconds : 1, fresh.kind === 'wait' ? fresh.reason : 'probe_taken');
      }
    } else if (
      decision.ratePerSecond !== undefined &&
      !(await healthStore.takeRateToken(tenantId, subscriptionId, this.now(), decision.ratePerSecond))
    ) {
      return wait(1, 'rate_limited');
    }

    const result = await this.send(subscription, message);
    if (!result) return DONE; // an empty digest: nothing to send
    const at = this.now();
    const attempt = {
      at: at.toISOString(),
      ok: result.ok,
      durationMs: result.durationMs,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.responseBody && !result.ok ? { responseBody: result.responseBody } : {}),
      ...(probe ? { probe } : {}),
    };
    if (result.ok) recordMetric('AttemptsDelivered');
    else recordMetric('AttemptsFailed');
    recordMetric('AttemptDuration', result.durationMs);
    logger.info('Webhook attempt', {
      // Powertools' key for it, as in the API's log lines: one query finds a request's whole path.
      correlation_id: correlationIdOf(message),
      subscriptionId,
      eventId: subject.id,
      seq: subject.seq,
      attempt: attemptNumber,
      round: message.round,
      probe,
      ...attempt,
    });
    const record = (
      outcome: 'delivered' | 'failing' | 'dead',
      extra: { nextAttemptAt?: string; deadReason?: DeadReason } = {},
    ) => log.recordAttempt({ message, attempt, attemptNumber, roundAttempts: roundAttempts + 1, outcome, ...extra });

    if (result.permanent) {
      // Nothing reached the receiver and a retry would fail the same way: a dead letter now, health untouched.
      const detail = {
        reason: result.permanent,
        attempts: roundAttempts + 1,
        ...(result.error ? { lastError: result.error } : {}),
      };
      await this.deps.deadLetter(message, detail);
      await record('dead', { deadReason: result.permanent });
      recordMetric('MessagesDeadLettered');
      logger.warn('Permanent failure; message dead-lettered', {
        subscriptionId,
        eventId: subject.id,
        reason: result.permanent,
        error: result.error,
      });
      return DONE;
    }
    if (result.ok) {
      await record('delivered');
      await healthStore.recordSuccess(tenantId, subscriptionId, at, probe);
      if (probe) {
        // Only the claimed probe's success closes an open breaker: counted once, by the worker that closed it.
        recordMetric('BreakerClosed');
        logger.info('Breaker closed', { subscriptionId });
      }
      return { kind: 'done', delivered: true };
    }

    if (
      result.status === 410 &&
      (await healthStore.disable(subscription, at, { reason: 'gone', lastStatus: 410, ...tracedBy(message) }))
    ) {
      await record('dead', { deadReason: 'endpoint_disabled' });
      recordMetric('EndpointsDisabled');
      logger.warn('Endpoint answered 410 Gone; disabled', { subscriptionId });
      return DONE;
    }
    const last = {
      ...(result.status !== undefined ? { lastStatus: result.status } : {}),
      ...(result.error ? { lastError: result.error } : {}),
    };
    const after = await this.countFailure(tenantId, subscriptionId, at, last, probe);
    if (
      this.failingTooLong(after, at, subscription) &&
      (await healthStore.disable(subscription, at, { ...failingDetail(after), ...tracedBy(message) }))
    ) {
      await record('dead', { deadReason: 'endpoint_disabled' });
      recordMetric('EndpointsDisabled');
      logger.warn('Endpoint failing for too long; disabled', { subscriptionId, failingSince: after.failingSince });
      return DONE;
    }
    if (result.retryAfterSeconds !== undefined)
      await healthStore.pauseUntil(tenantId, subscriptionId, new Date(at.getTime() + result.retryAfterSeconds * 1000));

    const next = nextRetry(policy, roundAttempts + 1, result.retryAfterSeconds, this.random);
    if (next.kind === 'dead') {
      await this.deps.deadLetter(message, { reason: 'attempts_exhausted', attempts: roundAttempts + 1, ...last });
      await record('dead', { deadReason: 'attempts_exhausted' });
      recordMetric('MessagesDeadLettered');
      logger.warn('Attempts exhausted; message dead-lettered', {
        subscriptionId,
        eventId: subject.id,
        attempts: roundAttempts + 1,
      });
      return DONE;
    }
    const dueAt = new Date(at.getTime() + next.delaySeconds * 1000);
    const recorded = await record('failing', { nextAttemptAt: dueAt.toISOString() });
    if (recorded === 'stale') return DONE;
    return { kind: 'wait', seconds: next.delaySeconds, reason: 'retry', dueAt };
  }

  /**
   * The endpoint's maintenance window in force: the message waits until it ends, before the receive limit, the
   * breaker or any attempt, so the window costs it no retry and the endpoint's health stays as it was.
   */
  private maintenanceHold(subscription: WebhookSubscription, message: DeliveryMessage): Outcome | undefined {
    const now = this.now();
    const window = activeWindow(subscription.maintenanceWindows, now);
    if (!window) return undefined;
    const seconds = windowWaitSeconds(window, now);
    recordMetric('DeliveriesHeldForMaintenance');
    logger.info('Endpoint in a maintenance window; delivery held', {
      subscriptionId: subscription.subscriptionId,
      eventId: subjectOf(message).id,
      windowId: window.windowId,
      endsAt: window.endsAt,
      seconds,
    });
    return { kind: 'wait', seconds, reason: 'maintenance_window', dueAt: new Date(window.endsAt) };
  }

  /** Failing too long to keep the endpoint, not counting time spent inside its maintenance windows. */
  private failingTooLong(health: EndpointHealth, at: Date, subscription: WebhookSubscription): boolean {
    if (health.failingSince === undefined) return false;
    const excused = windowTimeBetween(subscription.maintenanceWindows, Date.parse(health.failingSince), at.getTime());
    return failingTooLong(health, new Date(at.getTime() - excused), this.deps.policy);
  }

  /**
   * A failed attempt counts against the endpoint; when the breaker decides to open (threshold
   * reached, or a probe failed), one worker opens it and the others read what it wrote.
   */
  private async countFailure(
    tenantId: string,
    subscriptionId: string,
    at: Date,
    last: { lastStatus?: number; lastError?: string },
    probe: boolean,
  ) {
    const counted = await this.deps.health.countFailure(tenantId, subscriptionId, at, last);
    const opening = breakerOpens(counted, { probe }, this.deps.policy);
    if (!opening) return counted;
    const until = new Date(at.getTime() + opening.openSeconds * 1000);
    const opened = await this.deps.health.openBreaker(tenantId, subscriptionId, { from: opening.from, until });
    if (!opened) return this.deps.health.getHealth(tenantId, subscriptionId);
    // Counted by the one worker whose write opened it.
    recordMetric('BreakerOpened');
    logger.info('Breaker opened', { subscriptionId, from: opening.from, openUntil: until.toISOString() });
    return opened;
  }

  private async disableFailing(
    subscription: WebhookSubscription,
    message: DeliveryMessage,
    health: EndpointHealth,
  ): Promise<Outcome> {
    const now = this.now();
    // Lost to a concurrent update of the endpoint: look again in a second (a short wait needs no slot).
    if (!(await this.deps.health.disable(subscription, now, { ...failingDetail(health), ...tracedBy(message) })))
      return { kind: 'wait', seconds: 1, reason: 'disable_raced' };
    await this.deps.log.markDead(message, now, 'endpoint_disabled');
    recordMetric('EndpointsDisabled');
    logger.warn('Endpoint failing for too long; disabled', {
      subscriptionId: subscription.subscriptionId,
      failingSince: health.failingSince,
    });
    return DONE;
  }

  /** One attempt: the event shaped for the endpoint, or the digest window's events in one body. */
  private async send(subscription: WebhookSubscription, message: DeliveryMessage): Promise<AttemptResult | null> {
    if ('event' in message) {
      let body: string;
      try {
        body = eventBodyFor(subscription, message.event);
      } catch (error) {
        if (!(error instanceof CallbackRenderError)) throw error;
        return { ok: false, durationMs: 0, error: `template failed: ${error.message}`, permanent: 'template_failed' };
      }
      return this.deps.send(subscription, { id: message.event.id, body, ...tracedBy(message) });
    }
    if (!this.deps.digests) throw new Error('This worker was not given digest support');
    const events = await this.deps.digests.close(message.tenantId, message.subscriptionId, message.digest);
    if (events.length === 0) return null;
    const id = digestId(message.digest);
    const { tenantId, subscriptionId, digest } = message;
    const body = digestBodyFor(subscription, { tenantId, subscriptionId, digest, events, id });
    return this.deps.send(subscription, { id, body, ...tracedBy(message) });
  }
}

/** A delivery's correlation id as an optional field: what the sender and `endpoint.disabled` carry. */
function tracedBy(message: DeliveryMessage): { correlationId?: string } {
  const correlationId = correlationIdOf(message);
  return correlationId === undefined ? {} : { correlationId };
}
