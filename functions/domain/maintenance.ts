import { createHash } from 'node:crypto';
import * as z from '../shared/zod';
import { Problem } from '../shared/problem';
import { assertWellFormedEvent, MAINTENANCE_IMPACTS, platformMaintenanceEvents, type MaintenanceEvent } from './events';

/**
 * Platform maintenance windows: the platform team schedules one, and every active tenant is told through its own
 * outbox (so its webhook endpoints, its feed and its lake all carry the notices): `platform.maintenance.scheduled`
 * ahead of time (the window's lead time), `…started` at its start, `…completed` at its end, and `…cancelled` when a
 * window whose notice went out is called off. Pure rules only: which notice is next and when, what a notice says,
 * what tenants see; the notifier (maintenance-notifier.ts) sends them through ports.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The lead time a window gets when the request names none: three days, the usual change-notice period. */
export const DEFAULT_NOTICE_LEAD_HOURS = 72;
/** At least an hour of notice (a shorter window still gets its notice at once); at most 30 days. */
export const MIN_NOTICE_LEAD_HOURS = 1;
export const MAX_NOTICE_LEAD_HOURS = 30 * 24;
/** Longer than this is an outage plan, not a maintenance window: split it. */
export const MAX_WINDOW_HOURS = 48;
/** How far ahead a window may be scheduled. */
export const MAX_SCHEDULE_AHEAD_DAYS = 365;
/** Tenants see windows that ended (or were cancelled) up to this long ago. */
export const RECENT_WINDOW_DAYS = 30;

/** The notices of a window, in the order they go out. */
export const MAINTENANCE_PHASES = ['scheduled', 'started', 'completed', 'cancelled'] as const;
export type MaintenancePhase = (typeof MAINTENANCE_PHASES)[number];
export type MaintenanceImpact = (typeof MAINTENANCE_IMPACTS)[number];
export type MaintenanceStatus = 'scheduled' | 'in_progress' | 'completed' | 'cancelled';

export const scheduleMaintenanceRequest = z.strictObject({
  summary: z
    .string()
    .check(z.trim(), z.minLength(1), z.maxLength(200), z.describe('One line integrators see, e.g. "Database upgrade"')),
  description: z
    .optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(2000)))
    .check(z.describe('What changes and what to expect')),
  impact: z
    .enum(MAINTENANCE_IMPACTS)
    .check(z.describe('none: no visible effect; degraded: slower or partial; unavailable: the API refuses calls')),
  startsAt: z.iso.datetime().check(z.describe('Start of the window (in the future)')),
  endsAt: z.iso
    .datetime()
    .check(z.describe(`End of the window (after its start, at most ${MAX_WINDOW_HOURS} h later)`)),
  noticeLeadHours: z
    .optional(z.number().check(z.int(), z.gte(MIN_NOTICE_LEAD_HOURS), z.lte(MAX_NOTICE_LEAD_HOURS)))
    .check(
      z.describe(
        `How long before the start tenants are told (default ${DEFAULT_NOTICE_LEAD_HOURS}); ` +
          'a window scheduled inside its lead time is announced at once',
      ),
    ),
});
export type ScheduleMaintenanceRequest = z.output<typeof scheduleMaintenanceRequest>;

/** A window as stored: what was scheduled, who did it, and how far its notices have gone. */
export interface MaintenanceWindow {
  windowId: string;
  summary: string;
  description?: string;
  impact: MaintenanceImpact;
  startsAt: string;
  endsAt: string;
  noticeLeadHours: number;
  createdAt: string;
  /** The operator credential that scheduled it. */
  createdBy: string;
  /** Hash of the scheduling request: the same Idempotency-Key with another request is refused. */
  requestHash: string;
  cancelledAt?: string;
  cancelledBy?: string;
  /** Notices that reached every active tenant, with when they finished going out. */
  sent: Partial<Record<MaintenancePhase, string>>;
  /** The notice going out now, and where in the tenant list it got to (resumed from there after a crash). */
  sending?: { phase: MaintenancePhase; cursor?: string };
  /** Bumped by every change: changes are conditional on the version they were made from. */
  version: number;
}

/**
 * A new window from a checked request: starts in the future, ends after it starts, no longer than
 * `MAX_WINDOW_HOURS`, no further ahead than `MAX_SCHEDULE_AHEAD_DAYS`.
 */
export function newMaintenanceWindow(
  request: ScheduleMaintenanceRequest,
  context: { windowId: string; now: Date; createdBy: string; requestHash: string },
): MaintenanceWindow {
  const startsMs = Date.parse(request.startsAt);
  const endsMs = Date.parse(request.endsAt);
  const nowMs = context.now.getTime();
  const errors: { path: string; message: string }[] = [];
  if (startsMs <= nowMs) errors.push({ path: 'startsAt', message: 'must be in the future' });
  if (startsMs > nowMs + MAX_SCHEDULE_AHEAD_DAYS * DAY_MS) {
    errors.push({ path: 'startsAt', message: `must be within ${MAX_SCHEDULE_AHEAD_DAYS} days` });
  }
  if (endsMs <= startsMs) errors.push({ path: 'endsAt', message: 'must be after startsAt' });
  else if (endsMs - startsMs > MAX_WINDOW_HOURS * HOUR_MS) {
    errors.push({ path: 'endsAt', message: `must be at most ${MAX_WINDOW_HOURS} hours after startsAt` });
  }
  if (errors.length > 0) throw new Problem('validation_failed', 'The maintenance window is not valid', { errors });
  return {
    windowId: context.windowId,
    summary: request.summary,
    ...(request.description !== undefined ? { description: request.description } : {}),
    impact: request.impact,
    startsAt: new Date(startsMs).toISOString(),
    endsAt: new Date(endsMs).toISOString(),
    noticeLeadHours: request.noticeLeadHours ?? DEFAULT_NOTICE_LEAD_HOURS,
    createdAt: context.now.toISOString(),
    createdBy: context.createdBy,
    requestHash: context.requestHash,
    sent: {},
    version: 1,
  };
}

/**
 * The id of the window an Idempotency-Key schedules: the same key always names the same window, so a retried
 * request finds the window it made instead of scheduling (and announcing) a second one.
 */
export const maintenanceWindowId = (idempotencyKey: string) =>
  `mnt_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 26)}`;

/** When the `scheduled` notice is due: the lead time before the start, or at once when that has passed. */
export function noticeAt(window: Pick<MaintenanceWindow, 'createdAt' | 'startsAt' | 'noticeLeadHours'>): string {
  const leadStart = Date.parse(window.startsAt) - window.noticeLeadHours * HOUR_MS;
  return new Date(Math.max(Date.parse(window.createdAt), leadStart)).toISOString();
}

/** When a phase's notice is due. */
export function phaseDueAt(window: MaintenanceWindow, phase: MaintenancePhase): string {
  switch (phase) {
    case 'scheduled':
      return noticeAt(window);
    case 'started':
      return window.startsAt;
    case 'completed':
      return window.endsAt;
    case 'cancelled':
      return window.cancelledAt ?? window.createdAt;
  }
}

/** Whether tenants were (or are being) told of the window: its `scheduled` notice began going out. */
export const announced = (window: MaintenanceWindow) =>
  window.sent.scheduled !== undefined || window.sending?.phase === 'scheduled';

/**
 * The window's next notice and when it is due, whatever the time now; null when it needs none any more. A notice
 * that began going out goes on to every tenant (even if the window is cancelled meanwhile), then the next: a
 * cancelled window gets `cancelled` only if its `scheduled` notice went out, and no other notice after it.
 * @example const next = nextNotice(window); if (next && next.dueAt <= now) { ...send next.phase }
 */
export function nextNotice(window: MaintenanceWindow): { phase: MaintenancePhase; dueAt: string } | null {
  const notice = (phase: MaintenancePhase) => ({ phase, dueAt: phaseDueAt(window, phase) });
  if (window.sending) return notice(window.sending.phase);
  if (window.cancelledAt !== undefined) {
    return window.sent.scheduled !== undefined && window.sent.cancelled === undefined ? notice('cancelled') : null;
  }
  const next = (['scheduled', 'started', 'completed'] as const).find((phase) => window.sent[phase] === undefined);
  return next ? notice(next) : null;
}

/** The next notice if it is due at `now`. */
export function dueNotice(window: MaintenanceWindow, now: Date): MaintenancePhase | null {
  const next = nextNotice(window);
  return next && Date.parse(next.dueAt) <= now.getTime() ? next.phase : null;
}

/** The window with `phase` going out (from the first tenant), or, with a cursor, as far as the tenant list got. */
export const sendingFrom = (
  window: MaintenanceWindow,
  phase: MaintenancePhase,
  cursor?: string,
): MaintenanceWindow => ({
  ...window,
  sending: { phase, ...(cursor !== undefined ? { cursor } : {}) },
  version: window.version + 1,
});

/** The window with `phase` sent to every tenant at `at`. */
export function phaseSent(window: MaintenanceWindow, phase: MaintenancePhase, at: Date): MaintenanceWindow {
  const { sending: _done, ...rest } = window;
  return { ...rest, sent: { ...window.sent, [phase]: at.toISOString() }, version: window.version + 1 };
}

/**
 * The window cancelled by `by` at `now`. Only before it starts and before its `started` notice went out: a window
 * in progress is over when it ends. Cancelling a cancelled window changes nothing.
 */
export function cancelled(window: MaintenanceWindow, now: Date, by: string): MaintenanceWindow {
  if (window.cancelledAt !== undefined) return window;
  const startedNotice = window.sent.started !== undefined || (window.sending && window.sending.phase !== 'scheduled');
  if (startedNotice || Date.parse(window.startsAt) <= now.getTime()) {
    throw new Problem('maintenance_window_started', `The window started at ${window.startsAt}`);
  }
  return { ...window, cancelledAt: now.toISOString(), cancelledBy: by, version: window.version + 1 };
}

/** Where a window stands at `now`, by its times (what tenants and the notices' `status` say). */
export function statusAt(window: MaintenanceWindow, now: Date): MaintenanceStatus {
  if (window.cancelledAt !== undefined) return 'cancelled';
  if (now.getTime() < Date.parse(window.startsAt)) return 'scheduled';
  return now.getTime() < Date.parse(window.endsAt) ? 'in_progress' : 'completed';
}

const PHASE_STATUS: Record<MaintenancePhase, MaintenanceStatus> = {
  scheduled: 'scheduled',
  started: 'in_progress',
  completed: 'completed',
  cancelled: 'cancelled',
};

/** What a window tells tenants: its notices' `data` and the tenant API's view. */
export function maintenanceFacts(window: MaintenanceWindow, status: MaintenanceStatus) {
  return {
    maintenanceId: window.windowId,
    summary: window.summary,
    ...(window.description !== undefined ? { description: window.description } : {}),
    impact: window.impact,
    startsAt: window.startsAt,
    endsAt: window.endsAt,
    status,
  };
}

/**
 * Whether a tenant's view lists the window at `now`: once its notice went out, until `RECENT_WINDOW_DAYS` after it
 * ended or was cancelled. A window cancelled before its notice never existed for tenants.
 */
export function visibleToTenants(window: MaintenanceWindow, now: Date): boolean {
  const over = Date.parse(window.cancelledAt ?? window.endsAt);
  return announced(window) && over >= now.getTime() - RECENT_WINDOW_DAYS * DAY_MS;
}

/**
 * The event id of a window's notice to a tenant: the same (window, phase, tenant) always gets the same id, so a
 * re-run or a run resumed after a crash writes nothing twice.
 */
export function maintenanceEventId(windowId: string, phase: MaintenancePhase, tenantId: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([windowId, phase, tenantId]))
    .digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

/**
 * A window's notice to one tenant, checked against its schema.
 * @example maintenanceEvent(window, 'started', 'acme', now, runId)
 */
export function maintenanceEvent(
  window: MaintenanceWindow,
  phase: MaintenancePhase,
  tenantId: string,
  now: Date,
  correlationId?: string,
): MaintenanceEvent {
  const event = platformMaintenanceEvents[phase].parse({
    id: maintenanceEventId(window.windowId, phase, tenantId),
    version: 1,
    tenantId,
    occurredAt: now.toISOString(),
    ...(correlationId !== undefined ? { correlationId } : {}),
    type: `platform.maintenance.${phase}`,
    data: maintenanceFacts(window, PHASE_STATUS[phase]),
  });
  assertWellFormedEvent(event);
  return event;
}
