import { createHash } from 'node:crypto';
import { z } from 'zod';
import { loyaltyEvent, type LoyaltyEvent } from './events';

/** What the router queues for one (event, endpoint) pair. */
export const deliveryMessage = z.object({
  tenantId: z.string(),
  subscriptionId: z.string(),
  event: loyaltyEvent,
});
export type DeliveryMessage = z.infer<typeof deliveryMessage>;

/**
 * One FIFO group per endpoint and member: a member's failing event holds back only that
 * member's later events for that endpoint, never other members or endpoints.
 */
export const messageGroupId = (subscriptionId: string, memberId: string) => `${subscriptionId}.${memberId}`;

/** Same event and endpoint, same dedup id: a re-driven stream record is not queued twice (5 min window). */
export const deduplicationId = (subscriptionId: string, eventId: string) =>
  createHash('sha256').update(`${subscriptionId}:${eventId}`).digest('hex');

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
