import type { Clock } from '../shared/clock';
import { logger } from '../shared/logger';
import type { ImportRowApplier, ImportRowOutcome } from './import-rows';
import {
  chunkRowLimit,
  IMPORT_CHUNK_BYTES,
  IMPORT_CONCURRENCY,
  IMPORT_MAX_LINE_BYTES,
  IMPORT_ROW_ATTEMPTS,
  IMPORT_STEP_ATTEMPTS,
  IMPORT_STEP_BUDGET_MS,
  importReportKey,
  importReportPartKey,
  isRunnable,
  smoothedRate,
  stepAction,
  type ImportAction,
  type ImportCounts,
  type ImportJob,
  type ImportStepMessage,
} from './imports';
import { splitLines, type SplitRow } from './imports-lines';
import { applyInKeyOrder, orderKeyOf, RowPacer, withRetries } from './imports-scheduler';

/** What one chunk recorded: the job moves from `from` to `offset` only if it is still at `from` in `step`. */
export interface ChunkProgress {
  step: number;
  from: number;
  offset: number;
  line: number;
  skipping: boolean;
  added: ImportCounts;
  errorParts: number;
  recentRowsPerSecond: number;
  at: string;
}

/** The import job records (adapters/dynamo-import-store.ts). */
export interface ImportStore {
  /** Records a new job; with `claim`, its Idempotency-Key too (refused with `idempotency_key_reused` if taken). */
  create(job: ImportJob, claim?: { key: string; requestHash: string }): Promise<void>;
  /** The job an Idempotency-Key made, with the request's hash. */
  claimed(tenantId: string, key: string): Promise<{ importId: string; requestHash: string } | null>;
  get(tenantId: string, importId: string): Promise<ImportJob | null>;
  list(
    tenantId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: ImportJob[]; nextCursor?: string }>;
  /** Takes an action (its `from` statuses the condition); null when the job was in none of them. */
  move(
    tenantId: string,
    importId: string,
    action: ImportAction,
    at: string,
    extra?: { objectBytes?: number },
  ): Promise<ImportJob | null>;
  /** Marks the job running for `step`; false when it is no longer queued or running at that step. */
  beginStep(tenantId: string, importId: string, step: number, at: string): Promise<boolean>;
  /** Records a chunk; false when the job is no longer at `progress.from` in `progress.step` (a copy won). */
  checkpoint(tenantId: string, importId: string, progress: ChunkProgress): Promise<boolean>;
  /** Moves the job from `step` to `step + 1`; false when it is not at `step` or no longer runnable. */
  advanceStep(tenantId: string, importId: string, step: number, at: string): Promise<boolean>;
  /** Notes that the message of `step` was sent. */
  markChained(tenantId: string, importId: string, step: number): Promise<void>;
  /** Ends a runnable job (`completed` or `failed`), or notes the report of a cancelled one. */
  finish(
    tenantId: string,
    importId: string,
    end: { status: 'completed' | 'failed' | 'cancelled'; at: string; reportKey?: string; error?: string },
  ): Promise<boolean>;
}

/** The imports bucket (adapters/s3-import-objects.ts). */
export interface ImportObjects {
  uploadUrl(key: string, expiresInSeconds: number): Promise<{ url: string; headers: Record<string, string> }>;
  downloadUrl(key: string, expiresInSeconds: number): Promise<string>;
  /** The object's size in bytes, or undefined when there is none. */
  size(key: string): Promise<number | undefined>;
  /** `length` bytes from `offset` (fewer at the object's end). */
  read(key: string, offset: number, length: number): Promise<Uint8Array>;
  put(key: string, body: string): Promise<void>;
  get(key: string): Promise<string>;
}

/** The step queue: one message per step. */
export interface ImportQueue {
  schedule(message: ImportStepMessage, delaySeconds: number): Promise<void>;
}

/** One holder at a time per job (adapters/job-lease.ts). */
export interface ImportLease {
  acquire(job: string, holder: string, nowMs: number, untilMs: number): Promise<boolean>;
  release(job: string, holder: string): Promise<void>;
}

/** A line of the error report. */
export interface ReportLine {
  line: number;
  code: string;
  message: string;
}

/** How long a step holds its job's lease: the runner function's timeout, so a crashed step frees it. */
const LEASE_MS = 120_000;
/** A step message that finds the lease held comes back after this long. */
const LEASE_BUSY_DELAY_SECONDS = 15;

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Runs import steps. A step holds the job's lease, then reads the object chunk by chunk from the checkpointed offset
 * (a ranged read), applies the chunk's rows through the row applier (in member order, at the job's rate), writes the
 * chunk's error lines as a report part, and checkpoints; it looks at the job before each chunk (a pause or cancel
 * stops it there) and stops starting chunks after its budget, then chains the next step. A redelivered message finds
 * the job moved on and does nothing, so nothing is counted twice.
 */
export class ImportRunner {
  constructor(
    private readonly store: ImportStore,
    private readonly objects: ImportObjects,
    private readonly queue: ImportQueue,
    private readonly lease: ImportLease,
    private readonly applyRow: ImportRowApplier,
    private readonly clock: Clock,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
    private readonly budgetMs: number = IMPORT_STEP_BUDGET_MS,
  ) {}

  async run(message: ImportStepMessage, receiveCount: number, holder: string): Promise<void> {
    const job = await this.store.get(message.tenantId, message.importId);
    const action = stepAction(job, message, this.clock.now().getTime());
    if (action === 'drop' || !job) return;
    if (action === 'rechain') {
      logger.warn('Import chain resumed after a stop', { importId: job.importId, step: job.step });
      await this.chain(job, job.step);
      return;
    }
    const leaseName = `import#${job.tenantId}#${job.importId}`;
    const nowMs = this.clock.now().getTime();
    if (!(await this.lease.acquire(leaseName, holder, nowMs, nowMs + LEASE_MS))) {
      // Another step of the job is still running (a resume soon after a pause): look again shortly.
      await this.queue.schedule(message, LEASE_BUSY_DELAY_SECONDS);
      return;
    }
    let advanced = false;
    try {
      if (!(await this.store.beginStep(job.tenantId, job.importId, message.step, this.now()))) return;
      advanced = await this.runStep(job, message.step);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (receiveCount < IMPORT_STEP_ATTEMPTS) throw error;
      logger.error('Import failed', { importId: job.importId, step: message.step, reason });
      await this.store.finish(job.tenantId, job.importId, { status: 'failed', at: this.now(), error: reason });
    } finally {
      await this.lease.release(leaseName, holder);
    }
    // After the release: the next step's message may be received at once, and must find the lease free.
    if (advanced) await this.chain(job, message.step + 1);
  }

  /** Runs a step's chunks; true when it spent its budget and moved the job to the next step (to be chained). */
  private async runStep(start: ImportJob, step: number): Promise<boolean> {
    const startedMs = this.clock.now().getTime();
    let job = start;
    // One bucket for the whole step: the job's rate holds across its chunks (a step starts with a second's burst).
    const pacer = new RowPacer(job.rowsPerSecond, () => this.clock.now().getTime(), this.sleep);
    // A step always runs one chunk at least, so a chain always moves on.
    for (let chunks = 0; ; chunks++) {
      const current = await this.store.get(job.tenantId, job.importId);
      if (!current || current.step !== step) return false;
      job = current;
      if (!isRunnable(job.status)) {
        // Paused: the checkpoint holds; resume sends this step again. Cancelled: the report of what was done.
        if (job.status === 'cancelled') await this.end(job, 'cancelled');
        return false;
      }
      const size = job.objectBytes ?? 0;
      if (job.offset >= size) {
        await this.end(job, 'completed');
        return false;
      }
      if (chunks > 0 && this.clock.now().getTime() - startedMs >= this.budgetMs) break;
      if (!(await this.runChunk(job, size, pacer))) return false;
    }
    return this.store.advanceStep(job.tenantId, job.importId, step, this.now());
  }

  /** Reads, applies, reports and checkpoints one chunk; false when another copy recorded it first. */
  private async runChunk(job: ImportJob, size: number, pacer: RowPacer): Promise<boolean> {
    const chunkStartMs = this.clock.now().getTime();
    const maxRows = chunkRowLimit(job.rowsPerSecond, job.recentRowsPerSecond);
    const length = Math.min(readLength(job, maxRows), size - job.offset);
    const bytes = await this.objects.read(job.objectKey, job.offset, length);
    const final = job.offset + bytes.length >= size;
    const split = splitLines({ bytes, line: job.line, skipping: job.skipping, final, maxRows });
    if (split.consumed === 0 && !final) throw new Error(`No progress at byte ${job.offset} of ${job.objectKey}`);
    const outcomes = await this.applyRows(job, split.rows, pacer);
    const added: ImportCounts = { applied: 0, unchanged: 0, rejected: 0 };
    const report: ReportLine[] = [];
    split.rows.forEach((row, index) => {
      if (row.kind === 'error') {
        added.rejected += 1;
        report.push({ line: row.line, code: row.code, message: row.message });
        return;
      }
      const outcome = outcomes[index] as ImportRowOutcome;
      added[outcome.outcome] += 1;
      if (outcome.outcome === 'rejected') report.push({ line: row.line, code: outcome.code, message: outcome.message });
    });
    let errorParts = job.errorParts;
    if (report.length > 0) {
      errorParts += 1;
      // Numbered by the checkpoint's count: a chunk tried again rewrites its own part.
      const body = report.map((entry) => `${JSON.stringify(entry)}\n`).join('');
      await this.objects.put(importReportPartKey(job.objectKey, errorParts), body);
    }
    const rows = split.rows.length;
    const elapsedMs = this.clock.now().getTime() - chunkStartMs;
    return this.store.checkpoint(job.tenantId, job.importId, {
      step: job.step,
      from: job.offset,
      offset: job.offset + split.consumed,
      line: split.line,
      skipping: split.skipping,
      added,
      errorParts,
      recentRowsPerSecond: Number(smoothedRate(job.recentRowsPerSecond, rows, elapsedMs).toFixed(1)),
      at: this.now(),
    });
  }

  /** The rows' outcomes (undefined for the splitter's errors), in member order at the job's rate. */
  private applyRows(job: ImportJob, rows: SplitRow[], pacer: RowPacer): Promise<(ImportRowOutcome | undefined)[]> {
    return applyInKeyOrder(
      rows,
      (row) => (row.kind === 'row' ? orderKeyOf(row.value, row.line) : `line:${row.line}`),
      IMPORT_CONCURRENCY,
      async (row) => {
        if (row.kind === 'error') return undefined;
        await pacer.take();
        const source = { importId: job.importId, line: row.line };
        return withRetries(() => this.applyRow(job.tenantId, row.value, source), IMPORT_ROW_ATTEMPTS, this.sleep);
      },
    );
  }

  /** Composes the report from its parts (in order) when there are any, and ends the job. */
  private async end(job: ImportJob, status: 'completed' | 'cancelled'): Promise<void> {
    let reportKey: string | undefined;
    if (job.errorParts > 0) {
      const parts: string[] = [];
      for (let part = 1; part <= job.errorParts; part++)
        parts.push(await this.objects.get(importReportPartKey(job.objectKey, part)));
      reportKey = importReportKey(job.objectKey);
      await this.objects.put(reportKey, parts.join(''));
    }
    if (status === 'cancelled' && !reportKey) return;
    await this.store.finish(job.tenantId, job.importId, {
      status,
      at: this.now(),
      ...(reportKey ? { reportKey } : {}),
    });
  }

  private async chain(job: ImportJob, step: number): Promise<void> {
    await this.queue.schedule({ tenantId: job.tenantId, importId: job.importId, step }, 0);
    await this.store.markChained(job.tenantId, job.importId, step);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

/**
 * Bytes a chunk reads: about twice what `maxRows` lines took so far, never less than two line caps (so a line that
 * starts the read either ends in it or is too long) nor more than `IMPORT_CHUNK_BYTES`.
 */
function readLength(job: Pick<ImportJob, 'offset' | 'line'>, maxRows: number): number {
  const bytesPerLine = job.line > 0 ? job.offset / job.line : 512;
  return Math.min(IMPORT_CHUNK_BYTES, Math.max(2 * IMPORT_MAX_LINE_BYTES + 2, Math.ceil(2 * maxRows * bytesPerLine)));
}
