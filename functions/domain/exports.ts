import * as z from '../shared/zod';
import { tenantLakePrefixes } from '../declaration/lake-access';
import type { Balance, LedgerEntry, MemberProfile } from './ledger';

/**
 * Scheduled exports: the pure rules. A tenant's export names a dataset and a cadence; each run covers one window
 * `[windowStart, windowEnd)` aligned to the cadence in UTC, so a window is the same for every run that covers it
 * and its files have the same names (runs are idempotent per window). Balances and members are snapshots taken
 * when the run runs (the window names them); ledger entries are those committed inside the window.
 */

export const EXPORT_DATASETS = ['balances', 'members', 'ledger-entries'] as const;
export type ExportDataset = (typeof EXPORT_DATASETS)[number];

/** Exports one tenant may define: each runs on its own cadence and scans the tenant's data. */
export const MAX_EXPORTS_PER_TENANT = 10;
const MINUTES_PER_DAY = 1440;
export const MIN_CADENCE_MINUTES = 5;
/**
 * How long after its end a window is exported: a commit takes its time when planned and lands within the API's
 * 29 s, and the feed index behind ledger entries is eventually consistent; a minute covers both.
 */
export const EXPORT_SETTLE_MS = 60_000;
/** Missed windows of ledger entries one export catches up per tick (oldest first); the rest wait for the next. */
export const MAX_WINDOWS_PER_TICK = 12;
/** Ledger-entry windows older than this are not caught up (a week; the feed index keeps 30 days). */
export const CATCH_UP_LIMIT_MS = 7 * 86_400_000;
/** A run still `running` after this long crashed (the function's timeout is far shorter): it may be redone. */
export const STALE_RUN_MS = 15 * 60_000;
/** A file holds at most this many rows or uncompressed bytes; the rest go to the next part. */
export const PART_MAX_ROWS = 100_000;
export const PART_MAX_BYTES = 64 * 1024 * 1024;

export const exportCadence = z
  .union([
    z.enum(['hourly', 'daily']),
    z.strictObject({
      everyMinutes: z.number().check(
        z.int(),
        z.gte(MIN_CADENCE_MINUTES),
        z.lte(MINUTES_PER_DAY),
        z.refine((minutes) => MINUTES_PER_DAY % minutes === 0, {
          error: 'Must divide a day (1440 minutes), so windows align to midnight UTC: 5, 10, 15, 30, 60, 120 …',
        }),
      ),
    }),
  ])
  .check(
    z.describe('`hourly`, `daily`, or `{ everyMinutes: n }` with n from 5 to 1440 dividing a day; windows are UTC'),
  );
export type ExportCadence = z.infer<typeof exportCadence>;

export interface ExportDefinition {
  tenantId: string;
  exportId: string;
  dataset: ExportDataset;
  cadence: ExportCadence;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  /** The start of the oldest window not yet exported. */
  nextWindowStart: string;
  /** A window asked for through the API (`POST …/run`), run on the next tick. */
  requestedWindowStart?: string;
}

export type ExportRunStatus = 'running' | 'succeeded' | 'failed';

export interface ExportFile {
  key: string;
  rows: number;
  bytes: number;
}

export interface ExportRun {
  exportId: string;
  dataset: ExportDataset;
  windowStart: string;
  windowEnd: string;
  status: ExportRunStatus;
  rows: number;
  files: ExportFile[];
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** How many times the window was started (a failed or crashed run is redone under the same file names). */
  attempts: number;
}

export interface ExportWindow {
  start: number;
  end: number;
}

export const cadenceMinutes = (cadence: ExportCadence): number =>
  cadence === 'hourly' ? 60 : cadence === 'daily' ? MINUTES_PER_DAY : cadence.everyMinutes;

const cadenceMs = (cadence: ExportCadence) => cadenceMinutes(cadence) * 60_000;

/**
 * The window of the cadence that holds `atMs`. A cadence divides a day, so windows align to midnight UTC.
 * @example windowAt(Date.parse('2026-12-02T20:07:00Z'), 'hourly') // 20:00 → 21:00
 */
export function windowAt(atMs: number, cadence: ExportCadence): ExportWindow {
  const length = cadenceMs(cadence);
  const start = Math.floor(atMs / length) * length;
  return { start, end: start + length };
}

/** The latest window that ended at least the settle time ago: what `POST …/run` exports. */
export function latestDueWindow(nowMs: number, cadence: ExportCadence): ExportWindow {
  const { start } = windowAt(nowMs - EXPORT_SETTLE_MS, cadence);
  const length = cadenceMs(cadence);
  return { start: start - length, end: start };
}

/** When the window starting at `windowStartMs` becomes due: its end plus the settle time. */
export const dueAtOf = (windowStartMs: number, cadence: ExportCadence): number =>
  windowStartMs + cadenceMs(cadence) + EXPORT_SETTLE_MS;

/**
 * The windows a tick runs for an export, oldest first. Ledger entries catch up every window missed since
 * `nextWindowStart` (at most `MAX_WINDOWS_PER_TICK`, none older than `CATCH_UP_LIMIT_MS`). Balances and members are
 * snapshots, which cannot be taken of the past: only the latest due window runs and missed ones are skipped. A
 * window requested through the API runs too.
 */
export function dueWindows(definition: ExportDefinition, nowMs: number): ExportWindow[] {
  const { cadence } = definition;
  const length = cadenceMs(cadence);
  const latest = latestDueWindow(nowMs, cadence);
  const starts = new Set<number>();
  const next = Date.parse(definition.nextWindowStart);
  if (definition.enabled && next <= latest.start) {
    if (definition.dataset === 'ledger-entries') {
      const oldest = Math.max(next, catchUpFloor(nowMs, cadence));
      for (let start = oldest; start <= latest.start && starts.size < MAX_WINDOWS_PER_TICK; start += length)
        starts.add(start);
    } else starts.add(latest.start);
  }
  if (definition.requestedWindowStart) starts.add(Date.parse(definition.requestedWindowStart));
  return [...starts].sort((a, b) => a - b).map((start) => ({ start, end: start + length }));
}

/** The oldest window ledger entries still catch up. */
const catchUpFloor = (nowMs: number, cadence: ExportCadence): number =>
  windowAt(latestDueWindow(nowMs, cadence).end - CATCH_UP_LIMIT_MS, cadence).start;

/**
 * Where the schedule stands once `window` succeeded. A snapshot moves past it (missed snapshots are not taken);
 * ledger entries move only past a window that continues the schedule (or the oldest one still caught up), so a
 * requested later window never skips the windows between.
 */
export function nextWindowStartAfter(definition: ExportDefinition, window: ExportWindow, nowMs: number): string {
  const next = Date.parse(definition.nextWindowStart);
  const continues =
    definition.dataset !== 'ledger-entries' || window.start <= Math.max(next, catchUpFloor(nowMs, definition.cadence));
  return continues && window.end > next ? new Date(window.end).toISOString() : definition.nextWindowStart;
}

/** `2026-12-02T20:05:00.000Z` → `20261202T2005Z`: the window's name in object keys. */
export function compactWindow(startMs: number): string {
  const iso = new Date(startMs).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

/** The prefix of one window's files: the same for every run of the window. */
export const exportWindowPrefix = (tenantId: string, exportId: string, windowStartMs: number): string =>
  `${tenantLakePrefixes(tenantId).exports}export=${exportId}/window=${compactWindow(windowStartMs)}/`;

/** Part `n` of a window's files: `part-00000.ndjson.gz`, `part-00001.ndjson.gz` … */
export const exportPartKey = (prefix: string, part: number): string =>
  `${prefix}part-${part.toString().padStart(5, '0')}.ndjson.gz`;

/** How a member id appears in an export: the tenant's pseudonym when its lake settings say so, else itself. */
export type MemberIdOf = (memberId: string) => string;

/**
 * A member without profile data: ids, status, tier and dates only (no name, email, phone, locale, birth date or
 * segments). The external id is the tenant's own handle on the person, so it is left out when ids are pseudonymised.
 */
export function memberRow(
  profile: MemberProfile,
  balance: Balance | undefined,
  idOf: MemberIdOf,
  pseudonymised: boolean,
): Record<string, unknown> {
  return {
    memberId: idOf(profile.memberId),
    ...(pseudonymised ? {} : { externalId: profile.externalId }),
    status: profile.status,
    tierId: balance?.tierState.tierId ?? null,
    enrolledAt: profile.createdAt,
    updatedAt: profile.updatedAt ?? profile.createdAt,
    erased: profile.erasedAt !== undefined,
  };
}

/** A member's balance as of the run. */
export function balanceRow(balance: Balance, idOf: MemberIdOf): Record<string, unknown> {
  return {
    memberId: idOf(balance.memberId),
    availablePoints: balance.availablePoints,
    pendingPoints: balance.pendingPoints,
    lifetimePoints: balance.lifetimePoints,
    status: balance.status,
    tierId: balance.tierState.tierId,
    seq: balance.seq,
    updatedAt: balance.updatedAt,
  };
}

/** A ledger entry without its lots (internal bookkeeping) and the caller's idempotency key. */
export function entryRow(entry: LedgerEntry, idOf: MemberIdOf): Record<string, unknown> {
  const { lots: _lots, idempotencyKey: _key, campaign, tenantId: _tenant, memberId, ...rest } = entry;
  return { ...rest, memberId: idOf(memberId), ...(campaign ? { campaignId: campaign.campaignId } : {}) };
}
