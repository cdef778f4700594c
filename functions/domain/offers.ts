import * as z from '../shared/zod';

/**
 * Offers: a tenant's catalogue of things a member can see and activate (double points on spa,
 * a free upgrade), targeted by tier and segment within a date window, with a per-member
 * activation limit enforced inside the member's commit.
 */
export const offerRequest = z
  .strictObject({
    name: z.string().check(z.minLength(1), z.maxLength(120)),
    description: z.optional(z.string().check(z.maxLength(1000))),
    status: z._default(z.enum(['active', 'paused']), 'active'),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    tiers: z
      .optional(z.array(z.string().check(z.minLength(1), z.maxLength(32))).check(z.maxLength(20)))
      .check(z.describe('Only members in these tiers; absent: all tiers')),
    segments: z
      .optional(z.array(z.string().check(z.minLength(1), z.maxLength(40))).check(z.maxLength(20)))
      .check(z.describe('Only members in at least one of these segments; absent: everyone')),
    activationLimitPerMember: z._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 1),
  })
  .check(
    z.refine((offer) => offer.endsAt > offer.startsAt, { error: 'endsAt must be after startsAt', path: ['endsAt'] }),
  );

export type OfferInput = z.output<typeof offerRequest>;

export interface Offer extends OfferInput {
  tenantId: string;
  offerId: string;
  updatedAt: string;
}

export interface OfferMember {
  tier: string;
  segments: readonly string[];
  /** How often the member activated this offer so far. */
  activations: number;
}

export type Ineligibility = 'offer_not_active' | 'offer_not_for_member' | 'offer_limit_reached';

/** Why a member cannot use an offer now, or null when they can. */
export function ineligibility(offer: Offer, member: OfferMember, now: Date): Ineligibility | null {
  const at = now.toISOString();
  if (offer.status !== 'active' || at < offer.startsAt || at >= offer.endsAt) return 'offer_not_active';
  if (offer.tiers?.length && !offer.tiers.includes(member.tier)) return 'offer_not_for_member';
  if (offer.segments?.length && !offer.segments.some((segment) => member.segments.includes(segment)))
    return 'offer_not_for_member';
  if (member.activations >= offer.activationLimitPerMember) return 'offer_limit_reached';
  return null;
}
