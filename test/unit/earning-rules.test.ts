import fc from 'fast-check';
import type * as z from '../../functions/shared/zod';
import {
  DEFAULT_EARNING_RULES,
  businessTransaction,
  capPeriodKey,
  earningRules,
  evaluateEarning,
  type BusinessTransaction,
  type EarningContext,
  type EarningRules,
} from '../../functions/domain/earning-rules';

const now = new Date('2026-11-21T10:00:00.000Z');

// Fixtures go through the schemas so every test input is one the API would accept.
const rules = (overrides: Partial<EarningRules> = {}): EarningRules =>
  earningRules.parse({ currencies: [{ currency: 'EUR', pointsPerUnit: 1 }], ...overrides });
const tx = (overrides: Partial<BusinessTransaction> = {}): BusinessTransaction =>
  businessTransaction.parse({ transactionId: 'tx-1', type: 'purchase', amount: 100, currency: 'EUR', ...overrides });
const context = (overrides: Partial<EarningContext> = {}): EarningContext => ({
  tier: 'base',
  periodEarnedPoints: 0,
  now,
  ...overrides,
});
const issues = (schema: z.ZodMiniType, input: unknown) => {
  const parsed = schema.safeParse(input);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
};

describe('businessTransaction schema', () => {
  it('accepts a transaction with lines that sum to the amount', () => {
    // Prepare
    const input = {
      transactionId: 'pos:42_a.b-c',
      type: 'purchase',
      amount: 19.99,
      currency: 'EUR',
      channel: 'store',
      occurredAt: '2026-11-21T10:00:00Z',
      lines: [
        { sku: 'A1', category: 'food', amount: 9.99 },
        { category: 'drinks', amount: 10 },
      ],
    };

    // Act
    const result = issues(businessTransaction, input);

    // Assess
    expect(result).toEqual([]);
  });

  it('rejects a lower-case or long currency code', () => {
    // Act
    const lower = issues(businessTransaction, { transactionId: 't', type: 'purchase', amount: 1, currency: 'eur' });
    const long = issues(businessTransaction, { transactionId: 't', type: 'purchase', amount: 1, currency: 'EURO' });

    // Assess
    expect(lower).toEqual([{ path: 'currency', message: 'must be an ISO 4217 code: 3 upper-case letters' }]);
    expect(long).toEqual([{ path: 'currency', message: 'must be an ISO 4217 code: 3 upper-case letters' }]);
  });

  it('rejects lines that do not sum to the amount, by one cent', () => {
    // Prepare
    const input = {
      transactionId: 't',
      type: 'purchase',
      amount: 10,
      currency: 'EUR',
      lines: [
        { category: 'a', amount: 4.99 },
        { category: 'b', amount: 5 },
      ],
    };

    // Act
    const result = issues(businessTransaction, input);

    // Assess
    expect(result).toEqual([{ path: 'lines', message: 'line amounts must sum to amount' }]);
  });

  it('accepts line sums that only differ from the amount by float noise', () => {
    // Prepare: 0.1 + 0.2 = 0.30000000000000004 in binary floating point
    const input = {
      transactionId: 't',
      type: 'purchase',
      amount: 0.3,
      currency: 'EUR',
      lines: [
        { category: 'a', amount: 0.1 },
        { category: 'b', amount: 0.2 },
      ],
    };

    // Act
    const result = issues(businessTransaction, input);

    // Assess
    expect(result).toEqual([]);
  });

  it('rejects zero, three-decimal and oversized amounts, bad ids and unknown fields', () => {
    // Prepare
    const base = { transactionId: 't', type: 'purchase', amount: 1, currency: 'EUR' };

    // Act
    const zero = issues(businessTransaction, { ...base, amount: 0 });
    const threeDecimals = issues(businessTransaction, { ...base, amount: 1.005 });
    const oversized = issues(businessTransaction, { ...base, amount: 10_000_000.01 });
    const badId = issues(businessTransaction, { ...base, transactionId: 'a b' });
    const unknown = issues(businessTransaction, { ...base, points: 5 });
    const badType = issues(businessTransaction, { ...base, type: 'refund' });

    // Assess
    expect(zero).toEqual([{ path: 'amount', message: 'must be greater than 0' }]);
    expect(threeDecimals).toEqual([{ path: 'amount', message: 'must have at most 2 decimals' }]);
    expect(oversized).toEqual([{ path: 'amount', message: 'must be at most 10000000' }]);
    expect(badId).toEqual([{ path: 'transactionId', message: 'letters, digits and _ . : - only' }]);
    expect(unknown.map((issue) => issue.path)).toEqual(['']);
    expect(badType.map((issue) => issue.path)).toEqual(['type']);
  });

  it('reports only the line issues when lines are empty or invalid', () => {
    // Prepare
    const base = { transactionId: 't', type: 'purchase', amount: 10, currency: 'EUR' };

    // Act
    const empty = issues(businessTransaction, { ...base, lines: [] });
    const invalidLine = issues(businessTransaction, { ...base, lines: [{ category: 'a', amount: 0 }] });

    // Assess
    expect(empty.map((issue) => issue.path)).toEqual(['lines']);
    expect(invalidLine).toEqual([{ path: 'lines.0.amount', message: 'must be greater than 0' }]);
  });
});

describe('earningRules schema', () => {
  const promotion = {
    promotionId: 'p1',
    name: 'Black Friday',
    startsAt: '2026-11-27T00:00:00Z',
    endsAt: '2026-11-30T00:00:00Z',
  };

  it('accepts the default rules and a full rule set', () => {
    // Prepare
    const full = {
      currencies: [{ currency: 'EUR', pointsPerUnit: 0.5 }],
      excludedCategories: ['tobacco'],
      multipliers: [{ name: 'Gold', when: { tiers: ['gold'], transactionTypes: ['stay'] }, multiplier: 1.5 }],
      promotions: [{ ...promotion, when: { channels: ['web'] }, minAmount: 50, multiplier: 2, bonusPoints: 100 }],
      caps: { perTransactionMaxPoints: 10_000, perPeriod: { period: 'month', maxPoints: 50_000 } },
      holdDays: 14,
      holdDaysByType: { stay: 0 },
    };

    // Act
    const results = [issues(earningRules, DEFAULT_EARNING_RULES), issues(earningRules, full)];

    // Assess
    expect(results).toEqual([[], []]);
  });

  it('rejects a promotion without an effect', () => {
    // Act
    const result = issues(earningRules, {
      currencies: [{ currency: 'EUR', pointsPerUnit: 1 }],
      promotions: [promotion],
    });

    // Assess
    expect(result).toEqual([{ path: 'promotions.0', message: 'a promotion needs a multiplier or bonusPoints' }]);
  });

  it('rejects a promotion that ends before or when it starts', () => {
    // Prepare
    const before = { ...promotion, bonusPoints: 10, endsAt: '2026-11-26T00:00:00Z' };
    const same = { ...promotion, promotionId: 'p2', bonusPoints: 10, endsAt: promotion.startsAt };

    // Act
    const result = issues(earningRules, {
      currencies: [{ currency: 'EUR', pointsPerUnit: 1 }],
      promotions: [before, same],
    });

    // Assess
    expect(result).toEqual([
      { path: 'promotions.0.endsAt', message: 'endsAt must be after startsAt' },
      { path: 'promotions.1.endsAt', message: 'endsAt must be after startsAt' },
    ]);
  });

  it('rejects duplicate currencies and promotionIds, zero rates and out-of-range settings', () => {
    // Act
    const duplicateCurrency = issues(earningRules, {
      currencies: [
        { currency: 'EUR', pointsPerUnit: 1 },
        { currency: 'EUR', pointsPerUnit: 2 },
      ],
    });
    const duplicatePromotion = issues(earningRules, {
      currencies: [{ currency: 'EUR', pointsPerUnit: 1 }],
      promotions: [
        { ...promotion, bonusPoints: 1 },
        { ...promotion, multiplier: 2 },
      ],
    });
    const zeroRate = issues(earningRules, { currencies: [{ currency: 'EUR', pointsPerUnit: 0 }] });
    const noCurrency = issues(earningRules, { currencies: [] });
    const bigMultiplier = issues(earningRules, {
      currencies: [{ currency: 'EUR', pointsPerUnit: 1 }],
      multipliers: [{ name: 'x', when: {}, multiplier: 101 }],
    });
    const longHold = issues(earningRules, {
      currencies: [{ currency: 'EUR', pointsPerUnit: 1 }],
      holdDaysByType: { stay: 366 },
    });
    const unknownType = issues(earningRules, {
      currencies: [{ currency: 'EUR', pointsPerUnit: 1 }],
      holdDaysByType: { refund: 1 },
    });

    // Assess
    expect(duplicateCurrency).toEqual([{ path: 'currencies.1', message: 'duplicate currency EUR' }]);
    expect(duplicatePromotion).toEqual([{ path: 'promotions.1', message: 'duplicate promotionId p1' }]);
    expect(zeroRate).toEqual([{ path: 'currencies.0.pointsPerUnit', message: 'must be greater than 0' }]);
    expect(noCurrency.map((issue) => issue.path)).toEqual(['currencies']);
    expect(bigMultiplier).toEqual([{ path: 'multipliers.0.multiplier', message: 'must be at most 100' }]);
    expect(longHold.map((issue) => issue.path)).toEqual(['holdDaysByType.stay']);
    expect(unknownType).toEqual([{ path: 'holdDaysByType', message: 'Unrecognized key: "refund"' }]);
  });
});

describe('evaluateEarning', () => {
  it('earns 1 point per whole unit with the default rules', () => {
    // Act
    const result = evaluateEarning(DEFAULT_EARNING_RULES, tx({ amount: 19.99, currency: 'GBP' }), context());

    // Assess
    expect(result).toEqual({
      points: 19,
      basePoints: 19,
      breakdown: [
        {
          kind: 'base',
          currency: 'GBP',
          pointsPerUnit: 1,
          eligibleAmount: 19.99,
          points: 19.99,
          label: '19.99 GBP at 1 point per unit: 19.99 points',
        },
      ],
      appliedPromotions: [],
      capped: false,
      holdDays: 0,
      capPeriodKey: null,
    });
  });

  it('earns nothing, without failing, for a currency without a rate', () => {
    // Act
    const result = evaluateEarning(rules({ holdDays: 3 }), tx({ currency: 'JPY' }), context());

    // Assess
    expect(result).toEqual({
      points: 0,
      basePoints: 0,
      breakdown: [
        {
          kind: 'excluded',
          reason: 'currency',
          currency: 'JPY',
          points: 0,
          label: 'No earning rate for JPY: earns nothing',
        },
      ],
      appliedPromotions: [],
      capped: false,
      holdDays: 3,
      capPeriodKey: null,
    });
  });

  it('computes base points per line and skips excluded categories', () => {
    // Prepare
    const lines = [
      { category: 'groceries', amount: 50 },
      { category: 'tobacco', amount: 30 },
      { category: 'electronics', amount: 20 },
    ];

    // Act
    const result = evaluateEarning(
      rules({ currencies: [{ currency: 'EUR', pointsPerUnit: 2 }], excludedCategories: ['tobacco'] }),
      tx({ amount: 100, lines }),
      context(),
    );

    // Assess
    expect(result.points).toBe(140);
    expect(result.basePoints).toBe(140);
    expect(result.breakdown).toEqual([
      {
        kind: 'excluded',
        reason: 'category',
        currency: 'EUR',
        category: 'tobacco',
        line: 1,
        points: 0,
        label: 'Line 2 (tobacco, 30.00 EUR) is excluded: earns nothing',
      },
      {
        kind: 'base',
        currency: 'EUR',
        pointsPerUnit: 2,
        eligibleAmount: 70,
        points: 140,
        label: '70.00 EUR at 2 points per unit: 140 points',
      },
    ]);
  });

  it("uses the transaction's category when there are no lines", () => {
    // Prepare
    const excluding = rules({ excludedCategories: ['gift-cards'] });

    // Act
    const excluded = evaluateEarning(excluding, tx({ amount: 50, category: 'gift-cards' }), context());
    const earning = evaluateEarning(excluding, tx({ amount: 50, category: 'books' }), context());

    // Assess
    expect(excluded.points).toBe(0);
    expect(excluded.breakdown.map((step) => step.kind)).toEqual(['excluded', 'base']);
    expect(excluded.breakdown[0]!.label).toBe('Category gift-cards is excluded: earns nothing');
    expect(earning.points).toBe(50);
  });

  it('keeps fractions until the end: three lines of 0.4 points make 1 point', () => {
    // Prepare
    const lines = [0.4, 0.4, 0.4].map((amount) => ({ category: 'a', amount }));

    // Act
    const result = evaluateEarning(rules(), tx({ amount: 1.2, lines }), context());

    // Assess
    expect(result.points).toBe(1);
    expect(result.basePoints).toBe(1);
    expect(result.breakdown.at(-1)!.points).toBe(1.2);
  });

  it('rounds fractional rates down once', () => {
    // Act
    const result = evaluateEarning(
      rules({ currencies: [{ currency: 'EUR', pointsPerUnit: 0.5 }] }),
      tx({ amount: 9.99 }),
      context(),
    );

    // Assess
    expect(result.points).toBe(4);
  });

  it('does not lose a point to binary floating point', () => {
    // Prepare: naively 0.57 * 100 = 56.99999999999999 and 1.15 * 100 + 0.29 * 100 = 143.99999999999997
    const hundred = rules({ currencies: [{ currency: 'EUR', pointsPerUnit: 100 }] });
    const ten = rules({ currencies: [{ currency: 'EUR', pointsPerUnit: 10 }] });
    const lines = [
      { category: 'a', amount: 1.15 },
      { category: 'b', amount: 0.29 },
    ];

    // Act
    const single = evaluateEarning(hundred, tx({ amount: 0.57 }), context());
    const perLine = evaluateEarning(hundred, tx({ amount: 1.44, lines }), context());
    const nineteen = evaluateEarning(ten, tx({ amount: 19.99 }), context());
    const fourThirtyFive = evaluateEarning(hundred, tx({ amount: 4.35 }), context());
    // Even in cents, 6000 × 1.15 = 6899.999999999999
    const multiplied = evaluateEarning(
      rules({ multipliers: [{ name: 'Plus 15%', when: {}, multiplier: 1.15 }] }),
      tx({ amount: 60 }),
      context(),
    );

    // Assess
    expect([single.points, perLine.points, nineteen.points, fourThirtyFive.points, multiplied.points]).toEqual([
      57, 144, 199, 435, 69,
    ]);
  });

  it('applies every matching multiplier, category ones only to their lines', () => {
    // Prepare
    const withMultipliers = rules({
      multipliers: [
        { name: 'Drinks', when: { categories: ['drinks'] }, multiplier: 3 },
        { name: 'Gold', when: { tiers: ['gold', 'platinum'] }, multiplier: 2 },
        { name: 'App', when: { channels: ['app'] }, multiplier: 5 },
        { name: 'Stays', when: { transactionTypes: ['stay'] }, multiplier: 10 },
      ],
    });
    const lines = [
      { category: 'food', amount: 10 },
      { category: 'drinks', amount: 10 },
    ];

    // Act
    const gold = evaluateEarning(
      withMultipliers,
      tx({ amount: 20, lines, channel: 'store' }),
      context({ tier: 'gold' }),
    );
    const base = evaluateEarning(withMultipliers, tx({ amount: 20, lines, channel: 'store' }), context());
    const goldInApp = evaluateEarning(
      withMultipliers,
      tx({ amount: 20, lines, channel: 'app' }),
      context({ tier: 'gold' }),
    );

    // Assess
    expect(gold.points).toBe(80);
    expect(gold.basePoints).toBe(20);
    expect(gold.breakdown.filter((step) => step.kind === 'multiplier')).toEqual([
      { kind: 'multiplier', name: 'Drinks', multiplier: 3, points: 40, label: 'Drinks ×3 on 1 of 2 lines: 40 points' },
      { kind: 'multiplier', name: 'Gold', multiplier: 2, points: 80, label: 'Gold ×2: 80 points' },
    ]);
    expect(base.points).toBe(40);
    expect(goldInApp.points).toBe(400);
  });

  it('requires every given condition list to match and a category to be present', () => {
    // Prepare
    const strict = rules({
      multipliers: [{ name: 'Web books', when: { categories: ['books'], channels: ['web'] }, multiplier: 2 }],
    });

    // Act
    const both = evaluateEarning(strict, tx({ amount: 10, category: 'books', channel: 'web' }), context());
    const wrongChannel = evaluateEarning(strict, tx({ amount: 10, category: 'books', channel: 'store' }), context());
    const noCategory = evaluateEarning(strict, tx({ amount: 10, channel: 'web' }), context());
    const emptyLists = evaluateEarning(
      rules({ multipliers: [{ name: 'All', when: { categories: [], tiers: [] }, multiplier: 2 }] }),
      tx({ amount: 10 }),
      context(),
    );

    // Assess
    expect([both.points, wrongChannel.points, noCategory.points, emptyLists.points]).toEqual([20, 10, 10, 20]);
  });

  describe('promotions', () => {
    const weekend = {
      promotionId: 'weekend',
      name: 'Weekend',
      startsAt: '2026-11-21T00:00:00Z',
      endsAt: '2026-11-23T00:00:00Z',
      multiplier: 1.5,
      bonusPoints: 50,
    };

    it('multiplies like rule multipliers and adds the bonus once, after all multiplication', () => {
      // Prepare
      const withPromotions = rules({
        multipliers: [{ name: 'Gold', when: { tiers: ['gold'] }, multiplier: 2 }],
        promotions: [
          weekend,
          { promotionId: 'double', name: 'Double', startsAt: weekend.startsAt, endsAt: weekend.endsAt, multiplier: 2 },
        ],
      });

      // Act
      const result = evaluateEarning(withPromotions, tx({ amount: 100 }), context({ tier: 'gold' }));

      // Assess: 100 × 2 × 1.5 × 2 + 50, not (100 × 2 × 1.5 + 50) × 2
      expect(result.points).toBe(650);
      expect(result.basePoints).toBe(100);
      expect(result.appliedPromotions).toEqual(['weekend', 'double']);
      expect(result.breakdown.map((step) => [step.kind, step.points])).toEqual([
        ['base', 100],
        ['multiplier', 200],
        ['promotion', 300],
        ['promotion', 600],
        ['promotion', 650],
      ]);
      expect(result.breakdown.at(-1)!.label).toBe('Weekend +50 bonus points: 650 points');
    });

    it('is active from startsAt inclusive to endsAt exclusive, at occurredAt or else now', () => {
      // Prepare
      const withWeekend = rules({ promotions: [weekend] });
      const at = (occurredAt: string) =>
        evaluateEarning(withWeekend, tx({ amount: 100, occurredAt }), context()).points;

      // Act
      const atStart = at('2026-11-21T00:00:00Z');
      const justBefore = at('2026-11-20T23:59:59.999Z');
      const atEnd = at('2026-11-23T00:00:00Z');
      const lastMillisecond = at('2026-11-22T23:59:59.999Z');
      const fromNow = evaluateEarning(withWeekend, tx({ amount: 100 }), context()).points;
      const fromNowAfter = evaluateEarning(
        withWeekend,
        tx({ amount: 100 }),
        context({ now: new Date('2026-11-24T00:00:00Z') }),
      ).points;

      // Assess
      expect([atStart, justBefore, atEnd, lastMillisecond, fromNow, fromNowAfter]).toEqual([
        200, 100, 100, 200, 200, 100,
      ]);
    });

    it('requires the minimum amount and matching conditions', () => {
      // Prepare
      const conditional = rules({
        promotions: [
          { ...weekend, multiplier: undefined, minAmount: 50, when: { categories: ['spa'], tiers: ['gold'] } },
        ],
      });
      const spa = (amount: number) => tx({ amount, category: 'spa' });

      // Act
      const enough = evaluateEarning(conditional, spa(50), context({ tier: 'gold' }));
      const tooLittle = evaluateEarning(conditional, spa(49.99), context({ tier: 'gold' }));
      const wrongTier = evaluateEarning(conditional, spa(50), context());
      const wrongCategory = evaluateEarning(
        conditional,
        tx({ amount: 50, category: 'bar' }),
        context({ tier: 'gold' }),
      );

      // Assess
      expect(enough.points).toBe(100);
      expect(enough.appliedPromotions).toEqual(['weekend']);
      expect([tooLittle.points, wrongTier.points, wrongCategory.points]).toEqual([49, 50, 50]);
      expect(tooLittle.appliedPromotions).toEqual([]);
    });

    it('gives no bonus when every line is excluded', () => {
      // Prepare
      const withExclusion = rules({ excludedCategories: ['gift-cards'], promotions: [weekend] });

      // Act
      const result = evaluateEarning(withExclusion, tx({ amount: 100, category: 'gift-cards' }), context());

      // Assess
      expect(result.points).toBe(0);
      expect(result.appliedPromotions).toEqual([]);
    });
  });

  describe('caps', () => {
    it('caps per transaction', () => {
      // Act
      const result = evaluateEarning(
        rules({ caps: { perTransactionMaxPoints: 500 } }),
        tx({ amount: 1000 }),
        context(),
      );

      // Assess
      expect(result.points).toBe(500);
      expect(result.basePoints).toBe(1000);
      expect(result.capped).toBe(true);
      expect(result.capPeriodKey).toBeNull();
      expect(result.breakdown.at(-1)).toEqual({
        kind: 'cap',
        cap: 'perTransaction',
        maxPoints: 500,
        points: 500,
        label: 'Capped at 500 points per transaction: 500 points',
      });
    });

    it('caps per period to what is left, never below zero', () => {
      // Prepare
      const monthly = rules({ caps: { perPeriod: { period: 'month', maxPoints: 1000 } } });

      // Act
      const partly = evaluateEarning(monthly, tx({ amount: 300 }), context({ periodEarnedPoints: 800 }));
      const exhausted = evaluateEarning(monthly, tx({ amount: 300 }), context({ periodEarnedPoints: 1200 }));
      const within = evaluateEarning(monthly, tx({ amount: 200 }), context({ periodEarnedPoints: 800 }));

      // Assess
      expect([partly.points, exhausted.points, within.points]).toEqual([200, 0, 200]);
      expect([partly.capped, exhausted.capped, within.capped]).toEqual([true, true, false]);
      expect(partly.capPeriodKey).toBe('2026-11');
      expect(partly.breakdown.at(-1)!.label).toBe(
        'Capped at 1000 points per month (800 already earned in 2026-11): 200 points',
      );
      expect(within.breakdown.map((step) => step.kind)).toEqual(['base']);
    });

    it('applies the per-transaction cap before the per-period cap', () => {
      // Prepare
      const both = rules({ caps: { perTransactionMaxPoints: 500, perPeriod: { period: 'week', maxPoints: 1000 } } });

      // Act
      const result = evaluateEarning(
        both,
        tx({ amount: 2000, occurredAt: '2026-12-31T12:00:00Z' }),
        context({ periodEarnedPoints: 700 }),
      );

      // Assess
      expect(result.points).toBe(300);
      expect(result.capPeriodKey).toBe('2026-W53');
      expect(result.breakdown.filter((step) => step.kind === 'cap').map((step) => [step.cap, step.points])).toEqual([
        ['perTransaction', 500],
        ['perPeriod', 300],
      ]);
    });

    it('does not mark zero points as capped', () => {
      // Act
      const result = evaluateEarning(
        rules({ caps: { perPeriod: { period: 'day', maxPoints: 10 } } }),
        tx({ currency: 'USD' }),
        context({ periodEarnedPoints: 10 }),
      );

      // Assess
      expect(result.points).toBe(0);
      expect(result.capped).toBe(false);
      expect(result.capPeriodKey).toBe('2026-11-21');
    });
  });

  it('holds points for the type-specific days, else the default, else not at all', () => {
    // Prepare
    const holding = rules({ holdDays: 30, holdDaysByType: { stay: 0, booking: 7 } });

    // Act
    const holds = (['stay', 'booking', 'purchase'] as const).map(
      (type) => evaluateEarning(holding, tx({ type }), context()).holdDays,
    );
    const none = evaluateEarning(rules({ holdDaysByType: { booking: 7 } }), tx(), context()).holdDays;

    // Assess
    expect(holds).toEqual([0, 7, 30]);
    expect(none).toBe(0);
  });

  it('refuses an invalid time or period total instead of returning NaN', () => {
    // Act
    const badNow = () => evaluateEarning(rules(), tx(), context({ now: new Date('nope') }));
    const negative = () => evaluateEarning(rules(), tx(), context({ periodEarnedPoints: -1 }));
    const fractional = () => evaluateEarning(rules(), tx(), context({ periodEarnedPoints: 1.5 }));

    // Assess
    expect(badNow).toThrow(RangeError);
    expect(negative).toThrow(RangeError);
    expect(fractional).toThrow(RangeError);
  });

  it('always returns a safe non-negative integer within every configured cap', () => {
    // Prepare
    const categories = ['a', 'b', 'c'];
    const when = fc.record(
      {
        categories: fc.subarray(categories),
        tiers: fc.subarray(['base', 'gold']),
        channels: fc.subarray(['web', 'store']),
      },
      { requiredKeys: [] },
    );
    const factor = fc.double({ min: 0.01, max: 100, noNaN: true });
    const rulesArb = fc.record({
      pointsPerUnit: fc.double({ min: 0.001, max: 1000, noNaN: true }),
      excludedCategories: fc.subarray(categories),
      multipliers: fc.array(fc.record({ name: fc.constant('m'), when, multiplier: factor }), { maxLength: 5 }),
      promotions: fc.array(
        fc.record({
          name: fc.constant('p'),
          startsAt: fc.constantFrom('2026-01-01T00:00:00Z', '2026-11-21T10:00:00Z'),
          endsAt: fc.constantFrom('2026-11-21T10:00:00.001Z', '2027-01-01T00:00:00Z'),
          when,
          multiplier: factor,
          bonusPoints: fc.integer({ min: 1, max: 1_000_000 }),
        }),
        { maxLength: 3 },
      ),
      perTransactionMaxPoints: fc.option(fc.integer({ min: 1, max: 1_000_000 })),
      perPeriod: fc.option(
        fc.record({
          period: fc.constantFrom('day', 'week', 'month', 'year'),
          maxPoints: fc.integer({ min: 1, max: 1_000_000 }),
        }),
      ),
    });
    const linesArb = fc.array(
      fc.record({ category: fc.constantFrom(...categories), cents: fc.integer({ min: 1, max: 100_000_000 }) }),
      {
        minLength: 1,
        maxLength: 10,
      },
    );

    fc.assert(
      fc.property(
        rulesArb,
        linesArb,
        fc.boolean(),
        fc.constantFrom('base', 'gold'),
        fc.integer({ min: 0, max: 2_000_000 }),
        (generated, lines, withLines, tier, periodEarnedPoints) => {
          const promotions = generated.promotions.map((p, i) => ({ ...p, promotionId: `p${i}` }));
          const caps = {
            ...(generated.perTransactionMaxPoints !== null
              ? { perTransactionMaxPoints: generated.perTransactionMaxPoints }
              : {}),
            ...(generated.perPeriod !== null ? { perPeriod: generated.perPeriod } : {}),
          };
          const ruleSet = earningRules.parse({
            currencies: [{ currency: 'EUR', pointsPerUnit: generated.pointsPerUnit }],
            excludedCategories: generated.excludedCategories,
            multipliers: generated.multipliers,
            promotions,
            caps,
          });
          const amountCents = lines.reduce((sum, line) => sum + line.cents, 0);
          const transaction = businessTransaction.parse({
            transactionId: 't',
            type: 'purchase',
            amount: amountCents / 100,
            currency: 'EUR',
            category: lines[0]!.category,
            ...(withLines
              ? { lines: lines.map((line) => ({ category: line.category, amount: line.cents / 100 })) }
              : {}),
          });

          const result = evaluateEarning(ruleSet, transaction, context({ tier, periodEarnedPoints }));

          expect(Number.isSafeInteger(result.points)).toBe(true);
          expect(result.points).toBeGreaterThanOrEqual(0);
          expect(Number.isSafeInteger(result.basePoints)).toBe(true);
          expect(result.basePoints).toBeGreaterThanOrEqual(0);
          if (caps.perTransactionMaxPoints !== undefined)
            expect(result.points).toBeLessThanOrEqual(caps.perTransactionMaxPoints);
          if (caps.perPeriod)
            expect(result.points).toBeLessThanOrEqual(Math.max(0, caps.perPeriod.maxPoints - periodEarnedPoints));
          expect(result.capPeriodKey === null).toBe(caps.perPeriod === undefined);
          expect(result.capped).toBe(result.breakdown.some((step) => step.kind === 'cap'));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('capPeriodKey', () => {
  it('buckets by UTC day, month and year', () => {
    // Prepare: late evening in New York is already the next day in UTC
    const at = new Date('2026-11-21T23:30:00-05:00');

    // Act
    const keys = (['day', 'month', 'year'] as const).map((period) => capPeriodKey(period, at));

    // Assess
    expect(keys).toEqual(['2026-11-22', '2026-11', '2026']);
  });

  it.each([
    ['2026-11-21T10:00:00Z', '2026-W47'],
    ['2026-12-31T23:59:59Z', '2026-W53'],
    ['2027-01-01T00:00:00Z', '2026-W53'],
    ['2027-01-03T23:59:59Z', '2026-W53'],
    ['2027-01-04T00:00:00Z', '2027-W01'],
    ['2024-12-29T23:59:59Z', '2024-W52'],
    ['2024-12-30T00:00:00Z', '2025-W01'],
    ['2021-01-03T12:00:00Z', '2020-W53'],
    ['2020-01-01T00:00:00Z', '2020-W01'],
  ])('puts %s in ISO week %s', (iso, expected) => {
    // Act
    const key = capPeriodKey('week', new Date(iso));

    // Assess
    expect(key).toBe(expected);
  });

  it('refuses an invalid date', () => {
    // Assess
    expect(() => capPeriodKey('day', new Date('nope'))).toThrow(RangeError);
  });
});
