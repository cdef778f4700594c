import { Problem } from '../shared/problem';
import type { Clock } from '../shared/clock';
import { recordMetric } from '../shared/metrics';
import {
  dueWindows,
  exportWindowPrefix,
  latestDueWindow,
  MAX_EXPORTS_PER_TENANT,
  nextWindowStartAfter,
  STALE_RUN_MS,
  windowAt,
  type ExportCadence,
  type ExportDataset,
  type ExportDefinition,
  type ExportFile,
  type ExportRun,
  type ExportWindow,
  type MemberIdOf,
} from './exports';
import type { Page } from './ports';

/** Export definitions, their schedule on the `due` index, and their runs. */
export interface ExportStore {
  create(definition: ExportDefinition): Promise<void>;
  /** Writes the definition if it is still at `expectedUpdatedAt`; false when it changed (or is gone). */
  replace(definition: ExportDefinition, expectedUpdatedAt: string): Promise<boolean>;
  get(tenantId: string, exportId: string): Promise<ExportDefinition | null>;
  list(tenantId: string): Promise<ExportDefinition[]>;
  delete(tenantId: string, exportId: string): Promise<boolean>;
  listDue(nowIso: string, limit: number): Promise<{ tenantId: string; exportId: string }[]>;
  requestRun(tenantId: string, exportId: string, windowStart: string, nowIso: string): Promise<boolean>;
  /** Creates the run of a window unless one exists that succeeded or still runs; null when claimed, else that run. */
  claimRun(tenantId: string, run: ExportRun, staleBefore: string): Promise<ExportRun | null>;
  getRun(tenantId: string, exportId: string, windowStart: string): Promise<ExportRun | null>;
  saveRun(tenantId: string, run: ExportRun): Promise<void>;
  listRuns(tenantId: string, exportId: string, query: { limit: number; cursor?: string }): Promise<Page<ExportRun>>;
}

/** The rows of one dataset for one window, in an order that is the same for the same data. */
export interface ExportSource {
  rows(
    tenantId: string,
    dataset: ExportDataset,
    window: ExportWindow,
    ids: { idOf: MemberIdOf; pseudonymised: boolean },
  ): AsyncIterable<Record<string, unknown>>;
}

/** Writes rows as gzip NDJSON parts under a prefix (deterministic names: a redo overwrites the same objects). */
export interface ExportFileWriter {
  write(prefix: string, rows: AsyncIterable<Record<string, unknown>>): Promise<ExportFile[]>;
}

/** How the tenant's member ids leave the platform: its lake settings' pseudonymisation, or as they are. */
export type MemberIdentities = (tenantId: string) => Promise<{ idOf: MemberIdOf; pseudonymised: boolean }>;

export interface TickTotals {
  due: number;
  windows: number;
  succeeded: number;
  skipped: number;
  failed: number;
  rows: number;
}

/** Exports due per tick at most; more wait for the next tick (the `due` index keeps them in due order). */
const DUE_PER_TICK = 100;

/**
 * Scheduled exports, the API's side: definitions (at most `MAX_EXPORTS_PER_TENANT` a tenant), their runs, and a
 * run asked for now. A window is exported once: a failed or crashed run is redone under the same file names.
 */
export class ExportService {
  constructor(
    private readonly store: ExportStore,
    private readonly clock: Clock,
    private readonly newExportId: () => string,
  ) {}

  async create(
    tenantId: string,
    input: { dataset: ExportDataset; cadence: ExportCadence; enabled: boolean },
  ): Promise<ExportDefinition> {
    // A racing create may pass the count once; the cap bounds cost, it is not a security boundary.
    if ((await this.store.list(tenantId)).length >= MAX_EXPORTS_PER_TENANT)
      throw new Problem('limit_exceeded', `A tenant may define at most ${MAX_EXPORTS_PER_TENANT} exports`);
    const now = this.clock.now();
    const definition: ExportDefinition = {
      tenantId,
      exportId: this.newExportId(),
      ...input,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      nextWindowStart: new Date(windowAt(now.getTime(), input.cadence).start).toISOString(),
    };
    await this.store.create(definition);
    return definition;
  }

  async get(tenantId: string, exportId: string): Promise<ExportDefinition> {
    const definition = await this.store.get(tenantId, exportId);
    if (!definition) throw new Problem('export_not_found');
    return definition;
  }

  list(tenantId: string): Promise<ExportDefinition[]> {
    return this.store.list(tenantId);
  }

  /**
   * Changes the cadence or switches the export on or off. Either starts the schedule afresh at the window that
   * holds now: windows of the old cadence, or of the time it was off, are not exported after the fact.
   */
  async update(
    tenantId: string,
    exportId: string,
    patch: { cadence?: ExportCadence; enabled?: boolean },
  ): Promise<{ definition: ExportDefinition; changedFields: string[] }> {
    const current = await this.get(tenantId, exportId);
    const changedFields = (['cadence', 'enabled'] as const).filter(
      (field) => patch[field] !== undefined && JSON.stringify(patch[field]) !== JSON.stringify(current[field]),
    );
    if (changedFields.length === 0) return { definition: current, changedFields };
    const now = this.clock.now();
    const next: ExportDefinition = { ...current, ...patch, updatedAt: now.toISOString() };
    next.nextWindowStart = new Date(windowAt(now.getTime(), next.cadence).start).toISOString();
    delete next.requestedWindowStart;
    if (!(await this.store.replace(next, current.updatedAt))) throw new Problem('export_conflict');
    return { definition: next, changedFields };
  }

  async delete(tenantId: string, exportId: string): Promise<void> {
    if (!(await this.store.delete(tenantId, exportId))) throw new Problem('export_not_found');
  }

  async runs(tenantId: string, exportId: string, query: { limit: number; cursor?: string }): Promise<Page<ExportRun>> {
    await this.get(tenantId, exportId);
    return this.store.listRuns(tenantId, exportId, query);
  }

  /**
   * Asks for the latest due window now: its run when it exists already (a window is exported once), otherwise the
   * window is queued for the scheduler's next tick (within a minute deployed).
   */
  async requestRun(
    tenantId: string,
    exportId: string,
  ): Promise<{ windowStart: string; windowEnd: string; run: ExportRun | null }> {
    const definition = await this.get(tenantId, exportId);
    const now = this.clock.now();
    const window = latestDueWindow(now.getTime(), definition.cadence);
    const windowStart = new Date(window.start).toISOString();
    const windowEnd = new Date(window.end).toISOString();
    const run = await this.store.getRun(tenantId, exportId, windowStart);
    if (
      run?.status !== 'succeeded' &&
      !(await this.store.requestRun(tenantId, exportId, windowStart, now.toISOString()))
    )
      throw new Problem('export_not_found');
    return { windowStart, windowEnd, run };
  }
}

/**
 * The scheduler's side: each tick runs the windows of the exports due, and each window's run is idempotent (its
 * run record is claimed with a conditional write; a window that succeeded is never written again).
 */
export class ExportRunner {
  constructor(
    private readonly store: ExportStore,
    private readonly source: ExportSource,
    private readonly writer: ExportFileWriter,
    private readonly identities: MemberIdentities,
    private readonly clock: Clock,
    /** Told of each failed run with its error (the run record keeps only the error's name for the tenant). */
    private readonly onRunFailed: (run: ExportRun, error: unknown) => void = () => undefined,
  ) {}

  /**
   * One scheduler tick: every export due now runs its due windows, oldest first, until `deadlineMs`. A failed
   * window stops its export for this tick (the next tick retries it); a window past the deadline waits too.
   */
  async tick(deadlineMs: number): Promise<TickTotals> {
    const totals: TickTotals = { due: 0, windows: 0, succeeded: 0, skipped: 0, failed: 0, rows: 0 };
    const due = await this.store.listDue(this.clock.now().toISOString(), DUE_PER_TICK);
    totals.due = due.length;
    for (const { tenantId, exportId } of due) {
      if (this.clock.now().getTime() >= deadlineMs) break;
      const definition = await this.store.get(tenantId, exportId);
      if (definition) await this.runDue(definition, deadlineMs, totals);
    }
    return totals;
  }

  private async runDue(definition: ExportDefinition, deadlineMs: number, totals: TickTotals): Promise<void> {
    const windows = dueWindows(definition, this.clock.now().getTime());
    const next = { ...definition };
    for (const window of windows) {
      if (this.clock.now().getTime() >= deadlineMs) break;
      totals.windows += 1;
      const { run, ran } = await this.runWindow(definition, window);
      if (!ran) totals.skipped += 1;
      if (run.status === 'failed' || run.status === 'running') {
        totals.failed += run.status === 'failed' ? 1 : 0;
        break;
      }
      if (ran) {
        totals.succeeded += 1;
        // How far behind its window's end the file was written: catching up on missed windows shows here.
        recordMetric('ExportLagSeconds', Math.max(0, (this.clock.now().getTime() - window.end) / 1000));
      }
      totals.rows += ran ? run.rows : 0;
      next.nextWindowStart = nextWindowStartAfter(next, window, this.clock.now().getTime());
      if (next.requestedWindowStart === run.windowStart) delete next.requestedWindowStart;
    }
    // The schedule moves on (and off the due index when disabled) only if nobody changed the export meanwhile: a
    // change resets it anyway. A failed window keeps it due, so the next tick retries it.
    await this.store.replace(next, definition.updatedAt);
  }

  /**
   * Runs one window once: claims its run record, writes its files, records the outcome. A window that succeeded (or
   * runs elsewhere) is left as it is: `ran` is false and the run is the one recorded.
   */
  async runWindow(definition: ExportDefinition, window: ExportWindow): Promise<{ run: ExportRun; ran: boolean }> {
    const { tenantId, exportId, dataset } = definition;
    const startedAt = this.clock.now();
    const windowStart = new Date(window.start).toISOString();
    const previous = await this.store.getRun(tenantId, exportId, windowStart);
    if (previous?.status === 'succeeded') return { run: previous, ran: false };
    const run: ExportRun = {
      exportId,
      dataset,
      windowStart,
      windowEnd: new Date(window.end).toISOString(),
      status: 'running',
      rows: 0,
      files: [],
      startedAt: startedAt.toISOString(),
      attempts: (previous?.attempts ?? 0) + 1,
    };
    const held = await this.store.claimRun(tenantId, run, new Date(startedAt.getTime() - STALE_RUN_MS).toISOString());
    if (held) return { run: held, ran: false };
    try {
      const ids = await this.identities(tenantId);
      const files = await this.writer.write(
        exportWindowPrefix(tenantId, exportId, window.start),
        this.source.rows(tenantId, dataset, window, ids),
      );
      const done: ExportRun = {
        ...run,
        status: 'succeeded',
        files,
        rows: files.reduce((sum, file) => sum + file.rows, 0),
        finishedAt: this.clock.now().toISOString(),
      };
      await this.store.saveRun(tenantId, done);
      return { run: done, ran: true };
    } catch (error) {
      const failed: ExportRun = {
        ...run,
        status: 'failed',
        error: `${(error as Error).name || 'Error'}: the run failed and is redone on the next tick`,
        finishedAt: this.clock.now().toISOString(),
      };
      this.onRunFailed(failed, error);
      await this.store.saveRun(tenantId, failed);
      return { run: failed, ran: true };
    }
  }
}
