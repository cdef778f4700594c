import * as z from '../shared/zod';
import { DAY_MS } from './lots';

/**
 * Pure earning rules: turn a business transaction posted by a calling system (POS, PMS, booking
 * engine) into the points to credit, with a breakdown a dry run can show. No I/O here.
 *
 * Semantics, in order of application:
 * 1. A currency without a configured rate earns 0 points with an 'excluded' step; the
 *    transaction itself stays valid.
 * 2. Base points are computed per line when `lines` are present (each with its own category),
 *    otherwise on the whole amount with the transaction's category. Lines whose category is in
 *    `excludedCategories` earn nothing ('excluded' steps). Values stay fractional, in minor units
 *    (cents) times the rate, until one rounding down at the end, before caps.
 * 3. Every matching multiplier applies, multiplicatively, per line: `categories` match the line,
 *    `channels`, `tiers` and `transactionTypes` match the transaction. Lists given must all
 *    match; an absent or empty list matches anything. Matching is exact and case-sensitive.
 * 4. A promotion applies when the transaction time (`tx.occurredAt`, else `context.now`) is in
 *    [startsAt, endsAt), `tx.amount >= minAmount`, and its `when` matches at least one earning
 *    line. Its multiplier multiplies the matching lines like a rule multiplier; its bonusPoints
 *    are added once per transaction, after all multiplication.
 * 5. The per-transaction cap applies first, then the per-period cap:
 *    `points = min(points, max(0, maxPoints - periodEarnedPoints))`.
 * 6. `holdDays` is `holdDaysByType[tx.type]`, else `holdDays`, else 0.
 * 7. Points are always a safe, non-negative integer; stacked multipliers without caps are limited
 *    to Number.MAX_SAFE_INTEGER (a 'cap' step).
 */

export const TRANSACTION_TYPES = ['purchase', 'stay', 'booking', 'other'] as const;
const transactionType = z.enum(TRANSACTION_TYPES);
export type TransactionType = z.infer<typeof transactionType>;

const MAX_AMOUNT = 10_000_000;

/** Money fits in integer cents; three decimals would be a unit mistake in the calling system. */
const hasAtMostTwoDecimals = (value: number) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6;
const toCents = (value: number) => Math.round(value * 100);

// `abort` stops at the first bad amount, so the line-sum refinement does not pile on a second issue.
export const money = z
  .number()
  .check(
    z.positive({ error: 'must be greater than 0', abort: true }),
    z.lte(MAX_AMOUNT, { error: `must be at most ${MAX_AMOUNT}`, abort: true }),
    z.refine(hasAtMostTwoDecimals, { error: 'must have at most 2 decimals', abort: true }),
  );

export const currencyCode = z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code: 3 upper-case letters'));
const label = z.string().check(z.minLength(1), z.maxLength(64));
const identifier = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only'));

export const businessTransaction = z
  .strictObject({
    transactionId: identifier.check(z.describe("The transaction's id in the calling system")),
    type: transactionType,
    amount: money.check(z.describe('Total amount in major units (e.g. 19.99)')),
    currency: currencyCode,
    category: z.optional(label),
    channel: z.optional(label).check(z.describe('e.g. store, web, app')),
    occurredAt: z.optional(z.iso.datetime()).check(z.describe('When the transaction happened; defaults to now')),
    lines: z.optional(
      z
        .array(
          z.strictObject({
            sku: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
            category: label,
            amount: money,
          }),
        )
        .check(z.minLength(1), z.maxLength(100)),
    ),
  })
  .check(
    z.refine(
      (tx) => !tx.lines?.length || tx.lines.reduce((sum, line) => sum + toCents(line.amount), 0) === toCents(tx.amount),
      { error: 'line amounts must sum to amount', path: ['lines'] },
    ),
  );
export type BusinessTransaction = z.infer<typeof businessTransaction>;

const conditions = z.strictObject({
  categories: z.optional(z.array(label).check(z.maxLength(100))),
  channels: z.optional(z.array(label).check(z.maxLength(100))),
  tiers: z.optional(z.array(label).check(z.maxLength(100))),
  transactionTypes: z.optional(z.array(transactionType).check(z.maxLength(TRANSACTION_TYPES.length))),
});
export type Conditions = z.infer<typeof conditions>;

const multiplierFactor = z.number().check(z.positive('must be greater than 0'), z.lte(100, 'must be at most 100'));
const holdDaysValue = z.number().check(z.int(), z.gte(0), z.lte(365));

const promotion = z
  .strictObject({
    promotionId: identifier,
    name: z.string().check(z.minLength(1), z.maxLength(100)),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    when: z.optional(conditions),
    minAmount: z
      .optional(z.number().check(z.gte(0), z.lte(MAX_AMOUNT)))
      .check(z.describe('Minimum transaction amount')),
    multiplier: z.optional(multiplierFactor),
    bonusPoints: z.optional(z.number().check(z.int(), z.positive(), z.lte(1_000_000_000))),
  })
  .check(
    z.refine((p) => p.multiplier !== undefined || p.bonusPoints !== undefined, {
      error: 'a promotion needs a multiplier or bonusPoints',
    }),
    z.refine((p) => !(Date.parse(p.endsAt) <= Date.parse(p.startsAt)), {
      error: 'endsAt must be after startsAt',
      path: ['endsAt'],
    }),
  );

/** Reports the first repeated value of `key` so an admin sees which entry to fix. */
const unique =
  <T>(key: (item: T) => string, what: string) =>
  (items: T[], ctx: z.core.$RefinementCtx) => {
    const seen = new Set<string>();
    for (const [index, item] of items.entries()) {
      const value = key(item);
      if (seen.has(value)) ctx.addIssue({ code: 'custom', message: `duplicate ${what} ${value}`, path: [index] });
      seen.add(value);
    }
  };

export const earningRules = z.strictObject({
  currencies: z
    .array(
      z.strictObject({
        currency: currencyCode,
        pointsPerUnit: z.number().check(z.positive('must be greater than 0'), z.lte(1000, 'must be at most 1000')),
      }),
    )
    .check(z.minLength(1), z.maxLength(50), z.superRefine(unique((c) => c.currency, 'currency'))),
  excludedCategories: z.optional(z.array(label).check(z.maxLength(100))),
  multipliers: z.optional(
    z
      .array(
        z.strictObject({
          name: z.string().check(z.minLength(1), z.maxLength(100)),
          when: conditions,
          multiplier: multiplierFactor,
        }),
      )
      .check(z.maxLength(50)),
  ),
  promotions: z.optional(
    z.array(promotion).check(z.maxLength(50), z.superRefine(unique((p) => p.promotionId, 'promotionId'))),
  ),
  caps: z.optional(
    z.strictObject({
      perTransactionMaxPoints: z.optional(z.number().check(z.int(), z.positive())),
      perPeriod: z.optional(
        z.strictObject({
          period: z.enum(['day', 'week', 'month', 'year']),
          maxPoints: z.number().check(z.int(), z.positive()),
        }),
      ),
    }),
  ),
  holdDays: z.optional(holdDaysValue).check(z.describe('Days before earned points become available; 0 if absent')),
  holdDaysByType: z.optional(z.partialRecord(transactionType, holdDaysValue)),
});
export type EarningRules = z.infer<typeof earningRules>;

export const DEFAULT_EARNING_RULES: EarningRules = {
  currencies: [
    { currency: 'EUR', pointsPerUnit: 1 },
    { currency: 'USD', pointsPerUnit: 1 },
    { currency: 'GBP', pointsPerUnit: 1 },
  ],
};

export interface EarningContext {
  tier: string;
  /** Points already earned from rules in the cap period of the transaction's time. */
  periodEarnedPoints: number;
  /** The time to evaluate at when the transaction has no `occurredAt`. */
  now: Date;
}

/** `points` in every step is the running total after it, before the final rounding down. */
export type EarningStep = { points: number; label: string } & (
  | {
      kind: 'excluded';
      reason: 'currency' | 'category';
      currency: string;
      category?: string;
      /** 0-based */ line?: number;
    }
  | { kind: 'base'; currency: string; pointsPerUnit: number; eligibleAmount: number }
  | { kind: 'multiplier'; name: string; multiplier: number }
  /** One step per effect: a promotion with both shows its multiplier, then later its bonus. */
  | { kind: 'promotion'; promotionId: string; name: string; multiplier?: number; bonusPoints?: number }
  | { kind: 'cap'; cap: 'perTransaction' | 'perPeriod' | 'safeInteger'; maxPoints: number }
);

export interface EarningResult {
  /** Integer >= 0 to credit. */
  points: number;
  /** Before multipliers, promotions and caps, rounded down. */
  basePoints: number;
  /** In order of application. */
  breakdown: EarningStep[];
  /** promotionIds that changed the points. */
  appliedPromotions: string[];
  /** A cap reduced the points. */
  capped: boolean;
  /** Pending period before points become available; 0 = immediately. */
  holdDays: number;
  /** The period bucket this earning counts toward; null without a period cap. */
  capPeriodKey: string | null;
}

export type CapPeriod = 'day' | 'week' | 'month' | 'year';

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * The UTC bucket of `at` for a period cap; weeks are ISO weeks, so their year can differ.
 * @example capPeriodKey('week', new Date('2024-12-30T00:00:00Z')) // '2025-W01'
 */
export function capPeriodKey(period: CapPeriod, at: Date): string {
  if (Number.isNaN(at.getTime())) throw new RangeError('at must be a valid date');
  const year = at.getUTCFullYear();
  switch (period) {
    case 'day':
      return `${pad(year, 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
    case 'month':
      return `${pad(year, 4)}-${pad(at.getUTCMonth() + 1)}`;
    case 'year':
      return pad(year, 4);
    case 'week': {
      // An ISO week belongs to the year of its Thursday and is numbered from that Thursday.
      const mondayBased = (at.getUTCDay() + 6) % 7;
      const thursday = new Date(Date.UTC(year, at.getUTCMonth(), at.getUTCDate() + 3 - mondayBased));
      const isoYear = thursday.getUTCFullYear();
      const dayOfYear = Math.round((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / DAY_MS);
      return `${pad(isoYear, 4)}-W${pad(Math.floor(dayOfYear / 7) + 1)}`;
    }
  }
}

/** Six decimals absorb binary float noise (6000 * 1.15 = 6899.999999999999) without hiding real fractions. */
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

const listMatches = (list: readonly string[] | undefined, value: string | undefined) =>
  !list || list.length === 0 || (value !== undefined && list.includes(value));

interface EarningLine {
  category: string | undefined;
  amountCents: number;
  /** Points times 100 (rate applied to cents), kept fractional until the end. */
  centPoints: number;
}

/**
 * Evaluates a tenant's rules for one transaction. Inputs are expected to have passed
 * `earningRules` and `businessTransaction`; an invalid time or a `periodEarnedPoints` that is not
 * a non-negative integer throws a RangeError rather than producing NaN.
 * @example
 * evaluateEarning(DEFAULT_EARNING_RULES, { transactionId: 't1', type: 'purchase', amount: 19.99, currency: 'EUR' },
 *   { tier: 'base', periodEarnedPoints: 0, now: new Date() }).points // 19
 */
export function evaluateEarning(rules: EarningRules, tx: BusinessTransaction, context: EarningContext): EarningResult {
  if (!Number.isSafeInteger(context.periodEarnedPoints) || context.periodEarnedPoints < 0) {
    throw new RangeError('periodEarnedPoints must be a non-negative integer');
  }
  const at = tx.occurredAt ? new Date(tx.occurredAt) : context.now;
  if (Number.isNaN(at.getTime())) throw new RangeError('the transaction time must be a valid date');

  const perPeriod = rules.caps?.perPeriod;
  const common = {
    holdDays: rules.holdDaysByType?.[tx.type] ?? rules.holdDays ?? 0,
    capPeriodKey: perPeriod ? capPeriodKey(perPeriod.period, at) : null,
  };

  const rate = rules.currencies.find((c) => c.currency === tx.currency);
  if (!rate) {
    const step: EarningStep = {
      kind: 'excluded',
      reason: 'currency',
      currency: tx.currency,
      points: 0,
      label: `No earning rate for ${tx.currency}: earns nothing`,
    };
    return { points: 0, basePoints: 0, breakdown: [step], appliedPromotions: [], capped: false, ...common };
  }

  const breakdown: EarningStep[] = [];
  const excluded = new Set(rules.excludedCategories ?? []);
  const sourceLines = tx.lines ?? [{ category: tx.category, amount: tx.amount }];
  const lines: EarningLine[] = [];
  for (const [index, line] of sourceLines.entries()) {
    if (line.category !== undefined && excluded.has(line.category)) {
      const where = tx.lines
        ? `Line ${index + 1} (${line.category}, ${formatAmount(toCents(line.amount), tx.currency)})`
        : `Category ${line.category}`;
      breakdown.push({
        kind: 'excluded',
        reason: 'category',
        currency: tx.currency,
        category: line.category,
        ...(tx.lines ? { line: index } : {}),
        points: 0,
        label: `${where} is excluded: earns nothing`,
      });
      continue;
    }
    const amountCents = toCents(line.amount);
    lines.push({ category: line.category, amountCents, centPoints: amountCents * rate.pointsPerUnit });
  }

  const total = () => lines.reduce((sum, line) => sum + line.centPoints, 0) / 100;
  const eligibleCents = lines.reduce((sum, line) => sum + line.amountCents, 0);
  const unit = rate.pointsPerUnit === 1 ? 'point' : 'points';
  const basePoints = Math.floor(round6(total()));
  breakdown.push({
    kind: 'base',
    currency: tx.currency,
    pointsPerUnit: rate.pointsPerUnit,
    eligibleAmount: eligibleCents / 100,
    points: round6(total()),
    label:
      `${formatAmount(eligibleCents, tx.currency)} at ${rate.pointsPerUnit} ${unit} per unit: ` +
      `${formatPoints(total())} points`,
  });

  const txMatches = (when: Conditions | undefined) =>
    listMatches(when?.channels, tx.channel) &&
    listMatches(when?.tiers, context.tier) &&
    listMatches(when?.transactionTypes, tx.type);
  const matchingLines = (when: Conditions | undefined) =>
    txMatches(when) ? lines.filter((line) => listMatches(when?.categories, line.category)) : [];
  const multiply = (targets: EarningLine[], factor: number) => {
    for (const line of targets) line.centPoints *= factor;
    const scope =
      tx.lines && targets.length < sourceLines.length ? ` on ${targets.length} of ${sourceLines.length} lines` : '';
    return { scope, points: round6(total()) };
  };

  for (const rule of rules.multipliers ?? []) {
    const targets = matchingLines(rule.when);
    if (targets.length === 0) continue;
    const { scope, points } = multiply(targets, rule.multiplier);
    breakdown.push({
      kind: 'multiplier',
      name: rule.name,
      multiplier: rule.multiplier,
      points,
      label: `${rule.name} ×${rule.multiplier}${scope}: ${formatPoints(points)} points`,
    });
  }

  const atMs = at.getTime();
  const promotions = (rules.promotions ?? [])
    .filter((p) => Date.parse(p.startsAt) <= atMs && atMs < Date.parse(p.endsAt))
    .filter((p) => p.minAmount === undefined || tx.amount >= p.minAmount)
    .map((p) => ({ promotion: p, targets: matchingLines(p.when) }))
    .filter(({ targets }) => targets.length > 0);

  for (const { promotion: p, targets } of promotions) {
    if (p.multiplier === undefined) continue;
    const { scope, points } = multiply(targets, p.multiplier);
    breakdown.push({
      kind: 'promotion',
      promotionId: p.promotionId,
      name: p.name,
      multiplier: p.multiplier,
      points,
      label: `${p.name} ×${p.multiplier}${scope}: ${formatPoints(points)} points`,
    });
  }

  let bonusPoints = 0;
  for (const { promotion: p } of promotions) {
    if (p.bonusPoints === undefined) continue;
    bonusPoints += p.bonusPoints;
    const points = round6(total() + bonusPoints);
    breakdown.push({
      kind: 'promotion',
      promotionId: p.promotionId,
      name: p.name,
      bonusPoints: p.bonusPoints,
      points,
      label: `${p.name} +${p.bonusPoints} bonus points: ${formatPoints(points)} points`,
    });
  }

  let points = Math.floor(round6(total() + bonusPoints));
  let capped = false;
  const cap = (kind: 'perTransaction' | 'perPeriod' | 'safeInteger', maxPoints: number, label: string) => {
    if (points <= maxPoints) return;
    points = maxPoints;
    capped = true;
    breakdown.push({ kind: 'cap', cap: kind, maxPoints, points, label: `${label}: ${points} points` });
  };
  const perTransactionMax = rules.caps?.perTransactionMaxPoints;
  if (perTransactionMax !== undefined) {
    cap('perTransaction', perTransactionMax, `Capped at ${perTransactionMax} points per transaction`);
  }
  if (perPeriod) {
    const remaining = Math.max(0, perPeriod.maxPoints - context.periodEarnedPoints);
    const earned = `${context.periodEarnedPoints} already earned in ${common.capPeriodKey}`;
    cap('perPeriod', remaining, `Capped at ${perPeriod.maxPoints} points per ${perPeriod.period} (${earned})`);
  }
  // Stacked multipliers without caps could leave the range where integers are exact.
  cap('safeInteger', Number.MAX_SAFE_INTEGER, 'Limited to the largest safe integer');

  return {
    points,
    basePoints,
    breakdown,
    appliedPromotions: promotions.map(({ promotion: p }) => p.promotionId),
    capped,
    ...common,
  };
}

const formatAmount = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;
const formatPoints = (points: number) => String(round6(points));
