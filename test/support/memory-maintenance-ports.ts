import type { MaintenanceEvent } from '../../functions/domain/events';
import {
  newMaintenanceWindow,
  nextNotice,
  scheduleMaintenanceRequest,
  type MaintenancePhase,
  type MaintenanceWindow,
} from '../../functions/domain/maintenance';
import type { MaintenanceStore, NoticeOutbox } from '../../functions/domain/maintenance-notifier';
import type { Tenant } from '../../functions/domain/ports';

/** The maintenance notifier's ports in memory, for unit tests of the domain. */

const CREATED_AT = '2026-06-01T12:00:00.000Z';
const HOUR = 3_600_000;

/** A window scheduled at `createdMs`, starting `startsInH` hours later for `hours` hours. */
export function windowAt(createdMs: number, startsInH: number, hours = 2, noticeLeadHours?: number): MaintenanceWindow {
  const request = scheduleMaintenanceRequest.parse({
    summary: 'Database upgrade',
    impact: 'degraded',
    startsAt: new Date(createdMs + startsInH * HOUR).toISOString(),
    endsAt: new Date(createdMs + (startsInH + hours) * HOUR).toISOString(),
    ...(noticeLeadHours !== undefined ? { noticeLeadHours } : {}),
  });
  return newMaintenanceWindow(request, {
    windowId: 'mnt_1',
    now: new Date(createdMs),
    createdBy: 'key_op',
    requestHash: 'h',
  });
}

/** Windows in memory, with the store's version check. */
export class MemoryMaintenanceStore implements MaintenanceStore {
  readonly windows = new Map<string, MaintenanceWindow>();

  get(windowId: string) {
    return Promise.resolve(structuredClone(this.windows.get(windowId) ?? null));
  }

  create(window: MaintenanceWindow) {
    if (this.windows.has(window.windowId)) return Promise.resolve(false);
    this.windows.set(window.windowId, structuredClone(window));
    return Promise.resolve(true);
  }

  save(window: MaintenanceWindow, expectedVersion: number) {
    if (this.windows.get(window.windowId)?.version !== expectedVersion) return Promise.resolve(false);
    this.windows.set(window.windowId, structuredClone(window));
    return Promise.resolve(true);
  }

  list() {
    return Promise.resolve({ items: [...this.windows.values()] });
  }

  endingAfter() {
    return Promise.resolve([...this.windows.values()]);
  }

  dueIds(now: string) {
    return Promise.resolve(
      [...this.windows.values()]
        .filter((window) => (nextNotice(window)?.dueAt ?? '\uffff') <= now)
        .map((window) => window.windowId),
    );
  }
}

/** Each tenant's outbox: what an item key holds once written; a write may crash (before or after it lands). */
export class MemoryOutbox implements NoticeOutbox {
  readonly items = new Map<string, MaintenanceEvent>();
  crashNext = 0;

  put(windowId: string, phase: MaintenancePhase, event: MaintenanceEvent) {
    const key = `${event.tenantId}/${windowId}/${phase}`;
    const landed = !this.items.has(key);
    if (landed) this.items.set(key, event);
    if (this.crashNext > 0 && --this.crashNext === 0) return Promise.reject(new Error('crashed'));
    return Promise.resolve(landed);
  }

  /** The notices a tenant got, in the order written. */
  of(tenantId: string) {
    return [...this.items.values()].filter((event) => event.tenantId === tenantId).map((event) => event.type);
  }
}

export const tenantsOf = (count: number, suspended: Set<number> = new Set()): Tenant[] =>
  Array.from({ length: count }, (_, i) => ({
    tenantId: `t${i.toString().padStart(4, '0')}`,
    name: `Tenant ${i}`,
    status: suspended.has(i) ? 'suspended' : 'active',
    limits: { requestsPerSecond: 1, burst: 1, webhookEndpoints: 1, feedConsumers: 1 },
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
  }));

/** The admin list's pages: by id, a cursor after the last. */
export const pagesOf = (tenants: Tenant[]) => (query: { limit: number; cursor?: string }) => {
  const from = query.cursor ? tenants.findIndex((tenant) => tenant.tenantId === query.cursor) + 1 : 0;
  const items = tenants.slice(from, from + query.limit);
  const more = from + query.limit < tenants.length;
  return Promise.resolve({ items, ...(more ? { nextCursor: items.at(-1)!.tenantId } : {}) });
};
