import fc from 'fast-check';
import {
  DEFAULT_TIER_PROGRAMME,
  bucketKey,
  evaluateTier,
  initialTierState,
  nextTierReviewAt,
  qualifyingPoints,
  recordQualifyingPoints,
  tierById,
  tierProgramme,
  type TierProgramme,
  type TierState,
} from '../../functions/domain/tiers';

const DAY_MS = 86_400_000;
const t0 = new Date('2026-11-21T10:00:00.000Z');
const at = (iso: string) => new Date(iso);
const plusDays = (from: Date, days: number) => new Date(from.getTime() + days * DAY_MS);

const ladder = [
  { tierId: 'base', name: 'Base', thresholdPoints: 0, benefits: {} },
  { tierId: 'silver', name: 'Silver', thresholdPoints: 1000, benefits: { earnMultiplier: 1.25 } },
  { tierId: 'gold', name: 'Gold', thresholdPoints: 5000, benefits: { earnMultiplier: 1.5, perks: ['lounge'] } },
  { tierId: 'platinum', name: 'Platinum', thresholdPoints: 20000, benefits: { earnMultiplier: 2 } },
];
const rolling = tierProgramme.parse({ window: { kind: 'rolling', days: 365 }, tiers: ladder, demotionGraceDays: 30 });
const rollingNoGrace: TierProgramme = { ...rolling, demotionGraceDays: 0 };
const yearly = tierProgramme.parse({ window: { kind: 'calendar', period: 'year' }, tiers: ladder });
const quarterly = tierProgramme.parse({ window: { kind: 'calendar', period: 'quarter' }, tiers: ladder });

/** A member who earned `points` at `when` and was evaluated then. */
function memberWith(programme: TierProgramme, points: number, when = t0): TierState {
  return evaluateTier(
    recordQualifyingPoints(initialTierState(programme, when), programme, when, points),
    programme,
    when,
  ).state;
}

describe('tier programme schema', () => {
  it('accepts a ladder, defaults grace to 0 and accepts the default programme as is', () => {
    // Act
    const parsed = tierProgramme.parse({ window: { kind: 'calendar', period: 'month' }, tiers: ladder });

    // Assess
    expect(parsed.demotionGraceDays).toBe(0);
    expect(parsed.tiers.map((t) => t.tierId)).toEqual(['base', 'silver', 'gold', 'platinum']);
    expect(tierProgramme.parse(DEFAULT_TIER_PROGRAMME)).toEqual({
      window: { kind: 'rolling', days: 365 },
      tiers: [{ tierId: 'base', name: 'Base', thresholdPoints: 0, benefits: {} }],
      demotionGraceDays: 0,
    });
  });

  it.each([
    [
      'a first threshold other than 0',
      [{ ...ladder[0]!, thresholdPoints: 100 }, ladder[1]!],
      ['tiers', 0, 'thresholdPoints'],
    ],
    [
      'equal thresholds',
      [ladder[0]!, ladder[1]!, { ...ladder[2]!, thresholdPoints: 1000 }],
      ['tiers', 2, 'thresholdPoints'],
    ],
    ['decreasing thresholds', [ladder[0]!, ladder[2]!, ladder[1]!], ['tiers', 2, 'thresholdPoints']],
    ['duplicate tier ids', [ladder[0]!, ladder[1]!, { ...ladder[2]!, tierId: 'silver' }], ['tiers', 2, 'tierId']],
  ])('rejects %s', (_, tiers, path) => {
    // Act
    const result = tierProgramme.safeParse({ window: { kind: 'rolling', days: 365 }, tiers });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([path]);
  });

  it.each([
    ['no tiers', { tiers: [] }, ['tiers']],
    [
      '21 tiers',
      { tiers: Array.from({ length: 21 }, (_, i) => ({ ...ladder[0]!, tierId: `t${i}`, thresholdPoints: i })) },
      ['tiers'],
    ],
    ['an invalid tier id', { tiers: [{ ...ladder[0]!, tierId: 'Gold!' }] }, ['tiers', 0, 'tierId']],
    [
      'a zero earn multiplier',
      { tiers: [{ ...ladder[0]!, benefits: { earnMultiplier: 0 } }] },
      ['tiers', 0, 'benefits', 'earnMultiplier'],
    ],
    [
      'an earn multiplier above 10',
      { tiers: [{ ...ladder[0]!, benefits: { earnMultiplier: 10.5 } }] },
      ['tiers', 0, 'benefits', 'earnMultiplier'],
    ],
    ['a 0-day window', { window: { kind: 'rolling', days: 0 } }, ['window', 'days']],
    ['a 1096-day window', { window: { kind: 'rolling', days: 1096 } }, ['window', 'days']],
    ['a weekly calendar', { window: { kind: 'calendar', period: 'week' } }, ['window', 'period']],
    ['366 grace days', { demotionGraceDays: 366 }, ['demotionGraceDays']],
  ])('rejects %s', (_, override, path) => {
    // Act
    const result = tierProgramme.safeParse({ window: { kind: 'rolling', days: 365 }, tiers: ladder, ...override });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([path]);
  });
});

describe('qualifying points', () => {
  it('keys buckets by UTC day or calendar period', () => {
    // Prepare
    const late = at('2026-12-31T23:59:59.999Z');

    // Act
    const keys = [
      bucketKey({ kind: 'rolling', days: 30 }, late),
      bucketKey({ kind: 'calendar', period: 'month' }, late),
      bucketKey({ kind: 'calendar', period: 'quarter' }, late),
      bucketKey({ kind: 'calendar', period: 'year' }, late),
    ];

    // Assess
    expect(keys).toEqual(['2026-12-31', '2026-12', '2026-Q4', '2026']);
  });

  it('sums the day buckets of the rolling window ending at the given day', () => {
    // Prepare
    const programme = tierProgramme.parse({ window: { kind: 'rolling', days: 3 }, tiers: ladder });
    let state = initialTierState(programme, t0);
    state = recordQualifyingPoints(state, programme, at('2026-11-21T23:00:00Z'), 100);
    state = recordQualifyingPoints(state, programme, at('2026-11-22T01:00:00Z'), 20);
    state = recordQualifyingPoints(state, programme, at('2026-11-23T12:00:00Z'), 3);

    // Act
    const points = ['2026-11-20T12:00:00Z', '2026-11-23T00:00:00Z', '2026-11-24T00:00:00Z', '2026-11-26T00:00:00Z'].map(
      (iso) => qualifyingPoints(state, programme, at(iso)),
    );

    // Assess
    expect(state.buckets).toEqual({ '2026-11-21': 100, '2026-11-22': 20, '2026-11-23': 3 });
    expect(points).toEqual([0, 123, 23, 0]);
  });

  it('takes reversals off the bucket, then earlier ones, never below 0', () => {
    // Prepare
    let state = initialTierState(rolling, t0);
    state = recordQualifyingPoints(state, rolling, t0, 1000);
    state = recordQualifyingPoints(state, rolling, plusDays(t0, 1), 500);

    // Act
    const reversed = recordQualifyingPoints(state, rolling, plusDays(t0, 1), -700);
    const overReversed = recordQualifyingPoints(reversed, rolling, plusDays(t0, 2), -5000);

    // Assess
    expect(reversed.buckets).toEqual({ '2026-11-21': 800 });
    expect(qualifyingPoints(reversed, rolling, plusDays(t0, 1))).toBe(800);
    expect(overReversed.buckets).toEqual({});
    expect(qualifyingPoints(overReversed, rolling, plusDays(t0, 2))).toBe(0);
  });

  it('takes a January reversal of December points off the previous calendar year', () => {
    // Prepare
    const state = recordQualifyingPoints(initialTierState(yearly, t0), yearly, at('2027-12-20T00:00:00Z'), 1500);

    // Act
    const reversed = recordQualifyingPoints(state, yearly, at('2028-01-05T00:00:00Z'), -1000);

    // Assess
    expect(reversed.buckets).toEqual({ '2027': 500 });
  });

  it('refuses fractional points and invalid dates', () => {
    // Prepare
    const state = initialTierState(rolling, t0);

    // Act & Assess
    expect(() => recordQualifyingPoints(state, rolling, t0, 1.5)).toThrow(RangeError);
    expect(() => recordQualifyingPoints(state, rolling, t0, Number.NaN)).toThrow(RangeError);
    expect(() => recordQualifyingPoints(state, rolling, new Date('nope'), 10)).toThrow(RangeError);
  });

  it('keeps a rolling state bounded: 1,095 daily earnings over 3 years leave 365 day buckets', () => {
    // Prepare
    let state = initialTierState(rolling, at('2026-01-01T08:00:00Z'));
    let now = at('2026-01-01T08:00:00Z');

    // Act
    for (let day = 0; day < 1095; day++) {
      now = plusDays(at('2026-01-01T08:00:00Z'), day);
      state = evaluateTier(recordQualifyingPoints(state, rolling, now, 10), rolling, now).state;
    }

    // Assess
    expect(Object.keys(state.buckets)).toHaveLength(365);
    expect(Object.keys(state.buckets).sort()[0]).toBe('2028-01-01');
    expect(qualifyingPoints(state, rolling, now)).toBe(3650);
    expect(state.tierId).toBe('silver');
  });

  it('keeps a calendar state to the current and previous period', () => {
    // Prepare
    const monthly = tierProgramme.parse({ window: { kind: 'calendar', period: 'month' }, tiers: ladder });
    let state = initialTierState(monthly, t0);

    // Act
    for (let day = 0; day < 1000; day++) state = recordQualifyingPoints(state, monthly, plusDays(t0, day), 10);

    // Assess
    expect(state.buckets).toEqual({ '2029-07': 310, '2029-08': 160 });
  });

  it('folds finer buckets into a coarser window after an edit and drops coarser ones', () => {
    // Prepare
    let state = initialTierState(rolling, t0);
    state = recordQualifyingPoints(state, rolling, at('2026-09-30T00:00:00Z'), 50);
    state = recordQualifyingPoints(state, rolling, at('2026-10-30T00:00:00Z'), 100);
    state = recordQualifyingPoints(state, rolling, at('2026-11-02T00:00:00Z'), 200);
    state = recordQualifyingPoints(state, rolling, at('2026-11-20T00:00:00Z'), 300);

    // Act
    const { state: quarters } = evaluateTier(state, quarterly, t0);
    const { state: years } = evaluateTier(quarters, yearly, t0);
    const { state: days } = evaluateTier(years, rolling, t0);

    // Assess
    expect(qualifyingPoints(state, quarterly, t0)).toBe(600);
    expect(quarters.buckets).toEqual({ '2026-Q3': 50, '2026-Q4': 600 });
    expect(years.buckets).toEqual({ '2026': 650 });
    expect(days.buckets).toEqual({});
  });
});

describe('tier evaluation on a rolling window', () => {
  it('starts a member on the lowest tier with nothing to review', () => {
    // Act
    const state = initialTierState(rolling, t0);

    // Assess
    expect(state).toEqual({
      tierId: 'base',
      since: '2026-11-21T10:00:00.000Z',
      reviewAt: null,
      graceUntil: null,
      buckets: {},
    });
    expect(nextTierReviewAt(state)).toBeNull();
  });

  it('promotes at once, skipping a tier the points pass', () => {
    // Prepare
    const state = recordQualifyingPoints(initialTierState(rolling, t0), rolling, t0, 6000);

    // Act
    const result = evaluateTier(state, rolling, t0);

    // Assess
    expect(state.tierId).toBe('base');
    expect(result.change).toEqual({
      kind: 'promoted',
      fromTierId: 'base',
      toTierId: 'gold',
      benefits: { earnMultiplier: 1.5, perks: ['lounge'] },
    });
    expect(result.state).toEqual({
      tierId: 'gold',
      since: '2026-11-21T10:00:00.000Z',
      reviewAt: '2027-11-21T10:00:00.000Z',
      graceUntil: null,
      buckets: { '2026-11-21': 6000 },
    });
    expect(nextTierReviewAt(result.state)).toBe('2027-11-21T10:00:00.000Z');
  });

  it('promotes again from a promoted tier with a fresh tier period', () => {
    // Prepare
    const silver = memberWith(rolling, 1200);
    const later = plusDays(t0, 10);

    // Act
    const result = evaluateTier(recordQualifyingPoints(silver, rolling, later, 4000), rolling, later);

    // Assess
    expect(silver.tierId).toBe('silver');
    expect(result.change).toMatchObject({ kind: 'promoted', fromTierId: 'silver', toTierId: 'gold' });
    expect(result.state).toMatchObject({ since: '2026-12-01T10:00:00.000Z', reviewAt: '2027-12-01T10:00:00.000Z' });
  });

  it('does not demote before reviewAt, even with no points left in the window', () => {
    // Prepare
    const gold = memberWith(rolling, 6000);
    const justBefore = at('2027-11-21T09:59:59.999Z');

    // Act
    const result = evaluateTier(gold, rolling, justBefore);

    // Assess
    expect(qualifyingPoints(gold, rolling, justBefore)).toBe(0);
    expect(result.change).toBeNull();
    expect(result.state).toEqual({ ...gold, buckets: {} });
  });

  it('keeps the tier after a reversal until the review', () => {
    // Prepare
    const silver = memberWith(rolling, 1200);
    const later = plusDays(t0, 3);

    // Act
    const result = evaluateTier(recordQualifyingPoints(silver, rolling, later, -1200), rolling, later);

    // Assess
    expect(result.change).toBeNull();
    expect(result.state).toMatchObject({
      tierId: 'silver',
      reviewAt: '2027-11-21T10:00:00.000Z',
      graceUntil: null,
      buckets: {},
    });
  });

  it('renews a member who still qualifies at the review', () => {
    // Prepare
    const gold = recordQualifyingPoints(memberWith(rolling, 6000), rolling, at('2027-06-01T00:00:00Z'), 5000);
    const review = at('2027-11-21T10:00:00.000Z');

    // Act
    const result = evaluateTier(gold, rolling, review);

    // Assess
    expect(result.change).toBeNull();
    expect(result.state).toEqual({
      tierId: 'gold',
      since: '2026-11-21T10:00:00.000Z',
      reviewAt: '2028-11-20T10:00:00.000Z',
      graceUntil: null,
      buckets: { '2027-06-01': 5000 },
    });
  });

  it('starts grace at the review, then demotes when grace ends', () => {
    // Prepare
    const gold = memberWith(rolling, 6000);
    const review = at('2027-11-21T10:00:00.000Z');

    // Act
    const graced = evaluateTier(gold, rolling, review);
    const earned = recordQualifyingPoints(graced.state, rolling, at('2027-12-01T00:00:00Z'), 1500);
    const stillGraced = evaluateTier(earned, rolling, at('2027-12-21T09:59:59.999Z'));
    const demoted = evaluateTier(stillGraced.state, rolling, at('2027-12-21T10:00:00.000Z'));

    // Assess
    expect(graced.change).toBeNull();
    expect(graced.state).toMatchObject({
      tierId: 'gold',
      reviewAt: '2027-11-21T10:00:00.000Z',
      graceUntil: '2027-12-21T10:00:00.000Z',
    });
    expect(nextTierReviewAt(graced.state)).toBe('2027-12-21T10:00:00.000Z');
    expect(stillGraced.change).toBeNull();
    expect(stillGraced.state.tierId).toBe('gold');
    expect(demoted.change).toEqual({
      kind: 'demoted',
      fromTierId: 'gold',
      toTierId: 'silver',
      benefits: { earnMultiplier: 1.25 },
    });
    expect(demoted.state).toEqual({
      tierId: 'silver',
      since: '2027-12-21T10:00:00.000Z',
      reviewAt: '2028-12-20T10:00:00.000Z',
      graceUntil: null,
      buckets: { '2027-12-01': 1500 },
    });
  });

  it('renews a member who requalifies during grace, when grace ends', () => {
    // Prepare
    const graced = evaluateTier(memberWith(rolling, 6000), rolling, at('2027-11-21T10:00:00.000Z')).state;
    const earnedAt = at('2027-12-10T00:00:00Z');
    const requalified = evaluateTier(recordQualifyingPoints(graced, rolling, earnedAt, 5200), rolling, earnedAt);

    // Act
    const result = evaluateTier(requalified.state, rolling, at('2027-12-21T10:00:00.000Z'));

    // Assess
    expect(requalified.change).toBeNull();
    expect(requalified.state.graceUntil).toBe('2027-12-21T10:00:00.000Z');
    expect(result.change).toBeNull();
    expect(result.state).toEqual({
      tierId: 'gold',
      since: '2026-11-21T10:00:00.000Z',
      reviewAt: '2028-12-20T10:00:00.000Z',
      graceUntil: null,
      buckets: { '2027-12-10': 5200 },
    });
  });

  it('promotes during grace when the points reach a higher tier', () => {
    // Prepare
    const graced = evaluateTier(memberWith(rolling, 6000), rolling, at('2027-11-21T10:00:00.000Z')).state;
    const earnedAt = at('2027-12-10T00:00:00Z');

    // Act
    const result = evaluateTier(recordQualifyingPoints(graced, rolling, earnedAt, 20000), rolling, earnedAt);

    // Assess
    expect(result.change).toMatchObject({ kind: 'promoted', fromTierId: 'gold', toTierId: 'platinum' });
    expect(result.state).toMatchObject({ graceUntil: null, reviewAt: '2028-12-09T00:00:00.000Z' });
  });

  it('demotes several steps down at once, in the review call when there is no grace', () => {
    // Prepare
    const platinum = recordQualifyingPoints(
      memberWith(rollingNoGrace, 25000),
      rollingNoGrace,
      at('2027-03-01T00:00:00Z'),
      1500,
    );

    // Act
    const result = evaluateTier(platinum, rollingNoGrace, at('2027-11-21T10:00:00.000Z'));

    // Assess
    expect(platinum.tierId).toBe('platinum');
    expect(result.change).toEqual({
      kind: 'demoted',
      fromTierId: 'platinum',
      toTierId: 'silver',
      benefits: { earnMultiplier: 1.25 },
    });
    expect(result.state).toMatchObject({ tierId: 'silver', reviewAt: '2028-11-20T10:00:00.000Z', graceUntil: null });
  });

  it('requalifies at exactly the threshold and not one point below', () => {
    // Prepare
    const gold = memberWith(rollingNoGrace, 6000);
    const review = at('2027-11-21T10:00:00.000Z');
    const earn = (points: number) => recordQualifyingPoints(gold, rollingNoGrace, at('2027-05-01T00:00:00Z'), points);

    // Act
    const atThreshold = evaluateTier(earn(5000), rollingNoGrace, review);
    const below = evaluateTier(earn(4999), rollingNoGrace, review);

    // Assess
    expect(atThreshold).toMatchObject({
      state: { tierId: 'gold', reviewAt: '2028-11-20T10:00:00.000Z' },
      change: null,
    });
    expect(below.change).toMatchObject({ kind: 'demoted', fromTierId: 'gold', toTierId: 'silver' });
  });

  it('demotes at once when the review runs after the grace period is already over', () => {
    // Prepare
    const gold = memberWith(rolling, 6000);

    // Act
    const result = evaluateTier(gold, rolling, at('2028-01-15T00:00:00.000Z'));

    // Assess
    expect(result.change).toMatchObject({ kind: 'demoted', fromTierId: 'gold', toTierId: 'base', benefits: {} });
    expect(result.state).toEqual({
      tierId: 'base',
      since: '2028-01-15T00:00:00.000Z',
      reviewAt: null,
      graceUntil: null,
      buckets: {},
    });
  });

  it('is idempotent: a second call at the same time changes nothing', () => {
    // Prepare
    const gold = memberWith(rolling, 6000);
    const cases: Array<[TierState, Date]> = [
      [recordQualifyingPoints(initialTierState(rolling, t0), rolling, t0, 6000), t0],
      [gold, at('2027-11-21T10:00:00.000Z')],
      [gold, at('2028-01-15T00:00:00.000Z')],
      [recordQualifyingPoints(gold, rolling, at('2027-06-01T00:00:00Z'), 5000), at('2027-11-21T10:00:00.000Z')],
    ];

    for (const [state, now] of cases) {
      // Act
      const first = evaluateTier(state, rolling, now);
      const second = evaluateTier(first.state, rolling, now);

      // Assess
      expect(second).toEqual({ state: first.state, change: null });
    }
  });
});

describe('tier evaluation on a calendar window', () => {
  it('keeps a tier earned in November through the whole next year', () => {
    // Prepare
    const state = recordQualifyingPoints(initialTierState(yearly, t0), yearly, t0, 6000);

    // Act
    const promoted = evaluateTier(state, yearly, t0);
    const lastMoment = evaluateTier(promoted.state, yearly, at('2027-12-31T23:59:59.999Z'));

    // Assess
    expect(promoted.change).toMatchObject({ kind: 'promoted', toTierId: 'gold' });
    expect(promoted.state).toMatchObject({ reviewAt: '2028-01-01T00:00:00.000Z', buckets: { '2026': 6000 } });
    expect(qualifyingPoints(promoted.state, yearly, at('2027-01-01T00:00:00.000Z'))).toBe(0);
    expect(lastMoment.change).toBeNull();
    expect(lastMoment.state).toMatchObject({ tierId: 'gold', graceUntil: null, buckets: {} });
  });

  it('renews for the year after a qualifying year, and demotes on points of the year that ended', () => {
    // Prepare
    const gold = memberWith(yearly, 6000);
    const review = at('2028-01-01T00:00:00.000Z');
    const requalified = recordQualifyingPoints(gold, yearly, at('2027-06-01T00:00:00Z'), 5000);
    const silverLevel = recordQualifyingPoints(gold, yearly, at('2027-12-31T23:59:59.999Z'), 1500);

    // Act
    const renewed = evaluateTier(requalified, yearly, review);
    const demoted = evaluateTier(silverLevel, yearly, review);
    const lapsed = evaluateTier(gold, yearly, review);

    // Assess
    expect(renewed.change).toBeNull();
    expect(renewed.state).toMatchObject({
      tierId: 'gold',
      reviewAt: '2029-01-01T00:00:00.000Z',
      buckets: { '2027': 5000 },
    });
    expect(demoted.change).toMatchObject({ kind: 'demoted', fromTierId: 'gold', toTierId: 'silver' });
    expect(demoted.state).toMatchObject({ since: '2028-01-01T00:00:00.000Z', reviewAt: '2029-01-01T00:00:00.000Z' });
    expect(lapsed.change).toMatchObject({ kind: 'demoted', fromTierId: 'gold', toTierId: 'base' });
    expect(lapsed.state.reviewAt).toBeNull();
  });

  it('counts quarters at their UTC boundaries', () => {
    // Prepare
    const gold = memberWith(quarterly, 6000);
    const review = at('2027-04-01T00:00:00.000Z');
    const inQ1 = recordQualifyingPoints(gold, quarterly, at('2027-03-31T23:59:59.999Z'), 5000);
    const inQ2 = recordQualifyingPoints(gold, quarterly, review, 5000);

    // Act
    const renewedOnQ1 = evaluateTier(inQ1, quarterly, review);
    const renewedOnQ2 = evaluateTier(inQ2, quarterly, review);

    // Assess
    expect(gold).toMatchObject({ tierId: 'gold', reviewAt: '2027-04-01T00:00:00.000Z', buckets: { '2026-Q4': 6000 } });
    expect(qualifyingPoints(gold, quarterly, at('2026-12-31T23:59:59.999Z'))).toBe(6000);
    expect(qualifyingPoints(gold, quarterly, at('2027-01-01T00:00:00.000Z'))).toBe(0);
    expect(renewedOnQ1).toEqual({
      state: { ...inQ1, reviewAt: '2027-07-01T00:00:00.000Z', buckets: { '2027-Q1': 5000 } },
      change: null,
    });
    // Points of the quarter that is just starting already qualify, and hold through the next quarter.
    expect(renewedOnQ2.state.reviewAt).toBe('2027-10-01T00:00:00.000Z');
  });
});

describe('programme edits', () => {
  it('re-seats a member whose tier was removed on the highest tier their points reach', () => {
    // Prepare
    const gold = recordQualifyingPoints(memberWith(rolling, 6000), rolling, plusDays(t0, 1), -4500);
    const withoutGold: TierProgramme = { ...rolling, tiers: rolling.tiers.filter((t) => t.tierId !== 'gold') };
    const now = plusDays(t0, 2);

    // Act
    const result = evaluateTier(gold, withoutGold, now);

    // Assess
    expect(result.change).toEqual({
      kind: 'demoted',
      fromTierId: 'gold',
      toTierId: 'silver',
      benefits: { earnMultiplier: 1.25 },
    });
    expect(result.state).toMatchObject({
      tierId: 'silver',
      since: '2026-11-23T10:00:00.000Z',
      reviewAt: '2027-11-23T10:00:00.000Z',
    });
    expect(evaluateTier(result.state, withoutGold, now).change).toBeNull();
  });

  it('reviews at once a former lowest tier that has a tier below it now', () => {
    // Prepare
    const base = initialTierState(rolling, t0);
    const withEntry = tierProgramme.parse({
      ...rolling,
      tiers: [
        { tierId: 'entry', name: 'Entry', thresholdPoints: 0, benefits: {} },
        ...ladder.map((t, i) => ({ ...t, thresholdPoints: 100 + i })),
      ],
    });

    // Act
    const result = evaluateTier(base, withEntry, t0);

    // Assess
    expect(result.change).toBeNull();
    expect(result.state).toMatchObject({ tierId: 'base', graceUntil: '2026-12-21T10:00:00.000Z' });
  });

  it('finds tiers by id', () => {
    // Act & Assess
    expect(tierById(rolling, 'gold')?.thresholdPoints).toBe(5000);
    expect(tierById(rolling, 'diamond')).toBeUndefined();
  });
});

describe('tier invariants', () => {
  const programmes = fc
    .record({
      window: fc.oneof(
        fc.record({ kind: fc.constant('rolling' as const), days: fc.integer({ min: 1, max: 60 }) }),
        fc.record({
          kind: fc.constant('calendar' as const),
          period: fc.constantFrom('month' as const, 'quarter' as const, 'year' as const),
        }),
      ),
      stepsPoints: fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 4 }),
      demotionGraceDays: fc.integer({ min: 0, max: 30 }),
    })
    .map(({ window, stepsPoints, demotionGraceDays }) => {
      let thresholdPoints = 0;
      const tiers = [0, ...stepsPoints].map((step, i) => ({
        tierId: `t${i}`,
        name: `Tier ${i}`,
        thresholdPoints: (thresholdPoints += step),
        benefits: {},
      }));
      return tierProgramme.parse({ window, tiers, demotionGraceDays });
    });
  const steps = fc.array(
    fc.record({
      advanceHours: fc.integer({ min: 0, max: 24 * 60 }),
      points: fc.integer({ min: -1500, max: 3000 }),
      evaluate: fc.boolean(),
    }),
    { maxLength: 60 },
  );

  /** Rolling: the same window (nothing earlier counts); calendar: the last instant of the period before `now`'s. */
  const endOfPreviousPeriod = (programme: TierProgramme, now: Date) => {
    if (programme.window.kind === 'rolling') return now;
    const month = { month: now.getUTCMonth(), quarter: now.getUTCMonth() - (now.getUTCMonth() % 3), year: 0 }[
      programme.window.period
    ];
    return new Date(Date.UTC(now.getUTCFullYear(), month, 1) - 1);
  };

  it('keeps members on the ladder, promotes only on points, demotes only after reviewAt and is idempotent', () => {
    fc.assert(
      fc.property(programmes, steps, (programme, run) => {
        let now = t0;
        let state = initialTierState(programme, now);
        const maxBuckets = programme.window.kind === 'rolling' ? programme.window.days : 2;
        const threshold = (tierId: string) => tierById(programme, tierId)!.thresholdPoints;

        for (const step of run) {
          now = new Date(now.getTime() + step.advanceHours * 3_600_000);
          if (step.points !== 0) state = recordQualifyingPoints(state, programme, now, step.points);
          expect(Object.keys(state.buckets).length).toBeLessThanOrEqual(maxBuckets);
          if (!step.evaluate) continue;

          const { state: next, change } = evaluateTier(state, programme, now);
          const index = programme.tiers.findIndex((t) => t.tierId === next.tierId);
          expect(index).toBeGreaterThanOrEqual(0);
          expect(next.reviewAt === null).toBe(index === 0);
          if (change === null) expect(next.tierId).toBe(state.tierId);
          if (change?.kind === 'promoted') {
            expect(threshold(change.toTierId)).toBeGreaterThan(threshold(change.fromTierId));
            expect(threshold(change.toTierId)).toBeLessThanOrEqual(qualifyingPoints(next, programme, now));
          }
          if (change?.kind === 'demoted') {
            expect(threshold(change.toTierId)).toBeLessThan(threshold(change.fromTierId));
            expect(state.reviewAt).not.toBeNull();
            expect(Date.parse(state.reviewAt!)).toBeLessThanOrEqual(now.getTime());
            // Down to the highest tier the points that count reach, no further.
            const counted = Math.max(
              qualifyingPoints(next, programme, now),
              qualifyingPoints(next, programme, endOfPreviousPeriod(programme, now)),
            );
            const to = programme.tiers.findIndex((t) => t.tierId === change.toTierId);
            expect(programme.tiers[to]!.thresholdPoints).toBeLessThanOrEqual(counted);
            expect(programme.tiers[to + 1]!.thresholdPoints).toBeGreaterThan(counted);
          }
          if (change === null && state.reviewAt !== null && Date.parse(state.reviewAt) > now.getTime()) {
            expect([next.reviewAt, next.graceUntil]).toEqual([state.reviewAt, state.graceUntil]);
          }
          if (next.graceUntil !== null) {
            expect(Date.parse(next.reviewAt!)).toBeLessThanOrEqual(now.getTime());
            expect(Date.parse(next.graceUntil)).toBeGreaterThanOrEqual(Date.parse(next.reviewAt!));
          }
          expect(evaluateTier(next, programme, now)).toEqual({ state: next, change: null });
          state = next;
        }
      }),
      { numRuns: 300 },
    );
  });
});
