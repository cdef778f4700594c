import type { LoyaltyEvent } from '../events';
import type { Page, WebhookSubscription } from '../ports';
import type { EndpointHealth } from './breaker';
import type { DeadReason, DeliveryMessage, DigestRef, QueuedDelivery } from './message';
import type { ParkedChain, ParkedChainRef } from './parking';

/**
 * What webhook delivery needs from the outside world. The services in this folder speak only to
 * these; DynamoDB, SQS, HTTP and DNS adapters implement them, and unit tests use in-memory fakes.
 */

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

/** An attempt to log, with where the message stands after it. */
export interface AttemptToRecord {
  message: DeliveryMessage;
  attempt: Omit<AttemptRecord, 'eventId' | 'attempt' | 'round'>;
  attemptNumber: number;
  roundAttempts: number;
  outcome: 'delivered' | 'failing' | 'dead';
  nextAttemptAt?: string;
  deadReason?: DeadReason;
}

export interface MessageQuery {
  from?: string;
  to?: string;
  status?: DeliveryRecord['status'];
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

/**
 * The delivery log: messages per endpoint, their attempts and dead letters. Writes of a message
 * are conditioned on its round, so a copy from a round a replay superseded is `stale`.
 */
export interface DeliveryLog {
  getMessage(tenantId: string, subscriptionId: string, eventId: string): Promise<DeliveryRecord | null>;
  /** Logs an attempt (always: it happened) and where the message now stands (unless stale). */
  recordAttempt(input: AttemptToRecord): Promise<'recorded' | 'stale'>;
  /** A message that will not be attempted becomes a dead letter at once. */
  markDead(message: DeliveryMessage, now: Date, reason: DeadReason): Promise<'recorded' | 'stale'>;
  /**
   * Starts a new round for a logged message (replay, redrive): a fresh schedule, its dead letter
   * (if any) removed. Returns the message to queue, or null if the log no longer has it.
   */
  startRound(tenantId: string, subscriptionId: string, eventId: string, now: Date): Promise<DeliveryMessage | null>;
  listMessages(tenantId: string, subscriptionId: string, query: MessageQuery): Promise<Page<DeliveryRecord>>;
  listAttempts(
    tenantId: string,
    subscriptionId: string,
    query: { from?: string; to?: string; limit: number; cursor?: string },
  ): Promise<Page<AttemptRecord>>;
  messageAttempts(tenantId: string, subscriptionId: string, eventId: string): Promise<AttemptRecord[]>;
  listDeadLetters(
    tenantId: string,
    subscriptionId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<DeadLetter>>;
}

/** Why the platform disables an endpoint, with what `endpoint.disabled` reports. */
export interface DisableDetail {
  reason: 'gone' | 'failing';
  /** The delivery that led to it: `endpoint.disabled` carries its correlation id. */
  correlationId?: string;
  failingSince?: string;
  lastStatus?: number;
  lastError?: string;
}

/**
 * Endpoint health, shared by every worker: the breaker's state, the failure streak, pauses and
 * the rate window. The breaker's decisions are made in `breaker.ts`; the store applies them with
 * conditions, so concurrent workers agree on one outcome.
 */
export interface EndpointHealthStore {
  getHealth(tenantId: string, subscriptionId: string): Promise<EndpointHealth>;
  /** Counts a failed attempt (and keeps its status and error); returns the health after it. */
  countFailure(
    tenantId: string,
    subscriptionId: string,
    now: Date,
    failure: { lastStatus?: number; lastError?: string },
  ): Promise<EndpointHealth>;
  /** Opens the breaker if it is still in state `from`; null when another worker changed it first. */
  openBreaker(
    tenantId: string,
    subscriptionId: string,
    change: { from: 'closed' | 'halfOpen'; until: Date },
  ): Promise<EndpointHealth | null>;
  /** A probe's success closes the breaker; any other success clears the streak of a closed breaker. */
  recordSuccess(tenantId: string, subscriptionId: string, now: Date, probe: boolean): Promise<void>;
  /** An endpoint enabled again starts healthy. */
  resetHealth(tenantId: string, subscriptionId: string): Promise<void>;
  /** Claims the probe of an open breaker whose period is over; false when another worker has it. */
  claimProbe(tenantId: string, subscriptionId: string, now: Date, probeSeconds: number): Promise<boolean>;
  /** No attempts to the endpoint until then (the later pause wins). */
  pauseUntil(tenantId: string, subscriptionId: string, until: Date): Promise<void>;
  /** One attempt under a rate cap: true if this second still has room. */
  takeRateToken(tenantId: string, subscriptionId: string, now: Date, perSecond: number): Promise<boolean>;
  /**
   * Disables the endpoint and emits `endpoint.disabled` with it (only the caller that disables it
   * emits). True when it is disabled now; false when it is gone or a concurrent update kept winning.
   */
  disable(subscription: WebhookSubscription, now: Date, detail: DisableDetail): Promise<boolean>;
}

/** Digest windows: an endpoint in digest mode collects its events per window and gets one call per window. */
export interface DigestStore {
  /** Adds an event to the current window; `queue`: the window's delivery still has to be queued. */
  add(
    tenantId: string,
    subscriptionId: string,
    event: LoyaltyEvent,
    intervalSeconds: number,
    now: Date,
  ): Promise<{ digest: DigestRef; queue: boolean }>;
  /** The window's delivery is on the queue. */
  markQueued(tenantId: string, subscriptionId: string, digest: DigestRef): Promise<void>;
  /** Closes the window (no event joins it afterwards) and returns its events in time order. */
  close(tenantId: string, subscriptionId: string, digest: DigestRef): Promise<LoyaltyEvent[]>;
}

/**
 * Waiting slots and parked chains of endpoints (see `parking.ts`): at most `max` messages of an
 * endpoint wait in flight, the rest are parked per member in order and woken chain head by head.
 */
export interface ParkingStore {
  chain(tenantId: string, subscriptionId: string, orderKey: string): Promise<ParkedChain | null>;
  /** The parked message at place `seq` of a chain, or null when it is gone (handled). */
  item(tenantId: string, subscriptionId: string, orderKey: string, seq: number): Promise<DeliveryMessage | null>;
  /** Holds (or renews) a slot for `holder`; false when all `max` slots are held by others. */
  claimSlot(
    tenantId: string,
    subscriptionId: string,
    holder: string,
    now: Date,
    until: Date,
    max: number,
  ): Promise<boolean>;
  /** Frees the slot `holder` holds; false when it held none. */
  releaseSlot(tenantId: string, subscriptionId: string, holder: string): Promise<boolean>;
  /**
   * Parks at the tail of the chain as read in `seen`: `already` parked (same event and round), or the chain `changed`.
   */
  park(
    message: DeliveryMessage,
    seen: ParkedChain | null,
    now: Date,
    lookAt: Date,
  ): Promise<'parked' | 'already' | 'changed'>;
  /** The head (place `seq`) leaves its chain; false when the head had moved on. */
  consume(message: DeliveryMessage, seq: number, tail: number, now: Date, lookAt: Date): Promise<boolean>;
  /** When a sweep should next look at a non-empty chain. */
  lookAt(tenantId: string, subscriptionId: string, orderKey: string, at: Date): Promise<void>;
  /** An endpoint's non-empty chains, the longest unattended first. */
  chains(tenantId: string, subscriptionId: string, limit: number): Promise<ParkedChainRef[]>;
}

/** The FIFO delivery queue: the router's fan-out, replays and redrives queue here, in order. */
export interface DeliveryQueue {
  enqueue(messages: QueuedDelivery[]): Promise<void>;
}

/** What one attempt came to, as the sender saw it. */
export interface AttemptResult {
  ok: boolean;
  status?: number;
  durationMs: number;
  error?: string;
  /** The SSRF guard refused the target at send time (its DNS now points somewhere not allowed). */
  blocked?: boolean;
  /** The start of the response body, for the attempt log. */
  responseBody?: string;
  /** `Retry-After` of a 429 or 503, in seconds. */
  retryAfterSeconds?: number;
  /**
   * Nothing was sent and no retry can help (a callback template that cannot render the event): the message becomes a
   * dead letter at once, and the endpoint's health is not touched (the receiver did nothing wrong).
   */
  permanent?: DeadReason;
}

/**
 * One signed POST of a body shaped for the endpoint; `id` is its webhook-id. `correlationId` goes
 * in an `x-correlation-id` header, outside the signature (an event's own is in its signed body too).
 */
export type WebhookSender = (
  subscription: WebhookSubscription,
  message: { id: string; body: string; correlationId?: string },
) => Promise<AttemptResult>;

/** A tenant's endpoints as the stream consumers see them (cached: a change applies within the cache's TTL). */
export interface EndpointDirectory {
  forTenant(tenantId: string): Promise<WebhookSubscription[]>;
  get(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | null>;
}

/** Why a message's attempts ended, as the DLQ copy carries it. */
export interface DeadLetterDetail {
  reason: DeadReason;
  attempts: number;
  lastStatus?: number;
  lastError?: string;
}
