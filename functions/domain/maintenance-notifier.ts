import type { Clock } from '../shared/clock';
import { recordMetric } from '../shared/metrics';
import type { MaintenanceEvent } from './events';
import {
  dueNotice,
  maintenanceEvent,
  phaseSent,
  sendingFrom,
  type MaintenancePhase,
  type MaintenanceWindow,
} from './maintenance';
import type { Page, Tenant } from './ports';

/** Maintenance windows as stored; every change is conditional on the version it was made from. */
export interface MaintenanceStore {
  get(windowId: string): Promise<MaintenanceWindow | null>;
  /** Creates the window; false when one with its id exists. */
  create(window: MaintenanceWindow): Promise<boolean>;
  /** Saves a changed window over `expectedVersion`; false when it changed meanwhile. */
  save(window: MaintenanceWindow, expectedVersion: number): Promise<boolean>;
  /** Windows by end time, latest first, a page at a time. */
  list(query: { limit: number; cursor?: string }): Promise<Page<MaintenanceWindow>>;
  /** Windows that end at or after `endsAfter` (the tenant view's candidates). */
  endingAfter(endsAfter: string): Promise<MaintenanceWindow[]>;
  /** Ids of windows whose next notice is due at `now`, earliest first. */
  dueIds(now: string): Promise<string[]>;
}

/** Where a tenant's notices go: its outbox. Writing a notice that exists already writes nothing (false). */
export interface NoticeOutbox {
  put(windowId: string, phase: MaintenancePhase, event: MaintenanceEvent): Promise<boolean>;
}

/** What a run did: notices written (each once), phases finished, and whether work was left for the next run. */
export interface NotifierTotals {
  written: number;
  phasesSent: number;
  unfinished: boolean;
}

/** Tenants a page at a time (the admin list: by id). */
export type TenantPages = (query: { limit: number; cursor?: string }) => Promise<Page<Tenant>>;

/** Tenants per page: one page's notices go out together, then its progress is saved. */
export const NOTIFIER_PAGE_SIZE = 25;

/**
 * Sends the due notices of maintenance windows to every active tenant, one phase at a time in order. A phase is
 * claimed on the window before its first notice (so a cancel cannot slip in between a `started` notice and its
 * window), then goes out a page of tenants at a time, the page's place saved after each: a run that stops (its
 * time is up, it crashed) is resumed from there by the next, and the notices' ids are derived from (window, phase,
 * tenant), so a page written twice writes nothing twice. A window changed meanwhile (cancelled) is read again.
 * @example await new MaintenanceNotifier({ store, outbox, tenants, clock }).run({ deadlineMs, correlationId })
 */
export class MaintenanceNotifier {
  constructor(
    private readonly deps: { store: MaintenanceStore; outbox: NoticeOutbox; tenants: TenantPages; clock: Clock },
  ) {}

  async run(options: { deadlineMs: number; correlationId?: string }): Promise<NotifierTotals> {
    const totals: NotifierTotals = { written: 0, phasesSent: 0, unfinished: false };
    const ids = await this.deps.store.dueIds(this.deps.clock.now().toISOString());
    for (const windowId of ids) {
      if (!(await this.notify(windowId, options, totals))) {
        totals.unfinished = true;
        break;
      }
    }
    return totals;
  }

  /** Sends the window's due notices; false when the deadline came first. */
  private async notify(
    windowId: string,
    options: { deadlineMs: number; correlationId?: string },
    totals: NotifierTotals,
  ): Promise<boolean> {
    const { store, clock } = this.deps;
    for (;;) {
      let window = await store.get(windowId);
      const phase = window ? dueNotice(window, clock.now()) : null;
      if (!window || !phase) return true;
      if (window.sending?.phase !== phase) {
        const claimed = sendingFrom(window, phase);
        if (!(await store.save(claimed, window.version))) continue;
        window = claimed;
      }
      const outcome = await this.sendPhase(window, phase, options, totals);
      if (outcome === 'deadline') return false;
      if (outcome === 'sent') totals.phasesSent++;
    }
  }

  /** One phase to the tenants after the saved place: 'sent' to all, 'changed' when the window changed meanwhile. */
  private async sendPhase(
    start: MaintenanceWindow,
    phase: MaintenancePhase,
    options: { deadlineMs: number; correlationId?: string },
    totals: NotifierTotals,
  ): Promise<'sent' | 'changed' | 'deadline'> {
    const { store, outbox, tenants, clock } = this.deps;
    let window = start;
    let cursor = window.sending?.cursor;
    for (;;) {
      if (clock.now().getTime() >= options.deadlineMs) return 'deadline';
      const page = await tenants({ limit: NOTIFIER_PAGE_SIZE, ...(cursor !== undefined ? { cursor } : {}) });
      const now = clock.now();
      const written = await Promise.all(
        page.items
          .filter((tenant) => tenant.status === 'active')
          .map((tenant) =>
            outbox.put(
              window.windowId,
              phase,
              maintenanceEvent(window, phase, tenant.tenantId, now, options.correlationId),
            ),
          ),
      );
      const notices = written.filter(Boolean).length;
      if (notices > 0) recordMetric('MaintenanceNoticesWritten', notices);
      totals.written += notices;
      cursor = page.nextCursor;
      const next = cursor === undefined ? phaseSent(window, phase, now) : sendingFrom(window, phase, cursor);
      if (!(await store.save(next, window.version))) return 'changed';
      if (cursor === undefined) return 'sent';
      window = next;
    }
  }
}
