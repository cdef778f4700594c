import type { LedgerService } from '../../functions/domain/ledger-service';
import { keys } from '../../functions/domain/keys';
import {
  ACCOUNT_SHARDS,
  pickShard,
  rebalancePlan,
  spreadCredit,
  type Campaign,
  type Reward,
} from '../../functions/domain/rewards';
import { idem, memoryLedgerWithMember, redemptionIdOf } from '../support/ledger-helpers';
import type { MemoryLedgerStore } from '../support/memory-ledger-store';

const reward = (overrides: Partial<Reward> = {}): Reward => ({
  tenantId: 't1',
  rewardId: 'spa',
  name: 'Spa voucher',
  pointsCost: 300,
  status: 'active',
  fulfilment: 'voucher',
  unlimitedStock: false,
  updatedAt: '2026-11-01T00:00:00Z',
  ...overrides,
});

const campaign: Campaign = {
  tenantId: 't1',
  campaignId: 'winter',
  name: 'Winter',
  status: 'active',
  fundedPoints: 1000,
  updatedAt: '2026-11-01T00:00:00Z',
};

describe('sharded accounts', () => {
  it('picks only shards that can afford the debit', () => {
    const balances = [0, 5, 0, 2, 9, 0, 0, 0];
    const picks = new Set(Array.from({ length: 200 }, () => pickShard(balances, 3)));
    expect([...picks].sort()).toEqual([1, 4]);
    expect(pickShard(balances, 10)).toBeNull();
  });

  it('spreads a credit so the shards sum to it and differ by at most one', () => {
    for (const amount of [1, 7, 8, 9, 1001]) {
      const shares = spreadCredit(amount, ACCOUNT_SHARDS, 3);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(amount);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
    expect(spreadCredit(1, 8, 3)[3]).toBe(1);
  });

  it('rebalances into the richest shard, taking only what is needed', () => {
    const plan = rebalancePlan([10, 40, 30, 0], 65)!;
    expect(plan.target).toBe(1);
    expect(plan.moves).toEqual([{ from: 2, points: 25 }]);
    expect(rebalancePlan([10, 40, 30, 0], 81)).toBeNull();
  });
});

describe('reward redemption', () => {
  let store: MemoryLedgerStore;
  let service: LedgerService;
  let memberId: string;

  beforeEach(async () => {
    ({ store, service, memberId } = await memoryLedgerWithMember());
    await service.earn('t1', memberId, idem('earn'), { amountPoints: 1000, reason: 'stay' });
  });

  const points = async () => (await service.getBalance('t1', memberId)).availablePoints;
  const stock = (rewardId: string) => store.account('t1', { kind: 'stock', id: rewardId }).reduce((a, b) => a + b, 0);

  it('burns points, takes a unit and a code, and records the redemption in one commit', async () => {
    // Prepare
    store.addCodes('t1', 'spa', ['CODE-A1', 'CODE-B2']);

    // Act
    const outcome = await service.redeemReward('t1', memberId, idem('r1'), reward(), null);

    // Assess
    expect(outcome.statusCode).toBe(201);
    const body = outcome.body as {
      redemption: { redemptionId: string; status: string; voucherCode: string };
      entry: { amountPoints: number; redemptionId: string };
    };
    expect(body.redemption.status).toBe('fulfilled');
    expect(['CODE-A1', 'CODE-B2']).toContain(body.redemption.voucherCode);
    expect(body.entry).toMatchObject({ amountPoints: -300, redemptionId: body.redemption.redemptionId });
    expect(await points()).toBe(700);
    expect(stock('spa')).toBe(1);
    expect(store.pools.get('t1/spa')).toHaveLength(1);
    expect(store.events.slice(-2).map((e) => e.type)).toEqual(['points.redeemed', 'reward.redeemed']);
  });

  it('refuses an empty pool with reward_out_of_stock and changes nothing', async () => {
    const outcome = await service.redeemReward('t1', memberId, idem('r1'), reward(), null);
    expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'reward_out_of_stock' } });
    expect(await points()).toBe(1000);
  });

  it('checks points before drawing anything', async () => {
    store.addCodes('t1', 'spa', ['CODE-A1']);
    const outcome = await service.redeemReward('t1', memberId, idem('r1'), reward({ pointsCost: 5000 }), null);
    expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'insufficient_points' } });
    expect(stock('spa')).toBe(1);
  });

  it('draws again when another redemption took the unit and code first', async () => {
    // Prepare: three codes; a concurrent redemption takes the one ours drew, and the unit of its
    // stock shard, just before our commit.
    store.addCodes('t1', 'spa', ['CODE-A1', 'CODE-B2', 'CODE-C3']);
    const original = store.commit.bind(store);
    let stolen = false;
    store.commit = async (mutation, record) => {
      if (!stolen && mutation.voucher && 'claim' in mutation.voucher) {
        stolen = true;
        const { code } = mutation.voucher.claim;
        const pool = store.pools.get('t1/spa')!;
        pool.splice(pool.indexOf(code), 1);
        store.account('t1', { kind: 'stock', id: 'spa' })[keys.voucherShardOf(code, ACCOUNT_SHARDS)]! -= 1;
      }
      return original(mutation, record);
    };

    // Act
    const outcome = await service.redeemReward('t1', memberId, idem('r1'), reward(), null);

    // Assess: one unit and code went to the other redemption, one to ours.
    expect(outcome.statusCode).toBe(201);
    expect(stolen).toBe(true);
    expect(stock('spa')).toBe(1);
    expect(store.pools.get('t1/spa')).toHaveLength(1);
    expect(await points()).toBe(700);
  });

  it('cancels a pending manual redemption: points back in their lots, unit to stock, campaign credited', async () => {
    // Prepare
    const manual = reward({ rewardId: 'mug', fulfilment: 'manual', campaign: { campaignId: 'winter', cost: 120 } });
    store.account('t1', { kind: 'stock', id: 'mug' })[2] = 3;
    store.account('t1', { kind: 'budget', id: 'winter' })[5] = 1000;
    const redeemed = await service.redeemReward('t1', memberId, idem('r1'), manual, campaign);
    const redemptionId = redemptionIdOf(redeemed);
    expect(stock('mug')).toBe(2);
    expect(store.account('t1', { kind: 'budget', id: 'winter' })[5]).toBe(880);

    // Act
    const cancelled = await service.cancelRedemption(
      't1',
      memberId,
      redemptionId,
      idem('c1', { reason: 'out of mugs' }),
      'out of mugs',
    );

    // Assess
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.body).toMatchObject({
      redemption: { status: 'cancelled' },
      entry: { type: 'reverse', amountPoints: 300 },
    });
    expect(await points()).toBe(1000);
    expect(stock('mug')).toBe(3);
    expect(store.account('t1', { kind: 'budget', id: 'winter' })[5]).toBe(1000);
    expect(store.events[store.events.length - 1]).toMatchObject({
      type: 'reward.cancelled',
      data: { refundedPoints: 300, restocked: true },
    });
    await expect(
      service.cancelRedemption('t1', memberId, redemptionId, idem('c2', { reason: 'again' }), 'again'),
    ).resolves.toMatchObject({
      statusCode: 422,
      body: { code: 'redemption_cancelled' },
    });
  });

  it('fulfils a pending redemption once; a fulfilled one is not restocked on cancellation', async () => {
    const manual = reward({ rewardId: 'mug', fulfilment: 'manual' });
    store.account('t1', { kind: 'stock', id: 'mug' })[0] = 1;
    const redeemed = await service.redeemReward('t1', memberId, idem('r1'), manual, null);
    const redemptionId = redemptionIdOf(redeemed);

    const fulfilled = await service.fulfilRedemption(
      't1',
      memberId,
      redemptionId,
      idem('f1', { reference: 'UPS1' }),
      'UPS1',
    );
    expect(fulfilled.body).toMatchObject({ redemption: { status: 'fulfilled', reference: 'UPS1' } });
    expect(await service.fulfilRedemption('t1', memberId, redemptionId, idem('f2'), undefined)).toMatchObject({
      statusCode: 422,
      body: { code: 'redemption_not_pending' },
    });

    await service.cancelRedemption('t1', memberId, redemptionId, idem('c1'), 'damaged');
    expect(stock('mug')).toBe(0);
    expect(await points()).toBe(1000);
  });

  it('voids a cancelled voucher code instead of returning it to the pool', async () => {
    store.addCodes('t1', 'spa', ['CODE-A1']);
    const redeemed = await service.redeemReward('t1', memberId, idem('r1'), reward(), null);
    const redemptionId = redemptionIdOf(redeemed);
    await service.cancelRedemption('t1', memberId, redemptionId, idem('c1'), 'wrong hotel');
    expect(store.vouchers.get('t1/spa/CODE-A1')).toEqual({ state: 'void', redemptionId });
    expect(store.pools.get('t1/spa')).toHaveLength(0);
    expect(stock('spa')).toBe(0);
  });

  it('refuses to reverse a redemption entry directly: cancellation keeps stock and vouchers in step', async () => {
    store.addCodes('t1', 'spa', ['CODE-A1']);
    const redeemed = await service.redeemReward('t1', memberId, idem('r1'), reward(), null);
    const { entryId } = (redeemed.body as { entry: { entryId: string } }).entry;
    expect(await service.reverse('t1', memberId, entryId, idem('x1'), { reason: 'undo' })).toMatchObject({
      statusCode: 422,
      body: { code: 'entry_not_reversible' },
    });
  });

  it('picks stock and budget shards from eventually consistent reads; refuses only on consistent ones', async () => {
    // Prepare: stock and budget exist, but an eventually consistent read does not see them yet.
    store.addCodes('t1', 'spa', ['CODE-A1']);
    const budget = store.account('t1', { kind: 'budget', id: 'winter' });
    spreadCredit(100).forEach((share, shard) => (budget[shard] = share));
    const reads: boolean[] = [];
    const read = store.accountBalances.bind(store);
    store.accountBalances = async (tenantId, account, options) => {
      reads.push(options?.consistent ?? true);
      const balances = await read(tenantId, account);
      return options?.consistent === false ? balances.map(() => 0) : balances;
    };
    const funded = reward({ campaign: { campaignId: 'winter', cost: 10 } });

    // Act
    const outcome = await service.redeemReward('t1', memberId, idem('r1'), funded, campaign);

    // Assess: each account read stale first, then consistently; the redemption went through.
    expect(outcome.statusCode).toBe(201);
    expect(reads).toEqual([false, true, false, true]);
    expect(stock('spa')).toBe(0);
    expect(budget.reduce((a, b) => a + b, 0)).toBe(90);
  });

  it('funds an earning from a campaign budget, rebalancing shards if none pays alone; refuses beyond it', async () => {
    // Prepare: 100 points spread over the shards; no shard holds 60.
    const shards = store.account('t1', { kind: 'budget', id: 'winter' });
    spreadCredit(100).forEach((share, shard) => (shards[shard] = share));

    // Act
    const funded = await service.earn('t1', memberId, idem('e1'), { amountPoints: 60, reason: 'bonus' }, campaign);
    const refused = await service.earn('t1', memberId, idem('e2'), { amountPoints: 50, reason: 'bonus' }, campaign);

    // Assess
    expect(funded.statusCode).toBe(201);
    expect(shards.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.min(...shards)).toBeGreaterThanOrEqual(0);
    expect(refused).toMatchObject({ statusCode: 422, body: { code: 'campaign_budget_exhausted' } });

    // A clawback of the funded earning gives the budget its points back.
    const { entryId } = (funded.body as { entry: { entryId: string } }).entry;
    await service.reverse('t1', memberId, entryId, idem('x1'), { amountPoints: 20, reason: 'partial refund' });
    expect(shards.reduce((a, b) => a + b, 0)).toBe(60);
  });
});
