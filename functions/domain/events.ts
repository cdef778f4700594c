import { z } from 'zod';
import { Problem } from '../shared/problem';
import { NOT_WELL_FORMED, illFormedPaths } from '../shared/well-formed';

/**
 * The event catalogue. Every state change writes one of these, complete, to the outbox in the
 * same transaction; webhooks, the lake and the feed all carry exactly this shape. Events carry
 * identifiers and points, never profile data (data minimisation: an erased member's events hold
 * nothing personal). `docs/events/` is generated from these schemas (`npm run catalogue`).
 */
const envelope = {
  id: z.string().describe('Unique event id; the webhook-id of every delivery of this event'),
  version: z.literal(1).describe('Version of this event type’s schema'),
  tenantId: z.string(),
  memberId: z.string(),
  seq: z.number().int().positive().describe('Per-member sequence number, gap-free, starting at 1'),
  occurredAt: z.iso
    .datetime()
    .describe('Commit time of the change (UTC, ISO 8601), never earlier than the previous event of the member'),
  correlationId: z
    .string()
    .optional()
    .describe(
      'The request or job that made the change: the caller’s x-correlation-id, else the API request id or job run id',
    ),
};

export const balanceSnapshot = z
  .object({
    availablePoints: z.number().int().min(0),
    pendingPoints: z.number().int().min(0),
    lifetimePoints: z.number().int().min(0).describe('Points earned and activated, less reversed earnings'),
    tier: z.string(),
  })
  .describe('The member’s balance right after this event');
export type BalanceSnapshot = z.infer<typeof balanceSnapshot>;

export const pointLot = z.object({
  expiresAt: z.iso.datetime().nullable().describe('When these points expire; null never'),
  points: z.number().int().positive(),
});

const entryId = z.string().describe('The ledger entry this event records');
const reason = z.string().describe('Why, as the calling system or admin stated it');
const source = z.string().optional().describe('Calling system, e.g. pos, pms, booking');

const event = <T extends string, D extends z.ZodRawShape>(type: T, description: string, data: D) =>
  z
    .object({ ...envelope, type: z.literal(type), data: z.object({ ...data, balance: balanceSnapshot }) })
    .describe(description);

export const memberEnrolledEvent = event('member.enrolled', 'A member joined the programme', {
  externalId: z.string().describe("The member's id in the calling system"),
  tier: z.string(),
});

export const memberUpdatedEvent = event(
  'member.updated',
  'Profile fields changed (names only; read the member for values)',
  {
    changedFields: z.array(z.string()).min(1),
  },
);

export const memberDeactivatedEvent = event('member.deactivated', 'The member can no longer earn or redeem', {
  reason: z.string().optional(),
});

export const memberReactivatedEvent = event('member.reactivated', 'A deactivated member is active again', {});

export const memberErasedEvent = event(
  'member.erased',
  'Personal data was erased on request; remaining points were forfeited',
  {
    forfeitedPoints: z.number().int().min(0),
    cancelledPendingPoints: z.number().int().min(0),
  },
);

export const pointsEarnedEvent = event('points.earned', 'Points were credited, available now or held as pending', {
  entryId,
  amountPoints: z.number().int().positive(),
  reason,
  source,
  transactionId: z.string().optional().describe('The business transaction the points were earned on'),
  campaignId: z.string().optional().describe('The campaign whose budget funds these points'),
  expiresAt: z.iso.datetime().nullable(),
  pending: z.boolean().describe('True when the points are held until activatesAt'),
  activatesAt: z.iso.datetime().optional(),
});

export const pointsActivatedEvent = event('points.activated', 'Held points became available', {
  entryId,
  earnEntryId: z.string().describe('The earning whose hold ended'),
  amountPoints: z.number().int().positive(),
  expiresAt: z.iso.datetime().nullable(),
});

export const pointsRedeemedEvent = event('points.redeemed', 'Points were spent, soonest-expiring first', {
  entryId,
  amountPoints: z.number().int().positive(),
  reason,
  source,
  lots: z.array(pointLot).describe('The lots the points came from'),
  rewardId: z.string().optional().describe('The reward the points paid for'),
  redemptionId: z.string().optional().describe('The reward redemption (see reward.redeemed)'),
});

export const pointsAdjustedEvent = event('points.adjusted', 'An administrator corrected the balance', {
  entryId,
  amountPoints: z.number().int().describe('Signed: positive credits, negative debits'),
  reason,
  lots: z.array(pointLot),
});

export const pointsReversedEvent = event('points.reversed', 'An earlier entry was reversed in whole or in part', {
  entryId,
  reversedEntryId: z.string(),
  reversedType: z.enum(['earn', 'redeem', 'adjust']),
  effect: z
    .enum(['clawback', 'refund', 'pending_cancelled'])
    .describe(
      'clawback: earned points taken back; refund: spent points restored with their original expiry; ' +
        'pending_cancelled: held points cancelled',
    ),
  amountPoints: z.number().int().positive().describe('Points reversed by this entry'),
  reason,
  lots: z.array(pointLot),
});

export const pointsExpiredEvent = event('points.expired', 'Lots reached their expiry', {
  entryId,
  amountPoints: z.number().int().positive(),
  lots: z.array(pointLot),
});

export const pointsExpiringSoonEvent = event('points.expiring_soon', 'Points will expire soon (sent once per lot)', {
  amountPoints: z.number().int().positive(),
  expiresAt: z.iso.datetime(),
});

const tierChange = {
  fromTier: z.string(),
  toTier: z.string(),
  benefits: z
    .object({ earnMultiplier: z.number().optional(), perks: z.array(z.string()).optional() })
    .describe('The benefits of the new tier'),
  reviewAt: z.iso
    .datetime()
    .nullable()
    .describe('When the member is next reviewed for this tier; null on the lowest tier'),
};

export const tierPromotedEvent = event(
  'tier.promoted',
  'The member reached a higher tier (at once, on qualifying points)',
  tierChange,
);

export const tierDemotedEvent = event(
  'tier.demoted',
  'The member fell to a lower tier at the end of the tier period and grace',
  tierChange,
);

export const offerViewedEvent = event('offer.viewed', 'The member saw an offer (recorded by the calling app)', {
  offerId: z.string(),
  channel: z.string().optional().describe('Where it was seen, e.g. app, web, kiosk'),
});

export const offerActivatedEvent = event(
  'offer.activated',
  'The member activated an offer, within its per-member limit',
  {
    offerId: z.string(),
    activationCount: z.number().int().positive().describe('Activations of this offer by the member, this one included'),
  },
);

const redemptionId = z.string().describe('The reward redemption, rdm_…');

export const rewardRedeemedEvent = event(
  'reward.redeemed',
  'The member redeemed a reward: points burnt, stock taken, voucher issued, in one commit',
  {
    redemptionId,
    rewardId: z.string(),
    rewardName: z.string(),
    pointsCost: z.number().int().positive(),
    status: z
      .enum(['pending', 'fulfilled'])
      .describe('fulfilled: a voucher was issued at once; pending: the tenant fulfils it later'),
    voucherCode: z.string().optional().describe('The voucher code issued (voucher rewards)'),
  },
);

export const rewardFulfilledEvent = event('reward.fulfilled', 'The tenant fulfilled a pending redemption', {
  redemptionId,
  rewardId: z.string(),
  reference: z.string().optional().describe('The tenant’s fulfilment reference, e.g. a shipment id'),
});

export const rewardCancelledEvent = event(
  'reward.cancelled',
  'A redemption was cancelled and its points refunded with their original expiry',
  {
    redemptionId,
    rewardId: z.string(),
    refundedPoints: z.number().int().positive(),
    restocked: z.boolean().describe('True when the unit went back to stock (it was still pending)'),
    reason,
  },
);

/**
 * Operational events are about an endpoint, not a member: their envelope names the endpoint
 * (`endpointId`) instead of a member, and `seq` counts that endpoint's events.
 */
export const endpointDisabledEvent = z
  .object({
    id: envelope.id,
    version: envelope.version,
    tenantId: envelope.tenantId,
    endpointId: z.string().describe('The webhook endpoint this event is about'),
    seq: z
      .number()
      .int()
      .positive()
      .describe('Per-endpoint sequence number of operational events, gap-free, starting at 1'),
    occurredAt: envelope.occurredAt,
    correlationId: envelope.correlationId,
    type: z.literal('endpoint.disabled'),
    data: z.object({
      url: z.string(),
      reason: z
        .enum(['gone', 'failing'])
        .describe('gone: the endpoint answered 410; failing: no success for longer than the platform allows'),
      failingSince: z.iso.datetime().optional().describe('The first failure since the last success'),
      lastStatus: z.number().int().optional().describe('HTTP status of the last attempt'),
      lastError: z.string().optional().describe('Why the last attempt failed when there was no status'),
    }),
  })
  .describe('The platform disabled a webhook endpoint; its undelivered messages wait as dead letters for a redrive');

export const loyaltyEvent = z.discriminatedUnion('type', [
  memberEnrolledEvent,
  memberUpdatedEvent,
  memberDeactivatedEvent,
  memberReactivatedEvent,
  memberErasedEvent,
  pointsEarnedEvent,
  pointsActivatedEvent,
  pointsRedeemedEvent,
  pointsAdjustedEvent,
  pointsReversedEvent,
  pointsExpiredEvent,
  pointsExpiringSoonEvent,
  tierPromotedEvent,
  tierDemotedEvent,
  offerViewedEvent,
  offerActivatedEvent,
  rewardRedeemedEvent,
  rewardFulfilledEvent,
  rewardCancelledEvent,
  endpointDisabledEvent,
]);
export type LoyaltyEvent = z.infer<typeof loyaltyEvent>;
export type EventType = LoyaltyEvent['type'];
export type EventOf<T extends EventType> = Extract<LoyaltyEvent, { type: T }>;
/** Events of a member's ledger (everything but the operational events). */
export type MemberEvent = Extract<LoyaltyEvent, { memberId: string }>;
export const EVENT_TYPES = loyaltyEvent.options.map<EventType>((option) => option.shape.type.value);

/**
 * Defence in depth behind the API's input checks: an event is what webhooks, the feed and the lake
 * files carry, and one lone surrogate in it makes strict JSON readers reject a whole lake file. So
 * an event whose text is not well-formed Unicode is never built, even if a schema forgot a field:
 * the change is refused as invalid input and nothing is written.
 */
export function assertWellFormedEvent(event: LoyaltyEvent): void {
  const paths = illFormedPaths(event);
  if (paths.length === 0) return;
  throw new Problem('validation_failed', `The ${event.type} event would carry text that ${NOT_WELL_FORMED}`, {
    errors: paths.map((path) => ({ path: `event.${path}`, message: NOT_WELL_FORMED })),
  });
}
