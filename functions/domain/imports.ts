import * as z from '../shared/zod';
import { Problem } from '../shared/problem';

/**
 * Import jobs (historical loads for onboarding, docs/decisions/0016-import-jobs.md): a tenant uploads an NDJSON file
 * to the imports bucket through a presigned URL, starts the job, and a chain of steps applies its rows at the job's
 * rate, checkpointing after each chunk. The rules here are pure: the states and their moves, the keys of the job's
 * objects, how much one chunk and one step do, and the progress figures (rate, ETA).
 */

export const IMPORT_STATUSES = [
  'awaiting_upload',
  'queued',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** What a caller (or the runner) may do to a job. */
export type ImportAction = 'start' | 'pause' | 'resume' | 'cancel';

/** Rows per second when the request names none. */
export const IMPORT_DEFAULT_RATE = 100;
/** The platform's maximum, unless the stage sets `IMPORT_MAX_ROWS_PER_SECOND` lower or higher. */
export const IMPORT_MAX_RATE = 1_000;
/** The largest input file a job takes. */
export const IMPORT_MAX_BYTES = 1024 ** 3;
/** How long an upload URL (and a report URL) is valid. */
export const IMPORT_URL_SECONDS = 15 * 60;
/** Lines longer than this (bytes, line end excluded) are reported `line_too_long`, never parsed. */
export const IMPORT_MAX_LINE_BYTES = 64 * 1024;
/** Bytes one chunk reads from the object (a ranged GET); always more than a line may be. */
export const IMPORT_CHUNK_BYTES = 1024 * 1024;
/** A step stops starting chunks after this long (the runner function's timeout is 120 s). */
export const IMPORT_STEP_BUDGET_MS = 45_000;
/** Rows applied at once (different members; one member's rows always one after another). */
export const IMPORT_CONCURRENCY = 8;
/** Tries per step before the job is marked failed (it can be resumed from its checkpoint). */
export const IMPORT_STEP_ATTEMPTS = 4;
/** A row that throws (the platform's failure) is tried this often in a chunk, with backoff, before the step fails. */
export const IMPORT_ROW_ATTEMPTS = 5;
/** Jobs and their objects are kept this long (the bucket's lifecycle and the records' TTL): data minimisation. */
export const IMPORT_RETENTION_DAYS = 14;
/** A step message whose job was recorded as chained for a later step but not sent waits this long before resending. */
export const IMPORT_RECHAIN_AFTER_MS = 180_000;

export const importRequest = z.strictObject({
  rowsPerSecond: z
    .optional(z.number().check(z.int(), z.gte(1)))
    .check(z.describe(`Rows applied per second at most (default ${IMPORT_DEFAULT_RATE}; the platform caps it)`)),
});
export type ImportRequest = z.output<typeof importRequest>;

/** Rows counted by what applying them did; `rejected` rows (and unparseable lines) are in the error report. */
export interface ImportCounts {
  applied: number;
  unchanged: number;
  rejected: number;
}

/** An import job as stored. */
export interface ImportJob {
  importId: string;
  tenantId: string;
  status: ImportStatus;
  rowsPerSecond: number;
  /** The input object's key (`imports/<tenant>/<importId>/input.ndjson`). */
  objectKey: string;
  /** Its size, known once started. */
  objectBytes?: number;
  /** Bytes consumed: the next chunk reads from here. */
  offset: number;
  /** Lines consumed (blank ones included): the next line's number is `line + 1`. */
  line: number;
  /** The last chunk ended inside a line longer than the cap: the next chunk skips to its end. */
  skipping: boolean;
  counts: ImportCounts;
  /** Error report parts written so far (one per chunk that had errors), composed at the end. */
  errorParts: number;
  /** Rows per second over the last chunks (smoothed). */
  recentRowsPerSecond: number;
  /** The step the next message must carry; `chainedStep`: the last step whose message was sent. */
  step: number;
  chainedStep: number;
  /** Set once the job ended with an error report (rejected rows or unparseable lines). */
  reportKey?: string;
  requestedBy: { credentialId: string };
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  errors: string[];
}

/** The message that runs one step. */
export interface ImportStepMessage {
  tenantId: string;
  importId: string;
  step: number;
}

/** The input's key: built from the authenticated tenant and the job only, never from anything the caller sends. */
export const importObjectKey = (tenantId: string, importId: string) => `imports/${tenantId}/${importId}/input.ndjson`;
export const importReportKey = (objectKey: string) => `${objectKey}.errors.ndjson`;
/** A part of the error report: one per chunk with errors, numbered in order (a retried chunk rewrites its own). */
export const importReportPartKey = (objectKey: string, part: number) =>
  `${objectKey}.errors/part-${String(part).padStart(6, '0')}.ndjson`;

const MOVES: Record<ImportAction, { from: readonly ImportStatus[]; to: ImportStatus }> = {
  start: { from: ['awaiting_upload'], to: 'queued' },
  pause: { from: ['queued', 'running'], to: 'paused' },
  // A failed job resumes from its checkpoint, as a paused one does.
  resume: { from: ['paused', 'failed'], to: 'queued' },
  cancel: { from: ['awaiting_upload', 'queued', 'running', 'paused'], to: 'cancelled' },
};

/** The statuses an action may be taken from (the store's condition), and the one it moves to. */
export const movableFrom = (action: ImportAction) => MOVES[action].from;
export const movedTo = (action: ImportAction) => MOVES[action].to;

/**
 * The status an action moves a job to, or `import_state_conflict` naming the status it is in.
 * @example nextStatus('running', 'pause') // 'paused'
 */
export function nextStatus(status: ImportStatus, action: ImportAction): ImportStatus {
  const move = MOVES[action];
  if (!move.from.includes(status))
    throw new Problem('import_state_conflict', `An import that is ${status} cannot be asked to ${action}`);
  return move.to;
}

export const isFinished = (status: ImportStatus) =>
  status === 'completed' || status === 'failed' || status === 'cancelled';
/** A step does work only while the job is queued or running. */
export const isRunnable = (status: ImportStatus) => status === 'queued' || status === 'running';

/** The rate a request may have: its own, else the default, never above the platform's maximum. */
export function boundedRate(requested: number | undefined, maxRate: number): number {
  const rate = requested ?? IMPORT_DEFAULT_RATE;
  if (rate > maxRate)
    throw new Problem('validation_failed', `rowsPerSecond must be at most ${maxRate}`, {
      errors: [{ path: 'rowsPerSecond', message: `must be at most ${maxRate} (the platform's maximum)` }],
    });
  return Math.min(rate, maxRate);
}

/**
 * Rows one chunk may take: about two seconds' worth at the job's rate or, when the job is slower than its rate,
 * about five seconds' worth at the rate it reaches (the first chunk guesses 10 per second), so progress moves, a
 * pause or cancel is seen within seconds, a checkpoint loses little and a chunk's fixed costs (reading the job and
 * the object, the checkpoint, its slowest member) are spread over enough rows; at least 20 and at most 2,000.
 */
export const chunkRowLimit = (rowsPerSecond: number, recentRowsPerSecond = 0) =>
  Math.min(2_000, Math.max(20, Math.round(Math.min(rowsPerSecond * 2, (recentRowsPerSecond || 10) * 5))));

/** Exponentially smoothed rows per second: the chunk's own rate weighs a third. */
export function smoothedRate(previous: number, rows: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return previous;
  const rate = (rows * 1000) / elapsedMs;
  return previous > 0 ? (previous * 2 + rate) / 3 : rate;
}

export const totalRows = (counts: ImportCounts) => counts.applied + counts.unchanged + counts.rejected;

/**
 * Seconds left, from the bytes still to read at the bytes per row seen so far and the recent row rate; undefined
 * until there is a rate and a size to go on.
 * @example etaSeconds({ objectBytes: 1000, offset: 500, line: 5, recentRowsPerSecond: 1 }) // 5
 */
export function etaSeconds(job: Pick<ImportJob, 'objectBytes' | 'offset' | 'line' | 'recentRowsPerSecond'>) {
  if (job.objectBytes === undefined) return undefined;
  if (job.offset >= job.objectBytes) return 0;
  if (job.line === 0 || job.recentRowsPerSecond <= 0) return undefined;
  const bytesPerLine = job.offset / job.line;
  const linesLeft = (job.objectBytes - job.offset) / bytesPerLine;
  return Math.ceil(linesLeft / job.recentRowsPerSecond);
}

/**
 * What a step message does with the job it finds: run its step; send again the message of the step just recorded
 * when the function that recorded it evidently stopped before sending it; or nothing (paused, finished, a copy).
 */
export function stepAction(job: ImportJob | null, message: ImportStepMessage, nowMs: number) {
  if (!job || !isRunnable(job.status)) return 'drop' as const;
  if (job.step === message.step) return 'run' as const;
  const unchained = job.step === message.step + 1 && job.chainedStep < job.step;
  const quiet = nowMs - new Date(job.updatedAt).getTime() >= IMPORT_RECHAIN_AFTER_MS;
  return unchained && quiet ? ('rechain' as const) : ('drop' as const);
}

/** The summary a finished job states: a re-run of a file already applied "changed nothing". */
export function importSummary(job: Pick<ImportJob, 'status' | 'counts'>): string {
  const { applied, unchanged, rejected } = job.counts;
  const rows = `${applied} applied, ${unchanged} unchanged, ${rejected} rejected`;
  if (job.status !== 'completed') return `${job.status}: ${rows}`;
  if (applied === 0 && rejected === 0 && unchanged > 0) return `changed nothing: all ${unchanged} rows unchanged`;
  if (applied === 0 && rejected === 0) return 'changed nothing: the file had no rows';
  return `completed: ${rows}`;
}
