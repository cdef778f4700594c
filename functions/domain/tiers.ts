import * as z from '../shared/zod';
import { DAY_MS } from './lots';
import { required } from '../shared/required';

/**
 * Pure tier-ladder rules: a member's tier follows the points they *earned* (not spent) in a
 * qualification window, either rolling N days or a UTC calendar period. No I/O here; the ledger
 * keeps a small `TierState` in the member's balance item and calls `evaluateTier` after each
 * earning or reversal, and the scheduler calls it again at `nextTierReviewAt`.
 *
 * Semantics of `evaluateTier`, at most one tier change per call:
 * 1. Promotion is immediate: when `qualifyingPoints(now)` reaches a tier above the current one,
 *    the member moves to the highest such tier (skipping any in between), `since = now`, grace
 *    is cleared and `reviewAt` is the end of the tier period.
 * 2. A tier period runs `days` from the moment it was earned (rolling), or for a calendar window
 *    through the *next* whole period: status earned in period P holds until the end of P + 1, as
 *    airlines and hotels do (promoted in November on a yearly window: kept all next year,
 *    `reviewAt` = 1 January of the year after next).
 * 3. When `reviewAt` is due the member is reviewed. They still qualify when the points that count
 *    reach the current threshold: rolling, the window ending now; calendar, the period that just
 *    ended (before now's period) or already now's period. They then renew under rule 2 from the
 *    period that qualified them (previous period: until the end of now's period; now's period:
 *    until the end of the next). Otherwise grace starts: `graceUntil = reviewAt + demotionGraceDays`.
 * 4. When `graceUntil` is due (at once when grace is 0 or already over) the member either
 *    requalified under rule 3 and renews, or is demoted to the highest tier the points that count
 *    reach, maybe several steps down, with that tier's period under rule 2 (`reviewAt` null on
 *    the lowest tier). Demotion therefore never happens before `reviewAt`.
 * 5. A programme edit that removes the member's tier never throws: the removed tier's threshold is
 *    not in the state, so the member is re-seated at once on the highest tier the points that count
 *    reach, reported as a demotion from the lost tier. A tier above the lowest without `reviewAt`
 *    (it was the lowest before an edit added one below) is reviewed at once.
 * 6. Evaluating twice at the same `now` gives the same state and `change: null` the second time.
 *
 * Bounded state: rolling windows keep one bucket per UTC day for at most `days` days; calendar
 * windows keep only now's and the previous period. After a window edit, finer buckets fold into
 * the new coarser ones (days into months, months into years); coarser ones are dropped.
 */

const benefits = z.object({
  earnMultiplier: z.optional(z.number().check(z.positive(), z.lte(10))),
  perks: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(200))).check(z.maxLength(50))),
});

const tier = z.object({
  tierId: z.string().check(z.regex(/^[a-z0-9_-]{1,32}$/, 'must be 1-32 of a-z, 0-9, _ and -')),
  name: z.string().check(z.minLength(1), z.maxLength(64)),
  thresholdPoints: z.number().check(z.int(), z.gte(0)),
  benefits,
});

const qualificationWindow = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rolling'), days: z.number().check(z.int(), z.gte(1), z.lte(1095)) }),
  z.object({ kind: z.literal('calendar'), period: z.enum(['month', 'quarter', 'year']) }),
]);

export const tierProgramme = z.object({
  window: qualificationWindow,
  tiers: z.array(tier).check(
    z.minLength(1),
    z.maxLength(20),
    z.superRefine((tiers, ctx) => {
      if (tiers[0] && tiers[0].thresholdPoints !== 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'the first tier must have thresholdPoints 0',
          path: [0, 'thresholdPoints'],
        });
      }
      const seen = new Set<string>();
      for (const [i, t] of tiers.entries()) {
        const previous = tiers[i - 1];
        if (previous && t.thresholdPoints <= previous.thresholdPoints) {
          ctx.addIssue({
            code: 'custom',
            message: 'thresholds must be strictly increasing',
            path: [i, 'thresholdPoints'],
          });
        }
        if (seen.has(t.tierId))
          ctx.addIssue({ code: 'custom', message: `duplicate tierId '${t.tierId}'`, path: [i, 'tierId'] });
        seen.add(t.tierId);
      }
    }),
  ),
  demotionGraceDays: z._default(z.number().check(z.int(), z.gte(0), z.lte(365)), 0),
});

export type TierProgramme = z.infer<typeof tierProgramme>;
export type QualificationWindow = TierProgramme['window'];
export type Tier = TierProgramme['tiers'][number];
export type Benefits = Tier['benefits'];

export const DEFAULT_TIER_PROGRAMME: TierProgramme = {
  window: { kind: 'rolling', days: 365 },
  tiers: [{ tierId: 'base', name: 'Base', thresholdPoints: 0, benefits: {} }],
  demotionGraceDays: 0,
};

export interface TierState {
  tierId: string;
  /** ISO datetime the current tier was reached */
  since: string;
  /** End of the current tier period: at this time the member is re-evaluated (null for the lowest tier) */
  reviewAt: string | null;
  /** Set when a review found the member below threshold: demotion takes effect at this time unless they requalify */
  graceUntil: string | null;
  /**
   * Qualifying points per UTC day ('YYYY-MM-DD' → points) for rolling windows, or per period key ('2026-11', '2026-Q4',
   * '2026') for calendar windows; pruned
   */
  buckets: Record<string, number>;
}

export type TierChange = { kind: 'promoted' | 'demoted'; fromTierId: string; toTierId: string; benefits: Benefits };

export interface TierEvaluation {
  state: TierState;
  change: TierChange | null;
}

type Period = 'month' | 'quarter' | 'year';
const PERIOD_MONTHS: Record<Period, number> = { month: 1, quarter: 3, year: 12 };
/** Bucket granularity, finest first, so a window edit can fold buckets into a coarser window. */
const WINDOW_RANK = { rolling: 0, month: 1, quarter: 2, year: 3 } as const;
const KEY_SHAPES = [/^\d{4}-\d{2}-\d{2}$/, /^\d{4}-\d{2}$/, /^\d{4}-Q[1-4]$/, /^\d{4}$/] as const;

const pad = (value: number, width = 2) => String(value).padStart(width, '0');
const windowRank = (window: QualificationWindow) => WINDOW_RANK[window.kind === 'rolling' ? 'rolling' : window.period];

function timeMs(at: Date, name: string): number {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be a valid date`);
  return ms;
}

/** Start (UTC) of the calendar period `offset` periods after the one containing `at`. */
function periodStart(at: Date, period: Period, offset = 0): Date {
  const months = PERIOD_MONTHS[period];
  const month = (Math.floor((at.getUTCFullYear() * 12 + at.getUTCMonth()) / months) + offset) * months;
  return new Date(Date.UTC(Math.floor(month / 12), month % 12, 1));
}

/**
 * The bucket that points earned at `at` go to.
 * @example bucketKey({ kind: 'calendar', period: 'quarter' }, new Date('2026-11-21T10:00:00Z')) // '2026-Q4'
 */
export function bucketKey(window: QualificationWindow, at: Date): string {
  const year = pad(at.getUTCFullYear(), 4);
  const month = at.getUTCMonth();
  if (window.kind === 'rolling') return `${year}-${pad(month + 1)}-${pad(at.getUTCDate())}`;
  switch (window.period) {
    case 'month':
      return `${year}-${pad(month + 1)}`;
    case 'quarter':
      return `${year}-Q${Math.floor(month / 3) + 1}`;
    case 'year':
      return year;
  }
}

function parseKey(key: string): { rank: number; start: Date } | undefined {
  const rank = KEY_SHAPES.findIndex((shape) => shape.test(key));
  if (rank < 0) return undefined;
  const month = rank === 2 ? (Number(key[6]) - 1) * 3 : rank === 3 ? 0 : Number(key.slice(5, 7)) - 1;
  return { rank, start: new Date(Date.UTC(Number(key.slice(0, 4)), month, rank === 0 ? Number(key.slice(8)) : 1)) };
}

/** A copy of the buckets in the window's key shape, positive only; folding only happens after a window edit. */
function normalise(buckets: Record<string, number>, window: QualificationWindow): Record<string, number> {
  const rank = windowRank(window);
  const out: Record<string, number> = {};
  for (const [key, points] of Object.entries(buckets)) {
    if (!(points > 0)) continue;
    if (KEY_SHAPES[rank].test(key)) {
      out[key] = (out[key] ?? 0) + points;
      continue;
    }
    const parsed = parseKey(key);
    if (!parsed || parsed.rank > rank) continue;
    const target = bucketKey(window, parsed.start);
    out[target] = (out[target] ?? 0) + points;
  }
  return out;
}

/** Oldest bucket the window ending at `at` can read: its first day, or the previous period for reviews. */
function oldestNeededKey(window: QualificationWindow, at: Date): string {
  return window.kind === 'rolling'
    ? bucketKey(window, new Date(at.getTime() - (window.days - 1) * DAY_MS))
    : bucketKey(window, periodStart(at, window.period, -1));
}

/** Keeps what the window can still need, measured from `at` or the newest bucket if later. */
function prune(buckets: Record<string, number>, window: QualificationWindow, at: Date): Record<string, number> {
  const newest = Object.keys(buckets).reduce((a, b) => (b > a ? b : a), bucketKey(window, at));
  const oldest = oldestNeededKey(window, parseKey(newest)?.start ?? at);
  return Object.fromEntries(Object.entries(buckets).filter(([key, points]) => key >= oldest && points > 0));
}

function pointsIn(buckets: Record<string, number>, window: QualificationWindow, at: Date): number {
  const last = bucketKey(window, at);
  if (window.kind === 'calendar') return buckets[last] ?? 0;
  const first = oldestNeededKey(window, at);
  let sum = 0;
  for (const [key, points] of Object.entries(buckets)) if (key >= first && key <= last) sum += points;
  return sum;
}

export function initialTierState(programme: TierProgramme, now: Date): TierState {
  timeMs(now, 'now');
  return {
    tierId: required(programme.tiers[0], 'the base tier').tierId,
    since: now.toISOString(),
    reviewAt: null,
    graceUntil: null,
    buckets: {},
  };
}

/**
 * Adds points earned at `at` to its bucket. Negative points (a reversal) come off that bucket,
 * then earlier ones newest first, never below 0, so a reversal booked days after the earning
 * still removes the points from the window. Buckets the window no longer needs are dropped.
 * @example state = recordQualifyingPoints(state, programme, new Date(), -entry.amountPoints)
 */
export function recordQualifyingPoints(
  state: TierState,
  programme: TierProgramme,
  at: Date,
  points: number,
): TierState {
  timeMs(at, 'at');
  if (!Number.isSafeInteger(points)) throw new RangeError('points must be an integer');
  const { window } = programme;
  const buckets = normalise(state.buckets, window);
  const key = bucketKey(window, at);
  if (points >= 0) {
    buckets[key] = (buckets[key] ?? 0) + points;
  } else {
    let owedPoints = -points;
    const candidates = Object.keys(buckets)
      .filter((k) => k <= key)
      .sort()
      .reverse();
    for (const k of candidates) {
      if (owedPoints === 0) break;
      const availablePoints = buckets[k] ?? 0;
      const takenPoints = Math.min(owedPoints, availablePoints);
      buckets[k] = availablePoints - takenPoints;
      owedPoints -= takenPoints;
    }
  }
  return { ...state, buckets: prune(buckets, window, at) };
}

/** Rolling: the day buckets of the `days` UTC days ending with `at`'s day; calendar: `at`'s period. */
export function qualifyingPoints(state: TierState, programme: TierProgramme, at: Date): number {
  timeMs(at, 'at');
  return pointsIn(normalise(state.buckets, programme.window), programme.window, at);
}

export function tierById(programme: TierProgramme, tierId: string): Tier | undefined {
  return programme.tiers.find((t) => t.tierId === tierId);
}

/** Points that count at `now` and until when a tier they reach would hold, longest hold first. */
interface Standing {
  points: number;
  holdsUntil: Date;
}

function standings(buckets: Record<string, number>, window: QualificationWindow, now: Date): Standing[] {
  if (window.kind === 'rolling') {
    return [{ points: pointsIn(buckets, window, now), holdsUntil: new Date(now.getTime() + window.days * DAY_MS) }];
  }
  return [
    { points: buckets[bucketKey(window, now)] ?? 0, holdsUntil: periodStart(now, window.period, 2) },
    {
      points: buckets[bucketKey(window, periodStart(now, window.period, -1))] ?? 0,
      holdsUntil: periodStart(now, window.period, 1),
    },
  ];
}

/**
 * Promotes, reviews, starts grace or demotes, per the rules at the top of this module; at most
 * one tier change per call, and idempotent for the same `now`.
 * @example
 * const { state, change } = evaluateTier(recordQualifyingPoints(balance.tierState, programme, now, 500), programme,
 * now);
 * balance.tierState = state; // `change`, if any, is the promotion or demotion to announce
 */
export function evaluateTier(state: TierState, programme: TierProgramme, now: Date): TierEvaluation {
  const nowMs = timeMs(now, 'now');
  const { tiers, window } = programme;
  const buckets = prune(normalise(state.buckets, window), window, now);
  const standing = standings(buckets, window, now);
  const current: TierState = { ...state, buckets };

  const heldUntil = (i: number) => {
    const { thresholdPoints } = required(tiers[i], `tier ${i}`);
    return standing.find((s) => s.points >= thresholdPoints)?.holdsUntil;
  };
  const reviewAtFor = (i: number) => (i === 0 ? null : (heldUntil(i)?.toISOString() ?? null));
  const moveTo = (i: number, kind: TierChange['kind']): TierEvaluation => {
    const target = required(tiers[i], `tier ${i}`);
    return {
      state: {
        ...current,
        tierId: target.tierId,
        since: now.toISOString(),
        reviewAt: reviewAtFor(i),
        graceUntil: null,
      },
      change: { kind, fromTierId: state.tierId, toTierId: target.tierId, benefits: target.benefits },
    };
  };
  // The lowest tier's threshold is 0, so some tier is always held.
  const highestHeld = () => tiers.findLastIndex((_, i) => heldUntil(i) !== undefined);

  const index = tiers.findIndex((t) => t.tierId === state.tierId);
  if (index < 0) return moveTo(highestHeld(), 'demoted');

  // The first standing is always the window ending now, i.e. `qualifyingPoints(now)`.
  const earnedPoints = required(standing[0], 'the standing ending now').points;
  const promotedTo = tiers.findLastIndex((t) => t.thresholdPoints <= earnedPoints);
  if (promotedTo > index) return moveTo(promotedTo, 'promoted');

  const qualifies = heldUntil(index) !== undefined;
  const renewed: TierEvaluation = {
    state: { ...current, reviewAt: reviewAtFor(index), graceUntil: null },
    change: null,
  };
  const unchanged: TierEvaluation = { state: current, change: null };

  let graceUntilMs: number;
  if (state.graceUntil === null) {
    const reviewMs = state.reviewAt !== null ? Date.parse(state.reviewAt) : index > 0 ? nowMs : null;
    // An unparseable date compares false both ways, so it counts as due rather than stalling forever.
    if (reviewMs === null || reviewMs > nowMs) return unchanged;
    if (qualifies) return renewed;
    graceUntilMs = reviewMs + programme.demotionGraceDays * DAY_MS;
    if (graceUntilMs > nowMs)
      return { state: { ...current, graceUntil: new Date(graceUntilMs).toISOString() }, change: null };
  } else {
    graceUntilMs = Date.parse(state.graceUntil);
    if (graceUntilMs > nowMs) return unchanged;
  }
  return qualifies ? renewed : moveTo(highestHeld(), 'demoted');
}

/** When the scheduler must call `evaluateTier` next, since nothing changes by itself before. */
export function nextTierReviewAt(state: TierState): string | null {
  return state.graceUntil ?? state.reviewAt;
}

/**
 * Seats a member on a tier a previous programme gave them, as held at `at`: the tier holds for one tier period from
 * `at` (rule 2), after which the usual review decides on the points that count. The qualifying points stay the
 * state's (record the carried-over ones with `recordQualifyingPoints` first). Throws a RangeError for a tier the
 * programme does not have (callers check first).
 * @example state = seatedTierState(recordQualifyingPoints(state, programme, asOf, 2100), programme, 'silver', asOf)
 */
export function seatedTierState(state: TierState, programme: TierProgramme, tierId: string, at: Date): TierState {
  const atMs = timeMs(at, 'at');
  const index = programme.tiers.findIndex((t) => t.tierId === tierId);
  if (index < 0) throw new RangeError(`The programme has no tier ${tierId}`);
  const { window } = programme;
  const holdsUntil =
    window.kind === 'rolling' ? new Date(atMs + window.days * DAY_MS) : periodStart(at, window.period, 2);
  return {
    ...state,
    tierId,
    since: at.toISOString(),
    reviewAt: index === 0 ? null : holdsUntil.toISOString(),
    graceUntil: null,
  };
}
