import type { APIGatewayProxyEvent } from 'aws-lambda';
import { historyOperations } from '../../functions/api/history-operations';
import { ledgerReplies } from '../../functions/api/ledger-views';
import type { Operation, Services } from '../../functions/api/operation-kit';
import { importRowApplier } from '../../functions/api/import-rows';
import type { CommandServices } from '../../functions/api/inbound-commands';
import { loyaltyEvent } from '../../functions/domain/events';
import { historyLine, signedPoints } from '../../functions/domain/history';
import { rowHash } from '../../functions/domain/import-rows';
import {
  LedgerRuleError,
  planEarn,
  planEnrol,
  planHousekeeping,
  type Balance,
  type Mutation,
} from '../../functions/domain/ledger';
import { assertChangeInvariants } from '../../functions/domain/ledger-invariants';
import { LedgerService } from '../../functions/domain/ledger-service';
import { sumPoints } from '../../functions/domain/lots';
import { planOpeningBalance } from '../../functions/domain/opening-balance';
import { programmeSettings } from '../../functions/domain/programme';
import type { Clock } from '../../functions/shared/clock';
import { fixedProgrammes, MemoryLedgerStore } from '../support/memory-ledger-store';

/** Historical loads: what each row of an import file does to the ledger, planned purely and applied once. */

const now = new Date('2026-12-03T12:00:00.000Z');
const ladder = programmeSettings.parse({
  tiers: {
    window: { kind: 'rolling', days: 365 },
    tiers: [
      { tierId: 'blue', name: 'Blue', thresholdPoints: 0, benefits: {} },
      { tierId: 'silver', name: 'Silver', thresholdPoints: 2000, benefits: {} },
      { tierId: 'gold', name: 'Gold', thresholdPoints: 10000, benefits: {} },
    ],
  },
});
const at = (day: string) => new Date(`${day}T00:00:00.000Z`);
const enrolled = (): Balance =>
  planEnrol('t1', { externalId: 'crm-1' }, new Date('2026-12-01T00:00:00Z'), ladder).balance;

/** The plan, with the invariants every change keeps and every event in the catalogue's shape. */
function checked(mutation: Mutation, current: Balance): Mutation {
  assertChangeInvariants(current, mutation);
  for (const event of mutation.events) loyaltyEvent.parse(event);
  return mutation;
}

const opening = {
  asOf: '2026-11-30T00:00:00.000Z',
  lots: [
    { points: 1200, expiresAt: '2027-06-30T00:00:00.000Z' },
    { points: 300, expiresAt: null },
    { points: 50, expiresAt: '2026-12-01T00:00:00.000Z' },
  ],
  lifetimePoints: 5400,
  qualifyingPoints: 2100,
  tierId: 'silver',
};

describe('opening balances (pure)', () => {
  it('credits the live lots with their expiry, leaves out the expired ones, and announces member.imported', () => {
    // Prepare
    const current = enrolled();

    // Act
    const plan = checked(planOpeningBalance(current, opening, now, ladder), current);

    // Assess
    const b = plan.balance;
    expect(b.availablePoints).toBe(1500);
    expect(b.lots).toEqual([
      { points: 1200, expiresAt: '2027-06-30T00:00:00.000Z' },
      { points: 300, expiresAt: null },
    ]);
    expect(sumPoints(b.lots)).toBe(b.availablePoints);
    expect(b.lifetimePoints).toBe(5400);
    expect(plan.entries).toHaveLength(1);
    expect(plan.entries[0]).toMatchObject({
      type: 'opening_balance',
      amountPoints: 1500,
      asOf: opening.asOf,
      expiredLots: [{ points: 50, expiresAt: '2026-12-01T00:00:00.000Z' }],
      availableAfter: 1500,
      lifetimeAfter: 5400,
    });
    expect(plan.events.map((e) => e.type)).toEqual(['member.imported']);
    expect(plan.events[0]?.data).toMatchObject({
      amountPoints: 1500,
      expiredPoints: 50,
      lifetimePoints: 5400,
      qualifyingPoints: 2100,
      tier: 'silver',
      asOf: opening.asOf,
      balance: { availablePoints: 1500, lifetimePoints: 5400, tier: 'silver' },
    });
    expect(b.openingBalance).toEqual({ entryId: plan.entries[0]!.entryId, asOf: opening.asOf });
    // Housekeeping's next work: the expiry notice of the lot expiring next (30 days ahead), before the tier review.
    expect(b.dueAt).toBe('2027-05-31T00:00:00.000Z');
  });

  it('seats the stated tier for one tier period from asOf, with the qualifying points counted at asOf', () => {
    // Prepare
    const current = enrolled();

    // Act
    const plan = checked(planOpeningBalance(current, opening, now, ladder), current);

    // Assess: lifetime points are not earned now; only the stated qualifying points count.
    expect(plan.balance.tierState).toMatchObject({
      tierId: 'silver',
      since: opening.asOf,
      reviewAt: '2027-11-30T00:00:00.000Z',
      graceUntil: null,
      buckets: { '2026-11-30': 2100 },
    });
    expect(plan.events.map((e) => e.type)).not.toContain('tier.promoted');
  });

  it('lets the next tier review decide: demoted without points that count, renewed on earnings since', () => {
    // Prepare: silver seated; one member earns enough in the window again, the other does not.
    const current = enrolled();
    const seated = checked(planOpeningBalance(current, opening, now, ladder), current);
    const reviewAt = new Date(seated.balance.tierState.reviewAt!);
    const requalified = planEarn(seated.balance, { amountPoints: 2000, reason: 'stay' }, at('2027-06-01'), ladder);

    // Act
    const early = planHousekeeping(seated.balance, at('2027-01-15'), ladder);
    const demoted = planHousekeeping(seated.balance, reviewAt, ladder);
    const renewed = planHousekeeping(requalified.balance, reviewAt, ladder);

    // Assess: the 2,100 points counted at asOf fall out of the 365-day window by the review, as live earnings do.
    expect(early?.events.map((e) => e.type) ?? []).not.toContain('tier.demoted');
    expect(demoted?.events.map((e) => e.type)).toContain('tier.demoted');
    expect(demoted?.balance.tierState.tierId).toBe('blue');
    expect(renewed?.events.map((e) => e.type) ?? []).not.toContain('tier.demoted');
    expect(renewed?.balance.tierState).toMatchObject({ tierId: 'silver', reviewAt: '2028-11-29T00:00:00.000Z' });
  });

  it('holds a seated tier on a calendar window to the end of the period after asOf’s', () => {
    // Prepare
    const yearly = programmeSettings.parse({
      tiers: { ...ladder.tiers, window: { kind: 'calendar', period: 'year' } },
    });
    const current = planEnrol('t1', { externalId: 'crm-2' }, at('2026-12-01'), yearly).balance;

    // Act
    const plan = checked(planOpeningBalance(current, opening, now, yearly), current);

    // Assess
    expect(plan.balance.tierState).toMatchObject({
      tierId: 'silver',
      reviewAt: '2028-01-01T00:00:00.000Z',
      buckets: { '2026': 2100 },
    });
  });

  it('counts the stated qualifying points without a tier and promotes on them like earnings', () => {
    // Prepare
    const current = enrolled();
    const { tierId: _tier, ...untiered } = opening;

    // Act
    const plan = checked(planOpeningBalance(current, { ...untiered, qualifyingPoints: 12000 }, now, ladder), current);

    // Assess
    expect(plan.events.map((e) => e.type)).toEqual(['member.imported', 'tier.promoted']);
    expect(plan.balance.tierState.tierId).toBe('gold');
  });

  it('refuses a second opening balance, an unknown tier and lifetime points below the lots', () => {
    // Prepare
    const current = enrolled();
    const once = planOpeningBalance(current, opening, now, ladder).balance;

    // Act
    const again = () => planOpeningBalance(once, opening, now, ladder);
    const unknown = () => planOpeningBalance(current, { ...opening, tierId: 'platinum' }, now, ladder);
    const low = () => planOpeningBalance(current, { ...opening, lifetimePoints: 10 }, now, ladder);

    // Assess
    expect(again).toThrow(expect.objectContaining({ code: 'opening_balance_exists' }) as LedgerRuleError);
    expect(unknown).toThrow(expect.objectContaining({ code: 'unknown_tier' }) as LedgerRuleError);
    expect(low).toThrow(RangeError);
  });

  it('defaults lifetime points to the lots, qualifying points to none, and credits nothing from expired lots', () => {
    // Prepare
    const current = enrolled();
    const expiredOnly = { asOf: opening.asOf, lots: [{ points: 70, expiresAt: '2026-12-02T00:00:00.000Z' }] };

    // Act
    const plan = checked(planOpeningBalance(current, expiredOnly, now, ladder), current);

    // Assess
    expect(plan.balance.availablePoints).toBe(0);
    expect(plan.balance.lifetimePoints).toBe(70);
    expect(plan.balance.tierState.tierId).toBe('blue');
    expect(plan.events[0]?.data).toMatchObject({ amountPoints: 0, expiredPoints: 70, qualifyingPoints: 0, lots: [] });
  });
});

describe('history lines (pure)', () => {
  it('takes the sign from the kind and an adjustment’s direction', () => {
    expect(signedPoints({ kind: 'earn', points: 5 })).toBe(5);
    expect(signedPoints({ kind: 'redeem', points: 5 })).toBe(-5);
    expect(signedPoints({ kind: 'expire', points: 5 })).toBe(-5);
    expect(signedPoints({ kind: 'adjust', points: 5 })).toBe(5);
    expect(signedPoints({ kind: 'adjust', points: 5, direction: 'debit' })).toBe(-5);
    expect(() => signedPoints({ kind: 'earn', points: 0 })).toThrow(RangeError);
  });

  it('keeps the original time beside the time it was recorded', () => {
    const line = historyLine(
      't1',
      'mem_1',
      { transactionId: 'old-1', kind: 'redeem', points: 250, occurredAt: '2024-03-02T18:22:00.000Z' },
      now.toISOString(),
    );
    expect(line).toEqual({
      tenantId: 't1',
      memberId: 'mem_1',
      transactionId: 'old-1',
      type: 'redeem',
      amountPoints: -250,
      occurredAt: '2024-03-02T18:22:00.000Z',
      recordedAt: now.toISOString(),
    });
  });
});

describe('the import row applier (in memory)', () => {
  const clock: Clock = { now: () => now };
  function applier() {
    const store = new MemoryLedgerStore();
    const ledger = new LedgerService(store, fixedProgrammes(ladder), clock, ledgerReplies);
    const services = {
      ledger,
      clock,
      tenantStore: { getTenantStatus: () => Promise.resolve({ status: 'active' }) },
    } as unknown as CommandServices;
    const apply = importRowApplier(services, (t, e) => store.findMemberIdByExternalId(t, e));
    let line = 0;
    return { store, ledger, apply: (row: unknown) => apply('t1', row, { importId: 'imp_1', line: ++line }) };
  }
  const member = {
    type: 'member',
    externalId: 'crm-000123',
    email: 'a@example.com',
    firstName: 'Ana',
    segments: ['vip'],
    enrolledAt: '2019-04-01T11:00:00+01:00',
  };
  const balanceRow = {
    type: 'opening_balance',
    externalId: 'crm-000123',
    asOf: '2026-11-30T00:00:00Z',
    lots: [
      { points: 1200, expiresAt: '2027-06-30T00:00:00Z' },
      { points: 300, expiresAt: null },
    ],
    lifetimePoints: 5400,
    qualifyingPoints: 2100,
    tier: 'silver',
  };
  const earnRow = {
    type: 'transaction',
    externalId: 'crm-000123',
    transactionId: 'old-998877',
    occurredAt: '2024-03-02T18:22:00Z',
    kind: 'earn',
    points: 250,
    description: 'Stay at Lisbon',
    source: 'legacy-pms',
  };

  it('applies each row type once: applied, then unchanged, whatever the key order', async () => {
    // Prepare
    const { apply, store, ledger } = applier();

    // Act
    const first = [await apply(member), await apply(balanceRow), await apply(earnRow)];
    const reordered = Object.fromEntries(Object.entries(earnRow).reverse());
    const again = [await apply(member), await apply(balanceRow), await apply(reordered)];

    // Assess
    expect(first.map((o) => o.outcome)).toEqual(['applied', 'applied', 'applied']);
    expect(again.map((o) => o.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const memberId = (first[0] as { memberId: string }).memberId;
    const { profile, balance } = await ledger.getMember('t1', memberId);
    expect(profile.enrolledAt).toBe('2019-04-01T10:00:00.000Z');
    expect(balance).toMatchObject({ availablePoints: 1500, lifetimePoints: 5400, seq: 2 });
    expect(balance.tierState.tierId).toBe('silver');
    expect([...store.history.values()]).toEqual([
      expect.objectContaining({
        transactionId: 'old-998877',
        amountPoints: 250,
        occurredAt: '2024-03-02T18:22:00.000Z',
      }),
    ]);
    expect(store.events.map((e) => e.type)).toEqual(['member.enrolled', 'member.imported']);
  });

  it('takes a row written another way (offsets, key order, an absent expiry) for the same row', async () => {
    // Prepare
    const { apply } = applier();
    await apply(member);
    await apply(balanceRow);
    await apply(earnRow);

    // Act
    const outcomes = [
      await apply({ ...member, enrolledAt: '2019-04-01T10:00:00Z' }),
      await apply({
        ...balanceRow,
        asOf: '2026-11-30T01:00:00+01:00',
        lots: [{ expiresAt: '2027-06-30T00:00:00.000Z', points: 1200 }, { points: 300 }],
      }),
      await apply({ ...earnRow, occurredAt: '2024-03-02T19:22:00+01:00' }),
    ];

    // Assess
    expect(outcomes.map((o) => o.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });

  it('refuses different data for what exists: member, opening balance, history line', async () => {
    // Prepare
    const { apply } = applier();
    await apply(member);
    await apply(balanceRow);
    await apply(earnRow);

    // Act
    const outcomes = [
      await apply({ ...member, firstName: 'Anna' }),
      await apply({ ...balanceRow, lifetimePoints: 6000 }),
      await apply({ ...earnRow, points: 251 }),
    ];

    // Assess
    expect(outcomes).toEqual([
      expect.objectContaining({ code: 'member_exists_different', message: expect.stringContaining('firstName') }),
      expect.objectContaining({ code: 'opening_balance_exists' }),
      expect.objectContaining({ code: 'transaction_already_posted', message: expect.stringContaining('old-998877') }),
    ]);
  });

  it('names the field of an invalid row, and refuses unknown members and tiers without remembering it', async () => {
    // Prepare
    const { apply, store } = applier();
    await apply(member);

    // Act
    const outcomes = [
      await apply({ type: 'points', externalId: 'x' }),
      await apply([1]),
      await apply({ ...member, externalId: 'crm-2', email: 42 }),
      await apply({ ...member, externalId: 'crm-3', enrolledAt: '2099-01-01T00:00:00Z' }),
      await apply({ ...balanceRow, lots: [{ points: -1, expiresAt: null }] }),
      await apply({ ...balanceRow, lifetimePoints: 10 }),
      await apply({ ...balanceRow, asOf: '2026-11-30' }),
      await apply({ ...earnRow, kind: 'redeem', direction: 'debit' }),
      await apply({ ...earnRow, unexpected: true }),
      await apply({ ...balanceRow, externalId: 'nobody' }),
      await apply({ ...earnRow, externalId: 'nobody' }),
      await apply({ ...balanceRow, tier: 'platinum' }),
    ];
    const corrected = await apply(balanceRow);

    // Assess
    expect(outcomes.map((o) => (o.outcome === 'rejected' ? [o.code, o.message] : o.outcome))).toEqual([
      ['invalid_row', 'type: must be one of member, opening_balance, transaction'],
      ['invalid_row', '(row): must be a JSON object'],
      ['invalid_row', expect.stringMatching(/^email: /)],
      ['invalid_row', 'enrolledAt: must not be in the future'],
      ['invalid_row', expect.stringMatching(/^lots\[0\]\.points: /)],
      ['invalid_row', "lifetimePoints: must be at least the lots' 1500 points"],
      ['invalid_row', expect.stringMatching(/^asOf: /)],
      ['invalid_row', 'direction: only an adjust line has a direction'],
      ['invalid_row', expect.stringMatching(/unexpected/)],
      ['member_not_found', 'No member with external id nobody'],
      ['member_not_found', 'No member with external id nobody'],
      ['unknown_tier', 'The programme has no tier platinum'],
    ]);
    expect(corrected.outcome).toBe('applied');
    expect(store.history.size).toBe(0);
  });

  it('keeps history off the balance: a redemption line spends nothing, an earning adds nothing', async () => {
    // Prepare
    const { apply, ledger } = applier();
    const { memberId } = (await apply(member)) as { memberId: string };
    await apply(balanceRow);
    const before = await ledger.getBalance('t1', memberId);

    // Act
    await apply({ ...earnRow, transactionId: 'old-1', kind: 'redeem', points: 99999 });
    await apply({ ...earnRow, transactionId: 'old-2', kind: 'adjust', direction: 'debit', points: 5 });
    const after = await ledger.getBalance('t1', memberId);
    const history = await ledger.listHistory('t1', memberId, { limit: 10, order: 'asc' });

    // Assess
    expect(after).toEqual(before);
    expect(history.items.map((line) => [line.transactionId, line.type, line.amountPoints])).toEqual([
      ['old-1', 'redeem', -99999],
      ['old-2', 'adjust', -5],
    ]);
  });

  it('shows history through GET /v1/members/{memberId}/history by original time, and no member as 404', async () => {
    // Prepare
    const { apply, ledger } = applier();
    const { memberId } = (await apply(member)) as { memberId: string };
    await apply({ ...earnRow, transactionId: 'later', occurredAt: '2025-01-01T00:00:00+01:00' });
    await apply(earnRow);
    const list = historyOperations.find((op) => op.operationId === 'listImportedHistory')!;
    const read = (id: string, query: Record<string, string>) =>
      list.run({
        event: { pathParameters: { memberId: id }, queryStringParameters: query } as unknown as APIGatewayProxyEvent,
        tenantId: 't1',
        services: { ledger } as unknown as Services,
      } as Parameters<Operation['run']>[0]);

    // Act
    const newest = await read(memberId, {});
    const oldest = await read(memberId, { order: 'asc', limit: '1' });
    const missing = read('mem_nobody', {});

    // Assess
    const items = (newest.body as { items: { transactionId: string; occurredAt: string }[] }).items;
    expect(items.map((line) => [line.transactionId, line.occurredAt])).toEqual([
      ['later', '2024-12-31T23:00:00.000Z'],
      ['old-998877', '2024-03-02T18:22:00.000Z'],
    ]);
    expect(newest.body).not.toHaveProperty('items.0.tenantId');
    expect((oldest.body as { items: { transactionId: string }[] }).items.map((l) => l.transactionId)).toEqual([
      'old-998877',
    ]);
    await expect(missing).rejects.toMatchObject({ code: 'member_not_found' });
  });

  it('throws on a platform failure so that the job retries the row', async () => {
    // Prepare
    const { apply, store } = applier();
    await apply(member);
    store.commitHistoryLine = () => Promise.reject(new Error('throttled'));

    // Act + Assess
    await expect(apply(earnRow)).rejects.toThrow('throttled');
  });

  it('binds a row to its content, not its key order', () => {
    expect(rowHash('t1', { a: 1, b: [{ c: 2, d: 3 }] })).toBe(rowHash('t1', { b: [{ d: 3, c: 2 }], a: 1 }));
    expect(rowHash('t1', { a: 1 })).not.toBe(rowHash('t2', { a: 1 }));
  });
});
