import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import type { IdempotencyContext } from './idempotency';
import {
  boundedRate,
  IMPORT_MAX_BYTES,
  IMPORT_URL_SECONDS,
  importObjectKey,
  nextStatus,
  type ImportAction,
  type ImportJob,
  type ImportRequest,
} from './imports';
import type { ImportObjects, ImportQueue, ImportStore } from './imports-runner';

/** The upload a new job answers with: a presigned PUT of the input, valid for 15 minutes. */
export interface ImportUpload {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

/**
 * Creates import jobs with their upload URL, starts them once the file is there, pauses, resumes and cancels them;
 * the runner (imports-runner.ts) applies the rows. The input's key is built from the caller's tenant alone.
 */
export class ImportService {
  constructor(
    private readonly store: ImportStore,
    private readonly objects: ImportObjects,
    private readonly queue: ImportQueue,
    private readonly clock: Clock,
    private readonly newId: () => string,
    /** The platform's maximum rate (the stage's `IMPORT_MAX_ROWS_PER_SECOND`). */
    private readonly maxRowsPerSecond: number,
  ) {}

  /**
   * Records a job awaiting its upload. The same Idempotency-Key and body answer the same job (with a fresh URL);
   * another body under the key is `idempotency_key_reused`.
   */
  async create(
    tenantId: string,
    credentialId: string,
    request: ImportRequest,
    idem: IdempotencyContext,
  ): Promise<{ job: ImportJob; upload: ImportUpload; replayed: boolean }> {
    const rowsPerSecond = boundedRate(request.rowsPerSecond, this.maxRowsPerSecond);
    const earlier = await this.store.claimed(tenantId, idem.key);
    if (earlier) return this.replay(tenantId, earlier, idem);
    const at = this.clock.now().toISOString();
    const importId = this.newId();
    const job: ImportJob = {
      importId,
      tenantId,
      status: 'awaiting_upload',
      rowsPerSecond,
      objectKey: importObjectKey(tenantId, importId),
      offset: 0,
      line: 0,
      skipping: false,
      counts: { applied: 0, unchanged: 0, rejected: 0 },
      errorParts: 0,
      recentRowsPerSecond: 0,
      step: 0,
      chainedStep: 0,
      requestedBy: { credentialId },
      createdAt: at,
      updatedAt: at,
      errors: [],
    };
    try {
      await this.store.create(job, { key: idem.key, requestHash: idem.requestHash });
    } catch (error) {
      // A concurrent request under the same key won: answer its job.
      const winner = error instanceof Problem ? await this.store.claimed(tenantId, idem.key) : null;
      if (!winner) throw error;
      return this.replay(tenantId, winner, idem);
    }
    return { job, upload: await this.upload(job), replayed: false };
  }

  async get(tenantId: string, importId: string): Promise<ImportJob> {
    const job = await this.store.get(tenantId, importId);
    if (!job) throw new Problem('import_not_found', `No import ${importId}`);
    return job;
  }

  list(tenantId: string, page: { limit: number; cursor?: string }) {
    return this.store.list(tenantId, page);
  }

  /**
   * Starts a job whose file is uploaded: checks the object and its size, then queues the first step. Asked again
   * while the job is still queued (the first answer was lost, or its message was not sent), it sends the step again:
   * a copy of a step message does nothing twice.
   */
  async start(tenantId: string, importId: string): Promise<ImportJob> {
    const job = await this.get(tenantId, importId);
    if (job.status === 'queued') return this.requeued(job);
    nextStatus(job.status, 'start');
    const size = await this.objects.size(job.objectKey);
    if (size === undefined)
      throw new Problem('import_not_uploaded', 'Upload the file with the upload URL (PUT) before starting');
    if (size > IMPORT_MAX_BYTES)
      throw new Problem('import_too_large', `The file has ${size} bytes; an import takes at most ${IMPORT_MAX_BYTES}`);
    const started = await this.moved(job, 'start', { objectBytes: size });
    await this.queue.schedule({ tenantId, importId, step: started.step }, 0);
    return started;
  }

  /** Pauses: the running step stops at its next chunk, keeping its checkpoint. */
  pause(tenantId: string, importId: string): Promise<ImportJob> {
    return this.act(tenantId, importId, 'pause');
  }

  /** Resumes a paused (or failed) job from its checkpoint; a queued one has its step sent again, as `start`. */
  async resume(tenantId: string, importId: string): Promise<ImportJob> {
    const job = await this.get(tenantId, importId);
    if (job.status === 'queued') return this.requeued(job);
    const resumed = await this.act(tenantId, importId, 'resume');
    await this.queue.schedule({ tenantId, importId, step: resumed.step }, 0);
    return resumed;
  }

  /** Cancels: nothing more is applied after the chunk in progress; what was applied stays. */
  cancel(tenantId: string, importId: string): Promise<ImportJob> {
    return this.act(tenantId, importId, 'cancel');
  }

  /** A presigned GET of the job's error report, when it has one. */
  async reportUrl(job: ImportJob): Promise<{ url: string; expiresAt: string } | undefined> {
    if (!job.reportKey) return undefined;
    return { url: await this.objects.downloadUrl(job.reportKey, IMPORT_URL_SECONDS), expiresAt: this.expiresAt() };
  }

  private async requeued(job: ImportJob): Promise<ImportJob> {
    await this.queue.schedule({ tenantId: job.tenantId, importId: job.importId, step: job.step }, 0);
    return job;
  }

  private async act(tenantId: string, importId: string, action: ImportAction): Promise<ImportJob> {
    const job = await this.get(tenantId, importId);
    nextStatus(job.status, action);
    return this.moved(job, action);
  }

  /** Takes the action under the store's condition; a job that moved meanwhile answers the conflict of its status. */
  private async moved(job: ImportJob, action: ImportAction, extra?: { objectBytes?: number }): Promise<ImportJob> {
    const at = this.clock.now().toISOString();
    const moved = await this.store.move(job.tenantId, job.importId, action, at, extra);
    if (moved) return moved;
    const now = await this.get(job.tenantId, job.importId);
    nextStatus(now.status, action);
    throw new Problem('import_state_conflict', 'The import changed meanwhile; read it and try again');
  }

  private async replay(
    tenantId: string,
    earlier: { importId: string; requestHash: string },
    idem: IdempotencyContext,
  ): Promise<{ job: ImportJob; upload: ImportUpload; replayed: boolean }> {
    if (earlier.requestHash !== idem.requestHash) throw new Problem('idempotency_key_reused');
    const job = await this.get(tenantId, earlier.importId);
    return { job, upload: await this.upload(job), replayed: true };
  }

  private async upload(job: ImportJob): Promise<ImportUpload> {
    const { url, headers } = await this.objects.uploadUrl(job.objectKey, IMPORT_URL_SECONDS);
    return { url, method: 'PUT', headers, expiresAt: this.expiresAt() };
  }

  private expiresAt(): string {
    return new Date(this.clock.now().getTime() + IMPORT_URL_SECONDS * 1000).toISOString();
  }
}
