import { createHash } from 'node:crypto';
import * as z from '../../shared/zod';
import { loyaltyEvent, type LoyaltyEvent } from '../events';

const queued = {
  tenantId: z.string(),
  subscriptionId: z.string(),
  /** 0 when first queued; +1 with every replay or redrive: a copy from an older round is stale. */
  round: z._default(z.number().check(z.int(), z.gte(0)), 0),
  /** Set on the copy the DLQ holds (why it died); such a copy coming back is an operator's redrive. */
  deadLetter: z.optional(z.looseObject({ reason: z.string() })),
  /**
   * Set on a copy that wakes a parked message: its place in its member's parked chain. Only the
   * chain's head acts; a copy for a later place (or an earlier one, already handled) is a no-op.
   */
  parked: z.optional(z.object({ seq: z.number().check(z.int(), z.gte(0)), wake: z.string().check(z.minLength(1)) })),
  /**
   * The correlation id of a delivery whose event has none: a digest's is that of the event that
   * opened its window; an event from before events carried one gets the delivering invocation's.
   */
  correlationId: z.optional(z.string()),
};

/** A digest: the events an endpoint's window collected, sent as one call when the window closes. */
export const digestRef = z.object({
  windowStart: z.number().check(z.int(), z.describe('Epoch seconds')),
  part: z.number().check(z.int(), z.gte(0), z.describe('A window holds at most DIGEST_MAX_EVENTS per part')),
  intervalSeconds: z.number().check(z.int(), z.positive()),
});
export type DigestRef = z.infer<typeof digestRef>;

/** What the delivery queue carries: one event for one endpoint, or one digest window of an endpoint. */
export const deliveryMessage = z.union([
  z.object({ ...queued, event: loyaltyEvent }),
  z.object({ ...queued, digest: digestRef }),
]);
export type DeliveryMessage = z.infer<typeof deliveryMessage>;
export type QueuedDelivery = z.input<typeof deliveryMessage>;

/**
 * Why a message became a dead letter: its schedule ran out, its endpoint is disabled, it neared the queue's limits,
 * or a callback endpoint's template cannot render its event (permanent: retrying renders the same failure).
 */
export const DEAD_REASONS = ['attempts_exhausted', 'endpoint_disabled', 'receive_limit', 'template_failed'] as const;
export type DeadReason = (typeof DEAD_REASONS)[number];

/** A digest window waits this long after it ends, so events still in the stream make it in. */
export const DIGEST_GRACE_SECONDS = 5;
export const DIGEST_MAX_EVENTS = 500;

/**
 * Whose order a delivery keeps: the member's; for operational events the endpoint's; for audit
 * events the tenant's audit stream, one FIFO group per endpoint (audit actions are rare, and a
 * receiver reading them as a trail wants them in the order they happened).
 */
export const AUDIT_ORDERING_KEY = '!audit';
/** Platform notices (`platform.*`): one FIFO group per endpoint, in the order the platform sent them. */
export const PLATFORM_ORDERING_KEY = '!platform';
export const orderingKey = (event: LoyaltyEvent) => {
  if ('memberId' in event) return event.memberId;
  if ('endpointId' in event) return `!endpoint.${event.endpointId}`;
  return event.type.startsWith('platform.') ? PLATFORM_ORDERING_KEY : AUDIT_ORDERING_KEY;
};

/** The window an event at `now` joins: windows are aligned to multiples of their interval (epoch seconds). */
export const digestWindowStart = (now: Date, intervalSeconds: number): number =>
  Math.floor(now.getTime() / 1000 / intervalSeconds) * intervalSeconds;

/**
 * Where an event goes when its window refused it: past a closed window to the next window, past a
 * full part to the next part of the same window (otherwise the same place is tried again).
 */
export function nextDigestPlace(
  place: { windowStart: number; part: number },
  window: { closed: boolean; events: number },
  intervalSeconds: number,
) {
  if (window.closed) return { windowStart: place.windowStart + intervalSeconds, part: 0 };
  if (window.events >= DIGEST_MAX_EVENTS) return { windowStart: place.windowStart, part: place.part + 1 };
  return place;
}

export const digestId = (digest: Pick<DigestRef, 'windowStart' | 'part'>) => `dig_${digest.windowStart}_${digest.part}`;

/** What a delivery is about: its webhook-id, type, time and the order it keeps. */
export function subjectOf(message: QueuedDelivery): {
  id: string;
  type: string;
  occurredAt: string;
  orderingKey: string;
  seq?: number;
} {
  if ('event' in message) {
    const { event } = message;
    return {
      id: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      orderingKey: orderingKey(event),
      ...('seq' in event ? { seq: event.seq } : {}),
    };
  }
  const { digest } = message;
  return {
    id: digestId(digest),
    type: 'webhook.digest',
    occurredAt: new Date((digest.windowStart + digest.intervalSeconds) * 1000).toISOString(),
    orderingKey: '!digest',
  };
}

/** The correlation id a delivery's attempts log and send: its event's, else the one the message was given. */
export const correlationIdOf = (message: QueuedDelivery): string | undefined =>
  ('event' in message ? message.event.correlationId : undefined) ?? message.correlationId;

/**
 * One FIFO group per endpoint and member: a member's failing event holds back only that
 * member's later events for that endpoint, never other members or endpoints. An endpoint's
 * digests form one group of their own, in window order.
 */
export const messageGroupId = (subscriptionId: string, orderKey: string) => `${subscriptionId}.${orderKey}`;

/**
 * Same event, endpoint and round, same dedup id: a re-driven stream record is not queued twice
 * (5 min window), while a replay (a new round) always is.
 */
export const deduplicationId = (
  subscriptionId: string,
  eventId: string,
  round = 0,
  parked?: { seq: number; wake: string },
) =>
  createHash('sha256')
    .update(
      `${subscriptionId}:${eventId}${round === 0 ? '' : `:${round}`}${parked ? `:p${parked.seq}:${parked.wake}` : ''}`,
    )
    .digest('hex');

/** The SQS entry of one delivery (router, replay and redrive all queue through this). */
export function queueEntry(message: QueuedDelivery) {
  const round = message.round ?? 0;
  const subject = subjectOf(message);
  return {
    MessageBody: JSON.stringify({ ...message, round }),
    MessageGroupId: messageGroupId(message.subscriptionId, subject.orderingKey),
    // A wake-up copy of a parked message is queued again within minutes of the original: its own dedup id.
    MessageDeduplicationId: deduplicationId(message.subscriptionId, subject.id, round, message.parked),
  };
}

/**
 * The webhook body: Standard Webhooks' `type`, `timestamp` and `data`, plus the event envelope
 * (id, tenant, member, seq: always sent, so a receiver can detect gaps). Data minimisation per
 * endpoint: `thin` sends only the data's ids (and an audit event's subject); a field allowlist sends only the fields
 * named.
 */
export function webhookBody(event: LoyaltyEvent, shape: { payload?: 'full' | 'thin'; fields?: string[] } = {}): string {
  const { type, data, occurredAt, ...envelope } = event;
  const entries = Object.entries(data as Record<string, unknown>);
  const { fields } = shape;
  const kept =
    shape.payload === 'thin'
      ? entries.filter(([name]) => name.endsWith('Id') || name === 'subject')
      : fields
        ? entries.filter(([name]) => fields.includes(name))
        : entries;
  return JSON.stringify({ type, timestamp: occurredAt, ...envelope, data: Object.fromEntries(kept) });
}

/** A digest's body: the window and its events, each shaped as the endpoint receives single events. */
export function digestBody(input: {
  tenantId: string;
  subscriptionId: string;
  digest: DigestRef;
  events: LoyaltyEvent[];
  shape: { payload?: 'full' | 'thin'; fields?: string[] };
}): string {
  const { digest } = input;
  const windowEnd = new Date((digest.windowStart + digest.intervalSeconds) * 1000).toISOString();
  return JSON.stringify({
    type: 'webhook.digest',
    timestamp: windowEnd,
    id: digestId(digest),
    tenantId: input.tenantId,
    endpointId: input.subscriptionId,
    data: {
      windowStart: new Date(digest.windowStart * 1000).toISOString(),
      windowEnd,
      part: digest.part,
      count: input.events.length,
      events: input.events.map((event) => JSON.parse(webhookBody(event, input.shape)) as unknown),
    },
  });
}

/**
 * The keys that sign now (HMAC secrets, or ed25519 keys): all of them during a rotation's overlap,
 * then only the newest.
 */
export function signingSecrets(
  subscription: { secrets: string[]; secretsRetireAt?: string },
  now: Date,
  keys: string[] = subscription.secrets,
): string[] {
  if (subscription.secretsRetireAt && now.toISOString() >= subscription.secretsRetireAt) return keys.slice(0, 1);
  return keys;
}

/**
 * `*`, exact types and `prefix.*` wildcards. Audit events are opt-in: `*` does not take them (an
 * endpoint names `audit.*` or an audit type), so subscribers from before the audit trail get what they got.
 */
export function matchesEventType(patterns: string[], type: string): boolean {
  const audit = type.startsWith('audit.');
  return patterns.some(
    (pattern) =>
      (pattern === '*' && !audit) ||
      pattern === type ||
      (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))),
  );
}

/**
 * The body of a test ping: a signed `webhook.ping` an endpoint answers 2xx to (nothing queued or retried).
 * @example pingBody({ id: 'ping_1', tenantId: 't1', endpointId: 'sub_1', at: new Date() })
 */
export function pingBody(input: { id: string; tenantId: string; endpointId: string; at: Date }): string {
  return JSON.stringify({
    type: 'webhook.ping',
    timestamp: input.at.toISOString(),
    id: input.id,
    tenantId: input.tenantId,
    endpointId: input.endpointId,
    data: { message: 'A test delivery: answer 2xx to confirm the endpoint receives and verifies webhooks' },
  });
}
