/**
 * Point lots: available points grouped by expiry time. Earnings add to the lot of their expiry
 * (one lot per expiry instant, so a member holds at most one lot per day of the expiry policy);
 * debits consume the soonest-expiring lots first; refunds restore lots with their original expiry.
 *
 * Invariant: lots are sorted by expiry (never-expiring last), every lot holds > 0 points, and
 * their sum is the member's available points.
 */
export interface PointLot {
  /** ISO instant the points expire at; null never expires. */
  expiresAt: string | null;
  points: number;
  /** Set once the "expiring soon" notice for this lot has been sent. */
  noticeSent?: boolean;
}

/** Points held back before they become available; activated or cancelled one by one. */
export interface PendingLot {
  /** The earn entry that created the hold. */
  entryId: string;
  points: number;
  activatesAt: string;
  /** The expiry the points get when they become available. */
  expiresAt: string | null;
}

const order = (a: string | null, b: string | null): number => {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
};

export const sumPoints = (lots: readonly { points: number }[]): number =>
  lots.reduce((sum, lot) => sum + lot.points, 0);

/** Adds points to the lot with this expiry (or a new one), keeping the order. */
export function addToLots(lots: readonly PointLot[], points: number, expiresAt: string | null): PointLot[] {
  if (points <= 0) return [...lots];
  const next = lots.map((lot) => ({ ...lot }));
  const existing = next.find((lot) => lot.expiresAt === expiresAt);
  if (existing) existing.points += points;
  else next.push({ expiresAt, points });
  return next.sort((a, b) => order(a.expiresAt, b.expiresAt));
}

/**
 * Takes `points` from the lots, soonest-expiring first; `preferExpiresAt` is drained first (a
 * clawback of an earning takes back that earning's own lot before touching older points).
 * Returns null when the lots do not hold enough points.
 */
export function consumeLots(
  lots: readonly PointLot[],
  points: number,
  preferExpiresAt?: string | null,
): { lots: PointLot[]; consumed: PointLot[] } | null {
  if (sumPoints(lots) < points) return null;
  const next = lots.map((lot) => ({ ...lot }));
  const consumed: PointLot[] = [];
  let remaining = points;
  const take = (lot: PointLot) => {
    const taken = Math.min(lot.points, remaining);
    if (taken === 0) return;
    lot.points -= taken;
    remaining -= taken;
    const same = consumed.find((c) => c.expiresAt === lot.expiresAt);
    if (same) same.points += taken;
    else consumed.push({ expiresAt: lot.expiresAt, points: taken });
  };
  if (preferExpiresAt !== undefined) {
    const preferred = next.find((lot) => lot.expiresAt === preferExpiresAt);
    if (preferred) take(preferred);
  }
  for (const lot of next) take(lot);
  return {
    lots: next.filter((lot) => lot.points > 0),
    consumed: consumed.sort((a, b) => order(a.expiresAt, b.expiresAt)),
  };
}

/** Removes the lots that have expired at `now`. */
export function takeExpired(lots: readonly PointLot[], now: string): { lots: PointLot[]; expired: PointLot[] } {
  const expired = lots.filter((lot) => lot.expiresAt !== null && lot.expiresAt <= now);
  return {
    lots: lots.filter((lot) => !expired.includes(lot)),
    expired: expired.map(({ expiresAt, points }) => ({ expiresAt, points })),
  };
}

/**
 * Takes up to `points` back out of a list of consumed lots for a partial refund, latest expiry
 * first (the refund keeps the member's points alive as long as it can).
 */
export function takeForRefund(
  remaining: readonly PointLot[],
  points: number,
): { restore: PointLot[]; remaining: PointLot[] } {
  const next = remaining.map((lot) => ({ ...lot }));
  const restore: PointLot[] = [];
  let left = points;
  for (const lot of [...next].sort((a, b) => order(b.expiresAt, a.expiresAt))) {
    const taken = Math.min(lot.points, left);
    if (taken === 0) continue;
    lot.points -= taken;
    left -= taken;
    restore.push({ expiresAt: lot.expiresAt, points: taken });
  }
  return { restore, remaining: next.filter((lot) => lot.points > 0) };
}

/** Lots whose expiry falls within `noticeDays` of `now` and that have not been announced yet. */
export function lotsToAnnounce(lots: readonly PointLot[], now: Date, noticeDays: number): PointLot[] {
  const horizon = new Date(now.getTime() + noticeDays * DAY_MS).toISOString();
  const current = now.toISOString();
  return lots.filter(
    (lot) => lot.expiresAt !== null && !lot.noticeSent && lot.expiresAt <= horizon && lot.expiresAt > current,
  );
}

/** Points expiring within `days` of `now`. */
export function expiringWithin(lots: readonly PointLot[], now: Date, days: number): number {
  const horizon = new Date(now.getTime() + days * DAY_MS).toISOString();
  return sumPoints(lots.filter((lot) => lot.expiresAt !== null && lot.expiresAt <= horizon));
}

export const DAY_MS = 86_400_000;

/** The expiry of points earned at `at` under a policy of `afterDays`: the UTC midnight ending that day. */
export function expiryAfter(at: Date, afterDays: number | null): string | null {
  if (afterDays === null) return null;
  const day = new Date(at.getTime() + afterDays * DAY_MS);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1)).toISOString();
}
