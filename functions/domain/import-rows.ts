import { createHash } from 'node:crypto';
import * as z from '../shared/zod';
import { NOT_WELL_FORMED, illFormedPaths } from '../shared/well-formed';
import { HISTORY_KINDS, type HistoryCommand } from './history';
import type { OpeningBalanceCommand } from './opening-balance';

/**
 * Historical loads for onboarding: the seam between an import job (which reads an NDJSON file line by line, at a
 * rate, with checkpoints, progress and an error report) and what one row does to the ledger. The job knows nothing
 * of rows beyond their line; the row applier knows nothing of files, rates or jobs.
 */

/** What applying one row did: recorded ("applied"), already there from an earlier run ("unchanged"), or refused. */
export type ImportRowOutcome =
  | { outcome: 'applied'; memberId: string }
  | { outcome: 'unchanged'; memberId: string }
  | { outcome: 'rejected'; code: string; message: string };

/** Where a row comes from: its job and its 1-based line number in the input file. */
export interface ImportRowSource {
  importId: string;
  line: number;
}

/**
 * Applies one parsed NDJSON row (any JSON value: the applier validates it) for a tenant. A row's own fault (bad
 * shape, unknown member, business rule) is a `rejected` outcome with a stable problem code, written to the error
 * report; a platform failure throws, and the job retries the row. Applying the same row again answers `unchanged`
 * and changes nothing, whichever job applies it.
 */
export type ImportRowApplier = (tenantId: string, row: unknown, source: ImportRowSource) => Promise<ImportRowOutcome>;

export const IMPORT_ROW_TYPES = ['member', 'opening_balance', 'transaction'] as const;
export type ImportRowType = (typeof IMPORT_ROW_TYPES)[number];

/** At most this many points in one lot, line or total: far beyond any programme, far below unsafe integers. */
export const MAX_IMPORT_POINTS = 1_000_000_000_000;
export const MAX_OPENING_LOTS = 100;

/** An instant with its offset (`Z` or `±hh:mm`), as the file states it. */
const instant = z.iso.datetime({ offset: true });
const rowExternalId = z.string().check(z.minLength(1), z.maxLength(256));
const points = z.number().check(z.int(), z.positive(), z.lte(MAX_IMPORT_POINTS));
const count = z.number().check(z.int(), z.gte(0), z.lte(MAX_IMPORT_POINTS));

export const openingBalanceRow = z
  .strictObject({
    type: z.literal('opening_balance'),
    externalId: rowExternalId,
    asOf: instant,
    lots: z
      .array(z.strictObject({ points, expiresAt: z.optional(z.nullable(instant)) }))
      .check(z.maxLength(MAX_OPENING_LOTS)),
    lifetimePoints: z.optional(count),
    qualifyingPoints: z.optional(count),
    tier: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
  })
  .check(
    z.superRefine((row, ctx) => {
      const lotsPoints = row.lots.reduce((sum, lot) => sum + lot.points, 0);
      if (lotsPoints > MAX_IMPORT_POINTS)
        ctx.addIssue({
          code: 'custom',
          message: `the lots hold more than ${MAX_IMPORT_POINTS} points`,
          path: ['lots'],
        });
      if (row.lifetimePoints !== undefined && row.lifetimePoints < lotsPoints)
        ctx.addIssue({
          code: 'custom',
          message: `must be at least the lots' ${lotsPoints} points`,
          path: ['lifetimePoints'],
        });
    }),
  );

export const transactionRow = z
  .strictObject({
    type: z.literal('transaction'),
    externalId: rowExternalId,
    transactionId: z.string().check(z.minLength(1), z.maxLength(128)),
    occurredAt: instant,
    kind: z.enum(HISTORY_KINDS),
    points,
    direction: z.optional(z.enum(['credit', 'debit'])),
    description: z.optional(z.string().check(z.maxLength(500))),
    source: z.optional(z.string().check(z.maxLength(64))),
  })
  .check(
    z.superRefine((row, ctx) => {
      if (row.direction !== undefined && row.kind !== 'adjust')
        ctx.addIssue({ code: 'custom', message: 'only an adjust line has a direction', path: ['direction'] });
    }),
  );

/** A row's fault: the message names the field (`lots[1].expiresAt: …`). */
export interface RowFault {
  message: string;
}

/** `lots.1.points` as `lots[1].points`. */
const fieldPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((text, step) => {
    if (typeof step === 'number') return `${text}[${step}]`;
    return text ? `${text}.${String(step)}` : String(step);
  }, '');

/** Parses a row by a schema; a fault names every field that failed. */
export function parseRow<S extends z.ZodMiniType>(schema: S, row: unknown): z.output<S> | RowFault {
  const illFormed = illFormedPaths(row);
  if (illFormed.length > 0) return { message: illFormed.map((path) => `${path}: text ${NOT_WELL_FORMED}`).join('; ') };
  const parsed = schema.safeParse(row);
  if (parsed.success) return parsed.data;
  return {
    message: parsed.error.issues.map((issue) => `${fieldPath(issue.path) || '(row)'}: ${issue.message}`).join('; '),
  };
}

export const isFault = (value: unknown): value is RowFault =>
  typeof value === 'object' && value !== null && Object.keys(value).length === 1 && 'message' in value;

/** The row's type, or a fault naming `type`. */
export function rowType(row: unknown): ImportRowType | RowFault {
  const type = typeof row === 'object' && row !== null && !Array.isArray(row) ? (row as { type?: unknown }).type : null;
  if (typeof type === 'string' && (IMPORT_ROW_TYPES as readonly string[]).includes(type)) return type as ImportRowType;
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return { message: '(row): must be a JSON object' };
  return { message: `type: must be one of ${IMPORT_ROW_TYPES.join(', ')}` };
}

/** The instant in UTC (`2019-04-01T10:00:00.000Z`), or a fault naming `field` when it lies after `now`. */
export function pastInstant(value: string, field: string, now: Date): string | RowFault {
  const utc = new Date(value).toISOString();
  return utc > now.toISOString() ? { message: `${field}: must not be in the future` } : utc;
}

/** The opening balance a parsed row states, its instants in UTC; a fault for an `asOf` in the future. */
export function openingBalanceOf(
  row: z.output<typeof openingBalanceRow>,
  now: Date,
  importId?: string,
): Omit<OpeningBalanceCommand, 'idempotencyKey'> | RowFault {
  const asOf = pastInstant(row.asOf, 'asOf', now);
  if (isFault(asOf)) return asOf;
  return {
    asOf,
    lots: row.lots.map((lot) => ({
      points: lot.points,
      expiresAt: lot.expiresAt == null ? null : new Date(lot.expiresAt).toISOString(),
    })),
    ...(row.lifetimePoints !== undefined ? { lifetimePoints: row.lifetimePoints } : {}),
    ...(row.qualifyingPoints !== undefined ? { qualifyingPoints: row.qualifyingPoints } : {}),
    ...(row.tier !== undefined ? { tierId: row.tier } : {}),
    ...(importId !== undefined ? { importId } : {}),
  };
}

/** The history line a parsed row states, its original instant in UTC; a fault for one in the future. */
export function historyOf(
  row: z.output<typeof transactionRow>,
  now: Date,
  importId?: string,
): HistoryCommand | RowFault {
  const occurredAt = pastInstant(row.occurredAt, 'occurredAt', now);
  if (isFault(occurredAt)) return occurredAt;
  const { type: _type, externalId: _externalId, ...line } = row;
  return { ...line, occurredAt, ...(importId !== undefined ? { importId } : {}) };
}

/** JSON with object keys sorted at every level: the same content gives the same text whatever the key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${fields.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The hash of a row's content for a tenant (key order does not matter): what a row's idempotency is bound to. */
export const rowHash = (tenantId: string, row: unknown): string => sha256(canonicalJson([tenantId, row]));

/**
 * The Idempotency-Key each row is applied under. A member row: its content (the same row replays; another row for
 * the same external id finds the member enrolled). An opening balance: its member (one per member; another row is
 * refused). A history line: its member and transaction id (one per pair; another row is refused). Each key is bound
 * to the row's hash, so the same key with another row is `idempotency_key_reused`.
 */
export const importKeys = {
  member: (hash: string) => `import-member-${hash}`,
  openingBalance: (memberId: string) => `import-opening-balance-${memberId}`,
  history: (memberId: string, transactionId: string) => `import-history-${sha256(`${memberId}\n${transactionId}`)}`,
};
