import type { LoyaltyEvent } from '../../functions/domain/events';
import type { Page, WebhookSubscription } from '../../functions/domain/ports';
import { HEALTHY, type EndpointHealth } from '../../functions/domain/webhooks/breaker';
import { afterAttempt, deadLetterOf } from '../../functions/domain/webhooks/delivery-record';
import { endpointDisabledEvent } from '../../functions/domain/webhooks/disabling';
import {
  digestWindowStart,
  subjectOf,
  type DeadReason,
  type DeliveryMessage,
  type DigestRef,
  type QueuedDelivery,
} from '../../functions/domain/webhooks/message';
import type {
  AttemptRecord,
  AttemptToRecord,
  DeadLetter,
  DeliveryLog,
  DeliveryQueue,
  DeliveryRecord,
  DigestStore,
  DisableDetail,
  EndpointDirectory,
  EndpointHealthStore,
  MessageQuery,
} from '../../functions/domain/webhooks/ports';
import { asPromise } from './as-promise';

/**
 * In-memory fakes of the webhook ports, with the same conditions the DynamoDB adapters enforce
 * (a message's writes are conditioned on its round; the breaker opens from one state only), so
 * the delivery service's rules are tested without a table. The DynamoDB Local tests cover the
 * adapters themselves.
 */

const key = (...parts: (string | number)[]) => parts.join('\n');

export class MemoryDeliveryLog implements DeliveryLog {
  readonly messages = new Map<string, DeliveryRecord>();
  readonly attempts: (AttemptRecord & { tenantId: string; subscriptionId: string })[] = [];
  readonly deadLetters = new Map<string, DeadLetter & { tenantId: string; subscriptionId: string }>();

  getMessage(tenantId: string, subscriptionId: string, eventId: string): Promise<DeliveryRecord | null> {
    return asPromise(() => {
      const found = this.messages.get(key(tenantId, subscriptionId, eventId));
      return found ? { ...found } : null;
    });
  }

  recordAttempt(input: AttemptToRecord): Promise<'recorded' | 'stale'> {
    return asPromise(() => {
      const { message, attempt } = input;
      const { id } = subjectOf(message);
      // The attempt happened: it is logged even when the message's own write is stale.
      if (
        !this.attempts.some(
          (a) => a.eventId === id && a.attempt === input.attemptNumber && a.subscriptionId === message.subscriptionId,
        )
      ) {
        this.attempts.push({
          tenantId: message.tenantId,
          subscriptionId: message.subscriptionId,
          eventId: id,
          attempt: input.attemptNumber,
          round: message.round,
          ...attempt,
        });
      }
      const { fields, deadReason } = afterAttempt(input);
      return this.write(message, new Date(attempt.at), fields, deadReason);
    });
  }

  markDead(message: DeliveryMessage, now: Date, reason: DeadReason): Promise<'recorded' | 'stale'> {
    return asPromise(() => this.write(message, now, { status: 'dead', nextAttemptAt: undefined }, reason));
  }

  private write(
    message: DeliveryMessage,
    now: Date,
    fields: Partial<DeliveryRecord>,
    deadReason?: DeadReason,
  ): 'recorded' | 'stale' {
    const subject = subjectOf(message);
    const id = key(message.tenantId, message.subscriptionId, subject.id);
    const current = this.messages.get(id);
    if (current && current.round !== message.round) return 'stale';
    const at = now.toISOString();
    const next: DeliveryRecord = {
      tenantId: message.tenantId,
      subscriptionId: message.subscriptionId,
      eventId: subject.id,
      eventType: subject.type,
      occurredAt: subject.occurredAt,
      ...('event' in message ? { event: message.event } : { digest: message.digest }),
      createdAt: current?.createdAt ?? at,
      attempts: current?.attempts ?? 0,
      roundAttempts: current?.roundAttempts ?? 0,
      status: current?.status ?? 'pending',
      ...current,
      ...fields,
      round: message.round,
    };
    if (deadReason) {
      next.deadAt = at;
      next.deadReason = deadReason;
      this.deadLetters.set(id, {
        tenantId: message.tenantId,
        subscriptionId: message.subscriptionId,
        ...deadLetterOf(message, at, deadReason),
      });
    }
    // Stored like an item: a field set to undefined is absent, not present with no value.
    const stored = Object.fromEntries(Object.entries(next).filter(([, value]) => value !== undefined));
    this.messages.set(id, stored as DeliveryRecord);
    return 'recorded';
  }

  startRound(tenantId: string, subscriptionId: string, eventId: string, now: Date): Promise<DeliveryMessage | null> {
    return asPromise(() => {
      const id = key(tenantId, subscriptionId, eventId);
      const current = this.messages.get(id);
      if (!current) return null;
      const round = current.round + 1;
      const { nextAttemptAt: _n, deadAt: _d, deadReason: _r, ...rest } = current;
      this.messages.set(id, { ...rest, round, roundAttempts: 0, status: 'pending', roundStartedAt: now.toISOString() });
      this.deadLetters.delete(id);
      return current.event
        ? { tenantId, subscriptionId, round, event: current.event }
        : { tenantId, subscriptionId, round, digest: current.digest! };
    });
  }

  listMessages(tenantId: string, subscriptionId: string, query: MessageQuery): Promise<Page<DeliveryRecord>> {
    return asPromise(() => {
      const matching = [...this.messages.values()]
        .filter((m) => m.tenantId === tenantId && m.subscriptionId === subscriptionId)
        .filter((m) => (!query.from || m.occurredAt >= query.from) && (!query.to || m.occurredAt <= query.to))
        .filter((m) => !query.status || m.status === query.status)
        .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) * (query.order === 'asc' ? 1 : -1));
      return {
        items: matching.slice(0, query.limit),
        ...(matching.length > query.limit ? { nextCursor: 'more' } : {}),
      };
    });
  }

  listAttempts(tenantId: string, subscriptionId: string, query: { limit: number }): Promise<Page<AttemptRecord>> {
    return asPromise(() => {
      const mine = this.attempts
        .filter((a) => a.tenantId === tenantId && a.subscriptionId === subscriptionId)
        .reverse();
      return { items: mine.slice(0, query.limit).map(({ tenantId: _t, subscriptionId: _s, ...attempt }) => attempt) };
    });
  }

  messageAttempts(tenantId: string, subscriptionId: string, eventId: string): Promise<AttemptRecord[]> {
    return asPromise(() =>
      this.attempts
        .filter((a) => a.tenantId === tenantId && a.subscriptionId === subscriptionId && a.eventId === eventId)
        .map(({ tenantId: _t, subscriptionId: _s, ...attempt }) => attempt),
    );
  }

  listDeadLetters(tenantId: string, subscriptionId: string, query: { limit: number }): Promise<Page<DeadLetter>> {
    return asPromise(() => {
      const mine = [...this.deadLetters.values()]
        .filter((l) => l.tenantId === tenantId && l.subscriptionId === subscriptionId)
        .sort((a, b) => a.deadAt.localeCompare(b.deadAt))
        .map(({ tenantId: _t, subscriptionId: _s, ...letter }) => letter);
      return { items: mine.slice(0, query.limit), ...(mine.length > query.limit ? { nextCursor: 'more' } : {}) };
    });
  }
}

/** Endpoint health and the endpoints themselves (disabling changes the endpoint and emits its event). */
export class MemoryEndpointHealth implements EndpointHealthStore {
  readonly health = new Map<string, EndpointHealth>();
  readonly rateWindows = new Map<string, number>();
  readonly events: LoyaltyEvent[] = [];

  constructor(readonly endpoints: Map<string, WebhookSubscription>) {}

  private current(tenantId: string, subscriptionId: string): EndpointHealth {
    return { ...(this.health.get(key(tenantId, subscriptionId)) ?? HEALTHY) };
  }

  getHealth(tenantId: string, subscriptionId: string): Promise<EndpointHealth> {
    return asPromise(() => this.current(tenantId, subscriptionId));
  }

  countFailure(
    tenantId: string,
    subscriptionId: string,
    now: Date,
    failure: { lastStatus?: number; lastError?: string },
  ): Promise<EndpointHealth> {
    return asPromise(() => {
      const health = this.current(tenantId, subscriptionId);
      const next: EndpointHealth = {
        ...health,
        consecutiveFailures: health.consecutiveFailures + 1,
        failingSince: health.failingSince ?? now.toISOString(),
        ...(failure.lastStatus !== undefined ? { lastStatus: failure.lastStatus } : {}),
        ...(failure.lastError !== undefined ? { lastError: failure.lastError } : {}),
      };
      this.health.set(key(tenantId, subscriptionId), next);
      return { ...next };
    });
  }

  openBreaker(
    tenantId: string,
    subscriptionId: string,
    change: { from: 'closed' | 'halfOpen'; until: Date },
  ): Promise<EndpointHealth | null> {
    return asPromise(() => {
      const health = this.current(tenantId, subscriptionId);
      if (health.state !== change.from) return null;
      const { probeUntil: _p, closedAt: _c, ...rest } = health;
      const next: EndpointHealth = {
        ...rest,
        state: 'open',
        openUntil: change.until.toISOString(),
        openCount: health.openCount + 1,
      };
      this.health.set(key(tenantId, subscriptionId), next);
      return { ...next };
    });
  }

  recordSuccess(tenantId: string, subscriptionId: string, now: Date, probe: boolean): Promise<void> {
    return asPromise(() => {
      const health = this.current(tenantId, subscriptionId);
      const { failingSince: _f, lastError: _e, ...rest } = health;
      if (probe) {
        const { openUntil: _o, probeUntil: _p, ...closed } = rest;
        this.health.set(key(tenantId, subscriptionId), {
          ...closed,
          state: 'closed',
          consecutiveFailures: 0,
          openCount: 0,
          closedAt: now.toISOString(),
        });
      } else if (health.state === 'closed') {
        this.health.set(key(tenantId, subscriptionId), { ...rest, consecutiveFailures: 0 });
      }
    });
  }

  resetHealth(tenantId: string, subscriptionId: string): Promise<void> {
    return asPromise(() => {
      this.health.set(key(tenantId, subscriptionId), { ...HEALTHY });
    });
  }

  claimProbe(tenantId: string, subscriptionId: string, now: Date, probeSeconds: number): Promise<boolean> {
    return asPromise(() => {
      const health = this.current(tenantId, subscriptionId);
      const at = now.toISOString();
      const due =
        (health.state === 'open' && health.openUntil! <= at) ||
        (health.state === 'halfOpen' && health.probeUntil! <= at);
      if (!due) return false;
      this.health.set(key(tenantId, subscriptionId), {
        ...health,
        state: 'halfOpen',
        probeUntil: new Date(now.getTime() + probeSeconds * 1000).toISOString(),
      });
      return true;
    });
  }

  pauseUntil(tenantId: string, subscriptionId: string, until: Date): Promise<void> {
    return asPromise(() => {
      const health = this.current(tenantId, subscriptionId);
      if (health.pauseUntil && health.pauseUntil >= until.toISOString()) return;
      this.health.set(key(tenantId, subscriptionId), { ...health, pauseUntil: until.toISOString() });
    });
  }

  takeRateToken(tenantId: string, subscriptionId: string, now: Date, perSecond: number): Promise<boolean> {
    return asPromise(() => {
      const window = key(tenantId, subscriptionId, Math.floor(now.getTime() / 1000));
      const taken = this.rateWindows.get(window) ?? 0;
      if (taken >= perSecond) return false;
      this.rateWindows.set(window, taken + 1);
      return true;
    });
  }

  disable(subscription: WebhookSubscription, now: Date, detail: DisableDetail): Promise<boolean> {
    return asPromise(() => {
      const id = key(subscription.tenantId, subscription.subscriptionId);
      const current = this.endpoints.get(id);
      if (!current) return false;
      if (!current.enabled) return true;
      const seq = (current.eventSeq ?? 0) + 1;
      this.endpoints.set(id, {
        ...current,
        enabled: false,
        disabledReason: detail.reason,
        disabledAt: now.toISOString(),
        eventSeq: seq,
      });
      this.events.push(
        endpointDisabledEvent({
          tenantId: current.tenantId,
          subscriptionId: current.subscriptionId,
          url: current.url,
          seq,
          now,
          detail,
        }),
      );
      return true;
    });
  }
}

/** Endpoints by tenant, read straight from a map (no cache). */
export class MemoryEndpoints implements EndpointDirectory {
  constructor(readonly endpoints: Map<string, WebhookSubscription>) {}

  static key(tenantId: string, subscriptionId: string): string {
    return key(tenantId, subscriptionId);
  }

  forTenant(tenantId: string): Promise<WebhookSubscription[]> {
    return asPromise(() => [...this.endpoints.values()].filter((s) => s.tenantId === tenantId));
  }

  get(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | null> {
    return asPromise(() => this.endpoints.get(key(tenantId, subscriptionId)) ?? null);
  }
}

/** The delivery queue: what was queued, in order. */
export class MemoryDeliveryQueue implements DeliveryQueue {
  readonly queued: QueuedDelivery[] = [];

  enqueue(messages: QueuedDelivery[]): Promise<void> {
    return asPromise(() => {
      this.queued.push(...messages);
    });
  }
}

/** Digest windows of fixed intervals; a closed window sends later events to the next one. */
export class MemoryDigestStore implements DigestStore {
  readonly windows = new Map<string, { events: LoyaltyEvent[]; closed: boolean; queued: boolean }>();

  add(
    tenantId: string,
    subscriptionId: string,
    event: LoyaltyEvent,
    intervalSeconds: number,
    now: Date,
  ): Promise<{ digest: DigestRef; queue: boolean }> {
    return asPromise(() => {
      let windowStart = digestWindowStart(now, intervalSeconds);
      while (this.windows.get(key(tenantId, subscriptionId, windowStart))?.closed) windowStart += intervalSeconds;
      const id = key(tenantId, subscriptionId, windowStart);
      const window = this.windows.get(id) ?? { events: [], closed: false, queued: false };
      window.events.push(event);
      this.windows.set(id, window);
      return { digest: { windowStart, part: 0, intervalSeconds }, queue: !window.queued };
    });
  }

  markQueued(tenantId: string, subscriptionId: string, digest: DigestRef): Promise<void> {
    return asPromise(() => {
      this.windows.get(key(tenantId, subscriptionId, digest.windowStart))!.queued = true;
    });
  }

  close(tenantId: string, subscriptionId: string, digest: DigestRef): Promise<LoyaltyEvent[]> {
    return asPromise(() => {
      const window = this.windows.get(key(tenantId, subscriptionId, digest.windowStart)) ?? {
        events: [],
        closed: false,
        queued: false,
      };
      window.closed = true;
      this.windows.set(key(tenantId, subscriptionId, digest.windowStart), window);
      return [...window.events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
    });
  }
}
