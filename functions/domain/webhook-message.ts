import { createHash } from 'node:crypto';
import { z } from 'zod';
import { loyaltyEvent, type LoyaltyEvent } from './events';

/**
 * What the queue carries for one (event, endpoint) pair. `round` is 0 when the router queues it
 * and goes up by one with every replay or redrive: a copy from an older round is stale.
 */
export const deliveryMessage = z.object({
  tenantId: z.string(),
  subscriptionId: z.string(),
  event: loyaltyEvent,
  round: z.number().int().min(0).default(0),
});
export type DeliveryMessage = z.infer<typeof deliveryMessage>;
export type QueuedDelivery = z.input<typeof deliveryMessage>;

/** Whose order a delivery keeps: the member's, or for operational events the endpoint's. */
export const orderingKey = (event: LoyaltyEvent) => ('memberId' in event ? event.memberId : `!endpoint.${event.endpointId}`);

/**
 * One FIFO group per endpoint and member: a member's failing event holds back only that
 * member's later events for that endpoint, never other members or endpoints.
 */
export const messageGroupId = (subscriptionId: string, event: LoyaltyEvent) => `${subscriptionId}.${orderingKey(event)}`;

/**
 * Same event, endpoint and round, same dedup id: a re-driven stream record is not queued twice
 * (5 min window), while a replay (a new round) always is.
 */
export const deduplicationId = (subscriptionId: string, eventId: string, round = 0) =>
  createHash('sha256').update(round === 0 ? `${subscriptionId}:${eventId}` : `${subscriptionId}:${eventId}:${round}`).digest('hex');

/** The SQS entry of one delivery (router, replay and redrive all queue through this). */
export function queueEntry(message: QueuedDelivery) {
  const round = message.round ?? 0;
  return {
    MessageBody: JSON.stringify({ ...message, round }),
    MessageGroupId: messageGroupId(message.subscriptionId, message.event),
    MessageDeduplicationId: deduplicationId(message.subscriptionId, message.event.id, round),
  };
}

/**
 * The webhook body: Standard Webhooks' `type`, `timestamp` and `data`, plus the event envelope
 * (id, tenant, member, seq: always sent, so a receiver can detect gaps). Data minimisation per
 * endpoint: `thin` sends only the data's ids; a field allowlist sends only the fields named.
 */
export function webhookBody(event: LoyaltyEvent, shape: { payload?: 'full' | 'thin'; fields?: string[] } = {}): string {
  const { type, data, occurredAt, ...envelope } = event;
  const entries = Object.entries(data as Record<string, unknown>);
  const kept =
    shape.payload === 'thin'
      ? entries.filter(([name]) => name.endsWith('Id'))
      : shape.fields
        ? entries.filter(([name]) => shape.fields!.includes(name))
        : entries;
  return JSON.stringify({ type, timestamp: occurredAt, ...envelope, data: Object.fromEntries(kept) });
}

/** The secrets that sign now: all of them during a rotation's overlap, then only the newest. */
export function signingSecrets(subscription: { secrets: string[]; secretsRetireAt?: string }, now: Date): string[] {
  if (subscription.secretsRetireAt && now.toISOString() >= subscription.secretsRetireAt) return subscription.secrets.slice(0, 1);
  return subscription.secrets;
}

/** `*`, exact types and `prefix.*` wildcards. */
export function matchesEventType(patterns: string[], type: string): boolean {
  return patterns.some((pattern) => pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))));
}
