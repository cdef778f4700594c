import {
  parseEntryId,
  planAdjust,
  planEarn,
  planEnrol,
  planErase,
  planHousekeeping,
  planProfileUpdate,
  planRedeem,
  planReverse,
  planOfferActivation,
  planOfferView,
  planTransaction,
  LedgerRuleError,
  type Balance,
  type Mutation,
} from '../../functions/domain/ledger';
import { evaluateEarning } from '../../functions/domain/earning-rules';
import { loyaltyEvent } from '../../functions/domain/events';
import { programmeSettings } from '../../functions/domain/programme';

const now = new Date('2026-11-21T10:00:00.000Z');
const at = (iso: string) => new Date(iso);
const settings = programmeSettings.parse({ pointsExpiry: { afterDays: 365 }, expiryNoticeDays: 30 });
const never = programmeSettings.parse({});

function enrolled(): Balance {
  return planEnrol('t1', { externalId: 'x' }, now).balance;
}

/** Every plan's events parse against the catalogue and take consecutive seqs. */
function checked(mutation: Mutation, from: Balance): Mutation {
  expect(mutation.expectedVersion).toBe(from.version);
  expect(mutation.events.map((e) => e.seq)).toEqual(mutation.events.map((_, i) => from.seq + 1 + i));
  for (const event of mutation.events) loyaltyEvent.parse(event);
  for (const entry of mutation.entries) expect(mutation.events.some((e) => e.seq === entry.seq)).toBe(true);
  return mutation;
}

function apply(balance: Balance, plan: (b: Balance) => Mutation): Balance {
  return checked(plan(balance), balance).balance;
}

describe('ledger planning', () => {
  it('enrols with a zero balance, seq 1 and a complete member.enrolled event', () => {
    // Act
    const plan = planEnrol('t1', { externalId: 'ext-1', email: 'a@example.com' }, now);

    // Assess
    expect(plan.expectedVersion).toBeNull();
    expect(plan.balance).toMatchObject({
      availablePoints: 0,
      lifetimePoints: 0,
      seq: 1,
      version: 1,
      status: 'active',
      lots: [],
      pending: [],
      dueAt: null,
    });
    expect(plan.events).toHaveLength(1);
    expect(plan.events[0]).toMatchObject({ type: 'member.enrolled', seq: 1, data: { externalId: 'ext-1' } });
    expect(JSON.stringify(plan.events)).not.toContain('a@example.com');
    expect(plan.externalId).toEqual({ claim: 'ext-1' });
  });

  it('earns into a lot expiring at the UTC midnight ending the policy period', () => {
    // Act
    const plan = checked(planEarn(enrolled(), { amountPoints: 100, reason: 'stay' }, now, settings), enrolled());

    // Assess
    expect(plan.balance.lots).toEqual([{ expiresAt: '2027-11-22T00:00:00.000Z', points: 100 }]);
    expect(plan.entries[0]).toMatchObject({
      type: 'earn',
      amountPoints: 100,
      pendingPoints: 0,
      availableAfter: 100,
      lifetimeAfter: 100,
      seq: 2,
    });
    expect(plan.events[0]).toMatchObject({
      type: 'points.earned',
      data: { amountPoints: 100, pending: false, expiresAt: '2027-11-22T00:00:00.000Z' },
    });
    // The notice for the lot is the next thing due.
    expect(plan.balance.dueAt).toBe('2027-10-23T00:00:00.000Z');
  });

  it('holds an earning as pending and activates it when the hold ends, counting lifetime only then', () => {
    // Prepare
    const held = checked(
      planEarn(enrolled(), { amountPoints: 40, reason: 'booking', holdDays: 14 }, now, settings),
      enrolled(),
    );
    expect(held.balance).toMatchObject({
      availablePoints: 0,
      pendingPoints: 40,
      lifetimePoints: 0,
      dueAt: '2026-12-05T10:00:00.000Z',
    });

    // Act
    expect(planHousekeeping(held.balance, at('2026-12-05T09:59:59.999Z'), settings)).toBeNull();
    const activated = checked(planHousekeeping(held.balance, at('2026-12-05T10:00:00.000Z'), settings)!, held.balance);

    // Assess
    expect(activated.balance).toMatchObject({ availablePoints: 40, pendingPoints: 0, lifetimePoints: 40, pending: [] });
    expect(activated.entries[0]).toMatchObject({
      type: 'activate',
      amountPoints: 40,
      pendingPoints: -40,
      relatedEntryId: held.entries[0]!.entryId,
    });
    expect(activated.events[0]).toMatchObject({
      type: 'points.activated',
      data: { earnEntryId: held.entries[0]!.entryId },
    });
  });

  it('splits a large backlog of due holds over several changes that each fit in one transaction', () => {
    // Prepare: 70 holds that all end at once.
    let b = enrolled();
    for (let i = 0; i < 70; i++)
      b = apply(b, (x) => planEarn(x, { amountPoints: 1, reason: `booking ${i}`, holdDays: 1 }, now, never));

    // Act: housekeeping until nothing is due.
    const later = at('2026-11-23T00:00:00.000Z');
    const changes: Mutation[] = [];
    for (let next = planHousekeeping(b, later, never); next; next = planHousekeeping(b, later, never)) {
      changes.push(checked(next, b));
      b = next.balance;
    }

    // Assess: balance, entries and events of each change stay within 100 transaction actions.
    expect(changes.map((c) => c.entries.length)).toEqual([30, 30, 10]);
    for (const c of changes) expect(1 + c.entries.length + c.events.length).toBeLessThanOrEqual(100);
    expect(b).toMatchObject({ availablePoints: 70, pendingPoints: 0, pending: [] });
  });

  it('redeems soonest-expiring lots first and never below zero', () => {
    // Prepare: three lots, the never-expiring one last.
    let b = enrolled();
    b = apply(b, (x) => planEarn(x, { amountPoints: 50, reason: 'a', expiresAt: null }, now, settings));
    b = apply(b, (x) =>
      planEarn(x, { amountPoints: 30, reason: 'b', expiresAt: '2027-03-01T00:00:00.000Z' }, now, settings),
    );
    b = apply(b, (x) =>
      planEarn(x, { amountPoints: 20, reason: 'c', expiresAt: '2027-01-01T00:00:00.000Z' }, now, settings),
    );

    // Act
    const plan = checked(planRedeem(b, { amountPoints: 35, reason: 'reward' }, now, settings), b);

    // Assess
    expect(plan.entries[0]!.lots).toEqual([
      { expiresAt: '2027-01-01T00:00:00.000Z', points: 20 },
      { expiresAt: '2027-03-01T00:00:00.000Z', points: 15 },
    ]);
    expect(plan.balance.lots).toEqual([
      { expiresAt: '2027-03-01T00:00:00.000Z', points: 15 },
      { expiresAt: null, points: 50 },
    ]);
    expect(plan.balance.availablePoints).toBe(65);
    expect(() => planRedeem(plan.balance, { amountPoints: 66, reason: 'too much' }, now, settings)).toThrow(
      expect.objectContaining({ code: 'insufficient_points' }),
    );
  });

  it('refunds a redemption into its original lots with their expiry dates, latest first when partial', () => {
    // Prepare
    let b = enrolled();
    b = apply(b, (x) =>
      planEarn(x, { amountPoints: 20, reason: 'a', expiresAt: '2027-01-01T00:00:00.000Z' }, now, settings),
    );
    b = apply(b, (x) =>
      planEarn(x, { amountPoints: 30, reason: 'b', expiresAt: '2027-03-01T00:00:00.000Z' }, now, settings),
    );
    const redeemed = checked(planRedeem(b, { amountPoints: 40, reason: 'reward' }, now, settings), b);
    b = redeemed.balance;

    // Act: refund 25 of 40, then the remaining 15.
    const partial = checked(
      planReverse(b, redeemed.entries[0]!, null, { amountPoints: 25, reason: 'refund' }, now, settings),
      b,
    );
    const rest = checked(
      planReverse(partial.balance, redeemed.entries[0]!, partial.entryStates[0]!, { reason: 'refund' }, now, settings),
      partial.balance,
    );

    // Assess
    expect(partial.entries[0]).toMatchObject({
      type: 'reverse',
      amountPoints: 25,
      lots: [
        { expiresAt: '2027-03-01T00:00:00.000Z', points: 20 },
        { expiresAt: '2027-01-01T00:00:00.000Z', points: 5 },
      ],
    });
    expect(partial.entryStates[0]).toMatchObject({
      reversiblePoints: 15,
      refundableLots: [{ expiresAt: '2027-01-01T00:00:00.000Z', points: 15 }],
    });
    expect(rest.balance.lots).toEqual([
      { expiresAt: '2027-01-01T00:00:00.000Z', points: 20 },
      { expiresAt: '2027-03-01T00:00:00.000Z', points: 30 },
    ]);
    expect(rest.events[0]).toMatchObject({
      type: 'points.reversed',
      data: { effect: 'refund', amountPoints: 15, reversedType: 'redeem' },
    });
    expect(() =>
      planReverse(rest.balance, redeemed.entries[0]!, rest.entryStates[0]!, { reason: 'again' }, now, settings),
    ).toThrow(expect.objectContaining({ code: 'reversal_exceeds_entry' }));
  });

  it('claws back an earning from its own lot first and lowers lifetime; refuses when the points were spent', () => {
    // Prepare
    let b = enrolled();
    b = apply(b, (x) =>
      planEarn(x, { amountPoints: 10, reason: 'old', expiresAt: '2027-01-01T00:00:00.000Z' }, now, settings),
    );
    const earn = checked(
      planEarn(b, { amountPoints: 50, reason: 'purchase', expiresAt: '2027-06-01T00:00:00.000Z' }, now, settings),
      b,
    );
    b = earn.balance;

    // Act
    const clawback = checked(
      planReverse(b, earn.entries[0]!, null, { amountPoints: 20, reason: 'return' }, now, settings),
      b,
    );

    // Assess
    expect(clawback.entries[0]).toMatchObject({
      amountPoints: -20,
      lots: [{ expiresAt: '2027-06-01T00:00:00.000Z', points: 20 }],
    });
    expect(clawback.balance).toMatchObject({ availablePoints: 40, lifetimePoints: 40 });
    const spent = apply(clawback.balance, (x) => planRedeem(x, { amountPoints: 35, reason: 'r' }, now, settings));
    expect(() =>
      planReverse(spent, earn.entries[0]!, clawback.entryStates[0]!, { reason: 'rest' }, now, settings),
    ).toThrow(expect.objectContaining({ code: 'insufficient_points' }));
  });

  it('cancels a held earning from pending without touching available points', () => {
    const held = checked(
      planEarn(enrolled(), { amountPoints: 40, reason: 'booking', holdDays: 7 }, now, settings),
      enrolled(),
    );
    const cancelled = checked(
      planReverse(held.balance, held.entries[0]!, null, { reason: 'cancelled booking' }, now, settings),
      held.balance,
    );
    expect(cancelled.balance).toMatchObject({ pendingPoints: 0, availablePoints: 0, pending: [], dueAt: null });
    expect(cancelled.entries[0]).toMatchObject({ amountPoints: 0, pendingPoints: -40 });
    expect(cancelled.events[0]).toMatchObject({ data: { effect: 'pending_cancelled' } });
  });

  it('adjusts both ways with a reason; a debit never goes below zero', () => {
    const up = checked(planAdjust(enrolled(), { amountPoints: 25, reason: 'goodwill' }, now, never), enrolled());
    expect(up.balance).toMatchObject({
      availablePoints: 25,
      lifetimePoints: 0,
      lots: [{ expiresAt: null, points: 25 }],
    });
    const down = checked(planAdjust(up.balance, { amountPoints: -25, reason: 'correction' }, now, never), up.balance);
    expect(down.balance.availablePoints).toBe(0);
    expect(() => planAdjust(down.balance, { amountPoints: -1, reason: 'x' }, now, never)).toThrow(LedgerRuleError);
    expect(() => planAdjust(down.balance, { amountPoints: 0, reason: 'x' }, now, never)).toThrow(RangeError);
  });

  it('announces lots expiring soon once, then expires them as an entry', () => {
    // Prepare
    const b = apply(enrolled(), (x) =>
      planEarn(x, { amountPoints: 70, reason: 'a', expiresAt: '2026-12-10T00:00:00.000Z' }, now, settings),
    );
    expect(b.dueAt).toBe('2026-11-10T00:00:00.000Z');

    // Act
    const notice = checked(planHousekeeping(b, now, settings)!, b);
    const again = planHousekeeping(notice.balance, now, settings);
    const expiry = checked(planHousekeeping(notice.balance, at('2026-12-10T00:00:00.000Z'), settings)!, notice.balance);

    // Assess
    expect(notice.events.map((e) => e.type)).toEqual(['points.expiring_soon']);
    expect(notice.entries).toHaveLength(0);
    expect(notice.balance.dueAt).toBe('2026-12-10T00:00:00.000Z');
    expect(again).toBeNull();
    expect(expiry.entries[0]).toMatchObject({ type: 'expire', amountPoints: -70, availableAfter: 0 });
    expect(expiry.balance).toMatchObject({ availablePoints: 0, lots: [], dueAt: null });
  });

  it('erases personal data, releases the external id and forfeits points by an entry', () => {
    // Prepare
    const enrol = planEnrol('t1', { externalId: 'ext-9', email: 'e@example.com', firstName: 'Eve' }, now);
    let b = apply(enrol.balance, (x) => planEarn(x, { amountPoints: 30, reason: 'a' }, now, settings));
    b = apply(b, (x) => planEarn(x, { amountPoints: 5, reason: 'b', holdDays: 3 }, now, settings));

    // Act
    const erased = checked(planErase(b, enrol.profile!.value, now, settings)!, b);

    // Assess
    expect(erased.profile!.value).toEqual({
      tenantId: 't1',
      memberId: b.memberId,
      externalId: '',
      status: 'erased',
      createdAt: enrol.profile!.value.createdAt,
      erasedAt: now.toISOString(),
    });
    expect(erased.externalId).toEqual({ release: 'ext-9' });
    expect(erased.entries[0]).toMatchObject({
      type: 'forfeit',
      amountPoints: -30,
      pendingPoints: -5,
      availableAfter: 0,
      pendingAfter: 0,
    });
    expect(erased.events[0]).toMatchObject({
      type: 'member.erased',
      data: { forfeitedPoints: 30, cancelledPendingPoints: 5 },
    });
    expect(erased.balance).toMatchObject({ status: 'erased', dueAt: null });
    expect(planErase(erased.balance, erased.profile!.value, now, settings)).toBeNull();
    expect(() => planEarn(erased.balance, { amountPoints: 1, reason: 'x' }, now, settings)).toThrow(
      expect.objectContaining({ code: 'member_erased' }),
    );
  });

  it('patches only changed profile fields and names them (not their values) in member.updated', () => {
    const enrol = planEnrol('t1', { externalId: 'p', email: 'old@example.com', firstName: 'Al' }, now);
    const plan = planProfileUpdate(
      enrol.balance,
      enrol.profile!.value,
      { email: 'new@example.com', firstName: 'Al', lastName: null },
      now,
      never,
    )!;
    expect(plan.events[0]).toMatchObject({ type: 'member.updated', data: { changedFields: ['email'] } });
    expect(JSON.stringify(plan.events)).not.toContain('new@example.com');
    expect(plan.profile!.value.email).toBe('new@example.com');
    expect(planProfileUpdate(enrol.balance, enrol.profile!.value, { firstName: 'Al' }, now, never)).toBeNull();
  });

  it('never lets per-member time run backwards, even when a caller clock is behind', () => {
    const b = apply(enrolled(), (x) =>
      planEarn(x, { amountPoints: 1, reason: 'a' }, at('2026-11-21T12:00:00.000Z'), never),
    );
    const late = planEarn(b, { amountPoints: 1, reason: 'b' }, at('2026-11-21T11:00:00.000Z'), never);
    expect(late.events[0]!.occurredAt).toBe('2026-11-21T12:00:00.000Z');
  });

  it('gives entry ids that name the member and seq', () => {
    const plan = planEarn(enrolled(), { amountPoints: 1, reason: 'a' }, now, never);
    const parsed = parseEntryId(plan.entries[0]!.entryId);
    expect(`mem_${parsed!.memberSuffix}`).toBe(plan.memberId);
    expect(parsed!.seq).toBe(2);
    expect(parseEntryId('ent_x_0')).toBeNull();
  });

  it('promotes at once on qualifying earnings and demotes at review when the points no longer count', () => {
    // Prepare: silver at 1,000 points earned in a rolling 30 days, no grace.
    const ladder = programmeSettings.parse({
      tiers: {
        window: { kind: 'rolling', days: 30 },
        tiers: [
          { tierId: 'blue', name: 'Blue', thresholdPoints: 0, benefits: {} },
          { tierId: 'silver', name: 'Silver', thresholdPoints: 1000, benefits: { perks: ['late checkout'] } },
        ],
      },
    });
    const enrol = planEnrol('t1', { externalId: 'tiered' }, now, ladder);
    expect(enrol.balance.tierState.tierId).toBe('blue');

    // Act
    const below = checked(planEarn(enrol.balance, { amountPoints: 600, reason: 'a' }, now, ladder), enrol.balance);
    const promoted = checked(planEarn(below.balance, { amountPoints: 400, reason: 'b' }, now, ladder), below.balance);
    const reviewAt = promoted.balance.tierState.reviewAt!;
    const early = planHousekeeping(promoted.balance, at('2026-12-20T00:00:00.000Z'), ladder);
    const demoted = checked(planHousekeeping(promoted.balance, new Date(reviewAt), ladder)!, promoted.balance);

    // Assess
    expect(below.events.map((e) => e.type)).toEqual(['points.earned']);
    expect(promoted.events.map((e) => e.type)).toEqual(['points.earned', 'tier.promoted']);
    expect(promoted.events[1]).toMatchObject({
      data: { fromTier: 'blue', toTier: 'silver', benefits: { perks: ['late checkout'] }, balance: { tier: 'silver' } },
    });
    expect(promoted.balance.dueAt).toBe(reviewAt);
    expect(early).toBeNull();
    expect(demoted.events.map((e) => e.type)).toEqual(['tier.demoted']);
    expect(demoted.balance.tierState.tierId).toBe('blue');
  });

  it('records the transaction and the rules that applied on points.earned, and nowhere else', () => {
    // Prepare
    const tx = {
      transactionId: 'pos-7',
      type: 'purchase' as const,
      amount: 20,
      currency: 'EUR',
      category: 'dining',
      channel: 'store',
    };
    const rules = { currencies: [{ currency: 'EUR', pointsPerUnit: 1 }] };
    const earning = evaluateEarning(rules, tx, { tier: 'base', periodEarnedPoints: 0, now });

    // Act
    const plan = checked(planTransaction(enrolled(), tx, earning, now, settings)!, enrolled());

    // Assess
    expect(plan.events[0]!.data).toMatchObject({
      amountPoints: 20,
      transactionId: 'pos-7',
      transaction: { type: 'purchase', amount: 20, currency: 'EUR', category: 'dining', channel: 'store' },
      rules: [{ kind: 'base', pointsPerUnit: 1, eligibleAmount: 20, points: 20 }],
    });
    // The ledger entry keeps the transaction id only: the facts belong to the event.
    expect(plan.entries[0]).not.toHaveProperty('transaction');
    expect(plan.entries[0]).toMatchObject({ transactionId: 'pos-7' });
  });
});

describe('offers', () => {
  const offer = {
    tenantId: 't1',
    offerId: 'spa-double',
    name: 'Double points at the spa',
    status: 'active' as const,
    startsAt: '2026-11-01T00:00:00.000Z',
    endsAt: '2026-12-01T00:00:00.000Z',
    segments: ['spa-lovers'],
    activationLimitPerMember: 2,
    updatedAt: '2026-11-01T00:00:00.000Z',
  };

  it('activates within the per-member limit, for targeted members, inside the window only', () => {
    // Prepare
    const enrol = planEnrol('t1', { externalId: 'o', segments: ['spa-lovers'] }, now);
    const profile = enrol.profile!.value;

    // Act
    const first = checked(planOfferActivation(enrol.balance, profile, offer, now, never), enrol.balance);
    const second = checked(planOfferActivation(first.balance, profile, offer, now, never), first.balance);

    // Assess
    expect(first.events[0]).toMatchObject({
      type: 'offer.activated',
      data: { offerId: 'spa-double', activationCount: 1 },
    });
    expect(second.balance.offerActivations).toEqual({ 'spa-double': 2 });
    expect(() => planOfferActivation(second.balance, profile, offer, now, never)).toThrow(
      expect.objectContaining({ code: 'offer_limit_reached' }),
    );
    expect(() => planOfferActivation(enrol.balance, { ...profile, segments: [] }, offer, now, never)).toThrow(
      expect.objectContaining({ code: 'offer_not_for_member' }),
    );
    expect(() => planOfferActivation(enrol.balance, profile, offer, at('2026-12-01T00:00:00.000Z'), never)).toThrow(
      expect.objectContaining({ code: 'offer_not_active' }),
    );
    expect(checked(planOfferView(enrol.balance, offer, 'app', now, never), enrol.balance).events[0]).toMatchObject({
      type: 'offer.viewed',
      data: { channel: 'app' },
    });
  });
});
