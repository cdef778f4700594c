import { Problem } from '../../shared/problem';
import { MAX_WAIT_SECONDS } from './delivery-policy';

/**
 * Integrators' maintenance windows: a tenant declares that one of its endpoints is down for
 * maintenance from `startsAt` to `endsAt`. Deliveries to it then wait on the queue without an
 * attempt (no retry spent, the breaker neither tripped nor probed, the time not counted towards
 * disabling) and drain in order, per member, when the window ends. Pure rules only: the windows
 * are stored on the endpoint's item (the delivery function reads it anyway) and the delivery
 * service applies these.
 *
 * Bounds keep a held message inside the queue's limits: a window lasts at most 48 h and two
 * windows of an endpoint are at least a day apart, so a message waits at most 48 h for windows
 * before its endpoint gets a day to drain it (SQS keeps messages 14 days, the waiting alarm fires
 * at 6 days). At most 5 windows not yet ended, none starting more than 90 days ahead.
 */

export interface EndpointMaintenanceWindow {
  windowId: string;
  startsAt: string;
  endsAt: string;
  reason?: string;
  createdAt: string;
}

export const MAX_WINDOW_HOURS = 48;
export const MIN_WINDOW_GAP_HOURS = 24;
export const MAX_UPCOMING_WINDOWS = 5;
export const MAX_WINDOW_LEAD_DAYS = 90;
/** Ended windows are kept this long (the queue's retention): a held message's receives are excused by them. */
export const ENDED_WINDOW_KEPT_DAYS = 14;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The window in force at `now`, if any. */
export function activeWindow(
  windows: readonly EndpointMaintenanceWindow[] | undefined,
  now: Date,
): EndpointMaintenanceWindow | undefined {
  const at = now.getTime();
  return windows?.find((w) => Date.parse(w.startsAt) <= at && at < Date.parse(w.endsAt));
}

/** How long a message met during `window` waits: until it ends (whole seconds, one visibility change at most). */
export function windowWaitSeconds(window: EndpointMaintenanceWindow, now: Date): number {
  return Math.min(MAX_WAIT_SECONDS, Math.max(1, Math.ceil((Date.parse(window.endsAt) - now.getTime()) / 1000)));
}

/**
 * The milliseconds of `[fromMs, toMs)` that fall inside the endpoint's windows (windows never
 * overlap). Failing time inside a window does not count towards disabling the endpoint.
 */
export function windowTimeBetween(
  windows: readonly EndpointMaintenanceWindow[] | undefined,
  fromMs: number,
  toMs: number,
): number {
  return (windows ?? []).reduce((sum, w) => {
    const overlap = Math.min(toMs, Date.parse(w.endsAt)) - Math.max(fromMs, Date.parse(w.startsAt));
    return sum + Math.max(0, overlap);
  }, 0);
}

/**
 * Receives a message may have spent waiting out windows since it was queued: each receive inside
 * a window waits until its end, at most 12 h at a time, so a window of length L costs at most
 * ⌈L / 12 h⌉ + 1 receives. These are taken off the queue's receive count before the receive limit
 * and the waiting floor apply, so a window spends none of a message's receives. Without the
 * queue's sent time every window still kept counts (an upper bound, never a lower one).
 */
export function windowReceives(
  windows: readonly EndpointMaintenanceWindow[] | undefined,
  sentAtMs: number | undefined,
  now: Date,
): number {
  const from = sentAtMs ?? 0;
  return (windows ?? []).reduce((sum, w) => {
    const overlap = windowTimeBetween([w], from, now.getTime());
    return overlap > 0 ? sum + Math.ceil(overlap / (MAX_WAIT_SECONDS * 1000)) + 1 : sum;
  }, 0);
}

/** The windows worth keeping at `now`: those not ended, and ended ones within the queue's retention. */
export function keptWindows(windows: readonly EndpointMaintenanceWindow[], now: Date): EndpointMaintenanceWindow[] {
  const horizon = now.getTime() - ENDED_WINDOW_KEPT_DAYS * DAY_MS;
  return windows
    .filter((w) => Date.parse(w.endsAt) > horizon)
    .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
}

/**
 * Checks a new window against the endpoint's windows and the bounds; returns the windows to
 * store (sorted, long-ended ones dropped) or throws a `validation_failed` / `limit_exceeded` problem.
 * @example addWindow(endpoint.maintenanceWindows ?? [], { windowId, startsAt, endsAt, createdAt }, now)
 */
export function addWindow(
  existing: readonly EndpointMaintenanceWindow[],
  window: EndpointMaintenanceWindow,
  now: Date,
): EndpointMaintenanceWindow[] {
  const starts = Date.parse(window.startsAt);
  const ends = Date.parse(window.endsAt);
  const invalid = (path: string, message: string) =>
    new Problem('validation_failed', message, { errors: [{ path, message }] });
  if (!(ends > starts)) throw invalid('endsAt', 'endsAt must be after startsAt');
  if (ends <= now.getTime()) throw invalid('endsAt', 'endsAt must be in the future');
  if (ends - starts > MAX_WINDOW_HOURS * HOUR_MS)
    throw invalid('endsAt', `A maintenance window lasts at most ${MAX_WINDOW_HOURS} hours`);
  if (starts > now.getTime() + MAX_WINDOW_LEAD_DAYS * DAY_MS)
    throw invalid('startsAt', `A maintenance window starts at most ${MAX_WINDOW_LEAD_DAYS} days ahead`);
  const kept = keptWindows(existing, now);
  const gap = MIN_WINDOW_GAP_HOURS * HOUR_MS;
  const clash = kept.find((w) => starts < Date.parse(w.endsAt) + gap && Date.parse(w.startsAt) < ends + gap);
  if (clash)
    throw invalid(
      'startsAt',
      `Windows of an endpoint are at least ${MIN_WINDOW_GAP_HOURS} hours apart (clashes with ${clash.windowId})`,
    );
  if (kept.filter((w) => Date.parse(w.endsAt) > now.getTime()).length >= MAX_UPCOMING_WINDOWS)
    throw new Problem('limit_exceeded', `An endpoint has at most ${MAX_UPCOMING_WINDOWS} windows not yet ended`);
  return keptWindows([...kept, window], now);
}
