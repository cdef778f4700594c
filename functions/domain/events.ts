import { z } from 'zod';

/**
 * The event catalogue. Every state change writes one of these, complete, to the outbox in the
 * same transaction; webhooks, the lake and (later) the feed all carry exactly this shape.
 */
const envelope = {
  id: z.string().describe('Unique event id; the webhook-id of every delivery of this event'),
  version: z.literal(1),
  tenantId: z.string(),
  memberId: z.string(),
  seq: z.number().int().positive().describe('Per-member sequence number, gap-free, starting at 1'),
  occurredAt: z.iso.datetime().describe('Commit time of the change (UTC, ISO 8601)'),
};

export const balanceSnapshot = z.object({
  availablePoints: z.number().int(),
  pendingPoints: z.number().int(),
  lifetimePoints: z.number().int(),
  tier: z.string(),
});
export type BalanceSnapshot = z.infer<typeof balanceSnapshot>;

export const memberEnrolledEvent = z.object({
  ...envelope,
  type: z.literal('member.enrolled'),
  data: z.object({ externalId: z.string(), tier: z.string(), balance: balanceSnapshot }),
});

export const pointsEarnedEvent = z.object({
  ...envelope,
  type: z.literal('points.earned'),
  data: z.object({
    entryId: z.string(),
    amountPoints: z.number().int().positive(),
    reason: z.string(),
    source: z.string().optional(),
    balance: balanceSnapshot,
  }),
});

export const loyaltyEvent = z.discriminatedUnion('type', [memberEnrolledEvent, pointsEarnedEvent]);
export type LoyaltyEvent = z.infer<typeof loyaltyEvent>;
export type EventType = LoyaltyEvent['type'];
export const EVENT_TYPES: EventType[] = ['member.enrolled', 'points.earned'];
