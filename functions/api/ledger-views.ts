import type { EarningResult } from '../domain/earning-rules';
import type { HistoryLine } from '../domain/history';
import type { Reply } from '../domain/idempotency';
import { snapshot, tierOf, type Balance, type LedgerEntry, type MemberProfile } from '../domain/ledger';
import type { CommittedChange, LedgerOutcome, LedgerReplies } from '../domain/ledger-outcomes';
import { expiringWithin } from '../domain/lots';
import type { Offer } from '../domain/offers';
import type { Page } from '../domain/ports';
import type { ProgrammeSettings } from '../domain/programme';
import type { Redemption } from '../domain/rewards';
import { required } from '../shared/required';

/** The ledger's response bodies (what `schemas.ts` documents) and the status each outcome is answered with. */

export const memberView = (profile: MemberProfile, balance: Balance) => ({
  memberId: profile.memberId,
  externalId: profile.externalId,
  ...(profile.email ? { email: profile.email } : {}),
  ...(profile.firstName ? { firstName: profile.firstName } : {}),
  ...(profile.lastName ? { lastName: profile.lastName } : {}),
  ...(profile.phone ? { phone: profile.phone } : {}),
  ...(profile.locale ? { locale: profile.locale } : {}),
  ...(profile.birthDate ? { birthDate: profile.birthDate } : {}),
  ...(profile.segments ? { segments: profile.segments } : {}),
  status: profile.status,
  tier: tierOf(balance),
  createdAt: profile.createdAt,
  ...(profile.enrolledAt ? { enrolledAt: profile.enrolledAt } : {}),
  ...(profile.updatedAt ? { updatedAt: profile.updatedAt } : {}),
  ...(profile.erasedAt ? { erasedAt: profile.erasedAt } : {}),
});

export function balanceView(balance: Balance, settings: ProgrammeSettings, now: Date) {
  const next = balance.lots.find((lot) => lot.expiresAt !== null);
  return {
    memberId: balance.memberId,
    ...snapshot(balance),
    status: balance.status,
    // With notices off, "soon" still means something to a reader: the next 30 days.
    expiringSoonPoints: expiringWithin(balance.lots, now, settings.expiryNoticeDays || 30),
    nextExpiry: next && next.expiresAt !== null ? { expiresAt: next.expiresAt, points: next.points } : null,
    lots: balance.lots.map(({ expiresAt, points }) => ({ expiresAt, points })),
    pending: balance.pending.map(({ entryId, points, activatesAt }) => ({ entryId, points, activatesAt })),
    seq: balance.seq,
    updatedAt: balance.updatedAt,
  };
}

/** The balance as it stood at `at`, from the last entry committed by then (null: none yet). */
export const balanceAsOfView = (memberId: string, at: string, entry: LedgerEntry | null) => ({
  memberId,
  asOf: at,
  availablePoints: entry?.availableAfter ?? 0,
  pendingPoints: entry?.pendingAfter ?? 0,
  lifetimePoints: entry?.lifetimeAfter ?? 0,
  lastEntryId: entry?.entryId ?? null,
});

export const offerView = ({ tenantId: _tenantId, ...offer }: Offer) => offer;

export const redemptionView = ({ tenantId: _t, stockShard: _s, budget, seq: _seq, ...redemption }: Redemption) => ({
  ...redemption,
  ...(budget ? { campaignId: budget.campaignId } : {}),
});

export const earningView = ({ capPeriodKey: _key, ...earning }: EarningResult) => earning;

export const entryView = ({ tenantId: _tenantId, ...entry }: LedgerEntry) => entry;

export const historyLineView = ({ tenantId: _tenantId, ...line }: HistoryLine) => line;

/** A page of items in their view, with the cursor of the next page when there is one. */
export const pageView = <T, V>(page: Page<T>, view: (item: T) => V) => ({
  items: page.items.map(view),
  ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
});

/** What a committed change answers: its last entry (if it has one), the balance after it, its last event. */
function changeBody({ mutation, settings }: CommittedChange) {
  const entry = mutation.entries[mutation.entries.length - 1];
  return {
    ...(entry ? { entry: entryView(entry) } : {}),
    balance: balanceView(mutation.balance, settings, new Date(mutation.balance.updatedAt)),
    eventId: required(mutation.events.at(-1), "the change's last event").id,
  };
}

/** Each ledger outcome as the API answers it: created things are 201, refusals carry their problem's status. */
export const ledgerReplies: LedgerReplies = {
  reply(outcome: LedgerOutcome): Reply {
    switch (outcome.kind) {
      case 'member':
        return { statusCode: outcome.created ? 201 : 200, body: memberView(outcome.profile, outcome.balance) };
      case 'points':
        return { statusCode: 201, body: changeBody(outcome) };
      case 'transaction': {
        const evaluated = { transactionId: outcome.transactionId, earning: earningView(outcome.earning) };
        if (!outcome.change) return { statusCode: 200, body: evaluated };
        return { statusCode: 201, body: { ...evaluated, ...changeBody(outcome.change) } };
      }
      case 'redemption':
        return {
          statusCode: outcome.created ? 201 : 200,
          body: {
            redemption: redemptionView(required(outcome.mutation.redemptions?.[0], 'the redemption')),
            ...changeBody(outcome),
          },
        };
      case 'offer-viewed':
        return { statusCode: 201, body: { offerId: outcome.offerId, eventId: outcome.eventId } };
      case 'offer-activated': {
        const { offer, activationCount, eventId } = outcome;
        const remaining = offer.activationLimitPerMember - activationCount;
        return { statusCode: 201, body: { offerId: offer.offerId, activationCount, remaining, eventId } };
      }
      case 'history':
        return { statusCode: 201, body: historyLineView(outcome.line) };
      case 'refused':
        return { statusCode: outcome.problem.status, body: outcome.problem.toBody() };
    }
  },
};
