import { ledgerReplies } from '../../functions/api/ledger-views';
import { loyaltyEvent, type MemberEvent } from '../../functions/domain/events';
import { LedgerService } from '../../functions/domain/ledger-service';
import type { Reward } from '../../functions/domain/rewards';
import { FIXED_NOW, idem, memoryLedgerWithMember, redemptionIdOf } from '../support/ledger-helpers';
import { fixedProgrammes, type MemoryLedgerStore } from '../support/memory-ledger-store';

/** Events carry the facts data teams join on: the transaction behind an earning, the reward behind a redemption. */

const lastEvent = <T extends MemberEvent['type']>(store: MemoryLedgerStore, type: T) =>
  [...store.events].reverse().find((event) => event.type === type) as Extract<MemberEvent, { type: T }> | undefined;

describe('points.earned on a business transaction', () => {
  const rules = {
    currencies: [{ currency: 'EUR', pointsPerUnit: 2 }],
    excludedCategories: ['tobacco'],
    multipliers: [{ name: 'spa x3', when: { categories: ['spa'], channels: ['app'] }, multiplier: 3 }],
    promotions: [
      {
        promotionId: 'winter-26',
        name: 'Winter bonus',
        startsAt: '2026-11-01T00:00:00.000Z',
        endsAt: '2026-12-01T00:00:00.000Z',
        bonusPoints: 25,
      },
    ],
    caps: { perTransactionMaxPoints: 300 },
  };

  let store: MemoryLedgerStore;
  let service: LedgerService;
  let memberId: string;

  beforeEach(async () => {
    ({ store, memberId } = await memoryLedgerWithMember());
    service = new LedgerService(store, fixedProgrammes({ earningRules: rules }), FIXED_NOW, ledgerReplies);
  });

  it('carries the amount, currency, category, channel, lines and the rules that applied', async () => {
    // Act
    const outcome = await service.postTransaction('t1', memberId, idem('tx-1'), {
      transactionId: 'pos-1',
      type: 'purchase',
      amount: 60,
      currency: 'EUR',
      category: 'wellness',
      channel: 'app',
      occurredAt: '2026-11-21T09:00:00.000Z',
      lines: [
        { sku: 'SPA-60', category: 'spa', amount: 50 },
        { category: 'tobacco', amount: 10 },
      ],
    });

    // Assess: 50 EUR at 2 = 100, x3 = 300, +25 = 325, capped at 300; the tobacco line earned nothing.
    expect(outcome.statusCode).toBe(201);
    const event = lastEvent(store, 'points.earned')!;
    // Exactly the catalogue's shape: nothing beyond it (the Idempotency-Key stays on the entry).
    expect(loyaltyEvent.parse(event)).toEqual(event);
    expect(event.data).not.toHaveProperty('idempotencyKey');
    expect(event.data).toMatchObject({
      amountPoints: 300,
      source: 'app',
      transactionId: 'pos-1',
      transaction: {
        type: 'purchase',
        amount: 60,
        currency: 'EUR',
        category: 'wellness',
        channel: 'app',
        occurredAt: '2026-11-21T09:00:00.000Z',
        lines: [
          { sku: 'SPA-60', category: 'spa', amount: 50 },
          { category: 'tobacco', amount: 10 },
        ],
      },
      rules: [
        { kind: 'excluded', reason: 'category', category: 'tobacco', line: 1, points: 0 },
        { kind: 'base', pointsPerUnit: 2, eligibleAmount: 50, points: 100 },
        { kind: 'multiplier', name: 'spa x3', multiplier: 3, points: 300 },
        { kind: 'promotion', promotionId: 'winter-26', name: 'Winter bonus', bonusPoints: 25, points: 325 },
        { kind: 'cap', cap: 'perTransaction', maxPoints: 300, points: 300 },
      ],
    });
    // The preview's labels are for people; the event keeps data only.
    expect(JSON.stringify(event.data)).not.toContain('label');
  });

  it('leaves out what the transaction did not carry', async () => {
    await service.postTransaction('t1', memberId, idem('tx-2'), {
      transactionId: 'pms-2',
      type: 'stay',
      amount: 10,
      currency: 'EUR',
    });
    const event = lastEvent(store, 'points.earned')!;
    expect(event.data).toMatchObject({
      transaction: { type: 'stay', amount: 10, currency: 'EUR' },
      rules: [{ kind: 'base' }, { kind: 'promotion' }],
    });
    expect(Object.keys(event.data.transaction!).sort()).toEqual(['amount', 'currency', 'type']);
  });

  it('a manual earning carries what it has and no transaction facts', async () => {
    await service.earn('t1', memberId, idem('earn-1'), {
      amountPoints: 40,
      reason: 'goodwill',
      source: 'crm',
      transactionId: 'ref-9',
    });
    const event = lastEvent(store, 'points.earned')!;
    expect(event.data).toMatchObject({ amountPoints: 40, reason: 'goodwill', source: 'crm', transactionId: 'ref-9' });
    expect(event.data).not.toHaveProperty('transaction');
    expect(event.data).not.toHaveProperty('rules');
  });
});

describe('reward events', () => {
  const reward = (overrides: Partial<Reward> = {}): Reward => ({
    tenantId: 't1',
    rewardId: 'mug',
    name: 'Mug',
    pointsCost: 300,
    status: 'active',
    fulfilment: 'manual',
    unlimitedStock: true,
    value: { amount: 12.5, currency: 'EUR' },
    category: 'merchandise',
    updatedAt: '2026-11-01T00:00:00Z',
    ...overrides,
  });

  let store: MemoryLedgerStore;
  let service: LedgerService;
  let memberId: string;

  beforeEach(async () => {
    ({ store, service, memberId } = await memoryLedgerWithMember());
    await service.earn('t1', memberId, idem('earn'), { amountPoints: 1000, reason: 'stay' });
  });

  const facts = { rewardValue: { amount: 12.5, currency: 'EUR' }, rewardCategory: 'merchandise', fulfilment: 'manual' };

  it('reward.redeemed carries the point cost, value, currency, category and fulfilment', async () => {
    const outcome = await service.redeemReward('t1', memberId, idem('r1'), reward(), null);
    expect(outcome.statusCode).toBe(201);
    const event = lastEvent(store, 'reward.redeemed')!;
    expect(loyaltyEvent.parse(event)).toEqual(event);
    const burnt = lastEvent(store, 'points.redeemed')!;
    expect(loyaltyEvent.parse(burnt)).toEqual(burnt);
    expect(event.data).toMatchObject({ rewardId: 'mug', pointsCost: 300, status: 'pending', ...facts });
    expect(outcome.body).toMatchObject({ redemption: facts });
  });

  it('reward.fulfilled and reward.cancelled carry the facts recorded at redemption', async () => {
    const first = redemptionIdOf(await service.redeemReward('t1', memberId, idem('r1'), reward(), null));
    const second = redemptionIdOf(await service.redeemReward('t1', memberId, idem('r2'), reward(), null));

    await service.fulfilRedemption('t1', memberId, first, idem('f1'), 'ship-1');
    await service.cancelRedemption('t1', memberId, second, idem('c1', { reason: 'gone' }), 'gone');

    const fulfilled = lastEvent(store, 'reward.fulfilled')!;
    const cancelled = lastEvent(store, 'reward.cancelled')!;
    for (const event of [fulfilled, cancelled]) expect(loyaltyEvent.parse(event)).toEqual(event);
    expect(fulfilled.data).toMatchObject({ redemptionId: first, reference: 'ship-1', pointsCost: 300, ...facts });
    expect(cancelled.data).toMatchObject({ redemptionId: second, refundedPoints: 300, pointsCost: 300, ...facts });
  });

  it('a reward without value or category still names its fulfilment, and no campaign', async () => {
    store.addCodes('t1', 'spa', ['CODE-A1']);
    const plain = reward({ rewardId: 'spa', fulfilment: 'voucher', unlimitedStock: false });
    delete plain.value;
    delete plain.category;
    await service.redeemReward('t1', memberId, idem('r1'), plain, null);
    const event = lastEvent(store, 'reward.redeemed')!;
    expect(event.data).toMatchObject({ fulfilment: 'voucher', status: 'fulfilled' });
    expect(event.data).not.toHaveProperty('rewardValue');
    expect(event.data).not.toHaveProperty('rewardCategory');
    expect(event.data).not.toHaveProperty('campaignId');
  });

  it('events recorded before these fields existed still parse (add-only within version 1)', () => {
    const older = {
      id: 'evt_1',
      version: 1,
      tenantId: 't1',
      memberId: 'mem_1',
      seq: 3,
      occurredAt: '2026-01-01T00:00:00.000Z',
      type: 'reward.redeemed',
      data: {
        redemptionId: 'rdm_1_3',
        rewardId: 'mug',
        rewardName: 'Mug',
        pointsCost: 300,
        status: 'pending',
        balance: { availablePoints: 0, pendingPoints: 0, lifetimePoints: 300, tier: 'base' },
      },
    };
    expect(loyaltyEvent.safeParse(older).success).toBe(true);
  });
});
