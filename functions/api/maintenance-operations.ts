import * as z from '../shared/zod';
import { OPERATOR_SCOPE } from '../domain/credentials';
import { MAINTENANCE_IMPACTS } from '../domain/events';
import {
  cancelled,
  maintenanceFacts,
  maintenanceWindowId,
  MAINTENANCE_PHASES,
  newMaintenanceWindow,
  noticeAt,
  RECENT_WINDOW_DAYS,
  scheduleMaintenanceRequest,
  statusAt,
  visibleToTenants,
  type MaintenanceWindow,
} from '../domain/maintenance';
import { logger } from '../shared/logger';
import { Problem } from '../shared/problem';
import { pathParam, problem, type Operation, type OperationContext } from './operation-kit';
import { commandOperation, readOperation, writeOperation } from './operation-shapes';
import { listQuery } from './schemas';

/**
 * Platform maintenance windows: operators schedule, list and cancel them (scope `admin`); every tenant reads the
 * announced ones (`GET /v1/maintenance-windows`). The notices themselves go out from the scheduled run
 * (domain/maintenance-notifier.ts). A window is about the platform, not a tenant, so it is kept out of tenants'
 * audit trails: the window records who scheduled and who cancelled it, and the notices are the tenants' record.
 */

const status = z.enum(['scheduled', 'in_progress', 'completed', 'cancelled']);
const tenantWindow = z
  .object({
    maintenanceId: z.string(),
    summary: z.string(),
    description: z.optional(z.string()),
    impact: z.enum(MAINTENANCE_IMPACTS),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    status,
  })
  .check(z.describe('A platform maintenance window, with the fields its notices carry'));
const phaseTimes = z.object(
  Object.fromEntries(MAINTENANCE_PHASES.map((phase) => [phase, z.optional(z.iso.datetime())])) as Record<
    (typeof MAINTENANCE_PHASES)[number],
    z.ZodMiniOptional<z.ZodMiniISODateTime>
  >,
);
const adminWindow = z
  .extend(tenantWindow, {
    noticeLeadHours: z.number().check(z.int()),
    noticeAt: z.iso.datetime().check(z.describe('When the `scheduled` notice is (or was) due')),
    createdAt: z.iso.datetime(),
    createdBy: z.string().check(z.describe('The operator credential that scheduled it')),
    cancelledAt: z.optional(z.iso.datetime()),
    cancelledBy: z.optional(z.string()),
    noticesSent: phaseTimes.check(z.describe('Notices that reached every active tenant, and when they finished')),
    noticeSending: z
      .optional(z.enum(MAINTENANCE_PHASES))
      .check(z.describe('The notice going out now (resumed by the next run if this one stops)')),
  })
  .check(z.describe('A platform maintenance window and the progress of its notices'));

const tenantView = (window: MaintenanceWindow, now: Date) => maintenanceFacts(window, statusAt(window, now));
const adminView = (window: MaintenanceWindow, now: Date) => ({
  ...tenantView(window, now),
  noticeLeadHours: window.noticeLeadHours,
  noticeAt: noticeAt(window),
  createdAt: window.createdAt,
  createdBy: window.createdBy,
  ...(window.cancelledAt !== undefined ? { cancelledAt: window.cancelledAt, cancelledBy: window.cancelledBy } : {}),
  noticesSent: window.sent,
  ...(window.sending ? { noticeSending: window.sending.phase } : {}),
});

const admin = { tag: 'Admin', scope: OPERATOR_SCOPE } as const;
const notFound = 'No such maintenance window';

async function requireWindow({ event, services }: OperationContext): Promise<MaintenanceWindow> {
  const window = await services.maintenance.get(pathParam(event, 'maintenanceId'));
  if (!window) throw new Problem('maintenance_window_not_found');
  return window;
}

export const maintenanceOperations: Operation[] = [
  commandOperation({
    ...admin,
    path: '/admin/maintenance-windows',
    operationId: 'scheduleMaintenanceWindow',
    summary:
      'Schedule a platform maintenance window: every active tenant is sent `platform.maintenance.scheduled` its lead ' +
      'time ahead (at once when that has passed), then `…started` and `…completed`; a retry with the same ' +
      'Idempotency-Key answers the same window',
    request: scheduleMaintenanceRequest,
    responses: { 201: { description: 'Scheduled (or, replayed, the window this key scheduled)', schema: adminWindow } },
    run: async ({ services, principal }, body, idem) => {
      const now = services.clock.now();
      const windowId = maintenanceWindowId(idem.key);
      const window = newMaintenanceWindow(body, {
        windowId,
        now,
        createdBy: principal.credentialId,
        requestHash: idem.requestHash,
      });
      if (await services.maintenance.create(window)) {
        logger.info('Maintenance window scheduled', { windowId, credentialId: principal.credentialId });
        return { statusCode: 201, body: adminView(window, now) };
      }
      const existing = await services.maintenance.get(windowId);
      if (!existing || existing.requestHash !== idem.requestHash) throw new Problem('idempotency_key_reused');
      return { statusCode: 201, body: adminView(existing, now), replayed: true };
    },
  }),
  readOperation({
    ...admin,
    path: '/admin/maintenance-windows',
    operationId: 'listMaintenanceWindows',
    summary: 'Platform maintenance windows, latest end first, with the progress of their notices',
    query: z.strictObject(listQuery),
    ok: {
      description: 'A page of windows',
      schema: z.object({ items: z.array(adminWindow), nextCursor: z.optional(z.string()) }),
    },
    read: async ({ services }, query) => {
      const page = await services.maintenance.list(query);
      const now = services.clock.now();
      return {
        items: page.items.map((window) => adminView(window, now)),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    },
  }),
  readOperation({
    ...admin,
    path: '/admin/maintenance-windows/{maintenanceId}',
    operationId: 'getMaintenanceWindow',
    summary: 'A platform maintenance window and the progress of its notices',
    ok: { description: 'The window', schema: adminWindow },
    notFound,
    read: async (ctx) => adminView(await requireWindow(ctx), ctx.services.clock.now()),
  }),
  writeOperation({
    ...admin,
    method: 'POST',
    path: '/admin/maintenance-windows/{maintenanceId}/cancel',
    operationId: 'cancelMaintenanceWindow',
    summary:
      'Cancel a window before it starts: tenants that were told get `platform.maintenance.cancelled`, tenants ' +
      'that were not hear nothing; cancelling a cancelled window changes nothing',
    request: z.strictObject({}),
    responses: {
      200: { description: 'The cancelled window', schema: adminWindow },
      404: problem(notFound),
      409: problem(
        'The window has started (maintenance_window_started) or changed concurrently (maintenance_window_conflict)',
      ),
    },
    run: async (ctx) => {
      const { services, principal } = ctx;
      const window = await requireWindow(ctx);
      const now = services.clock.now();
      const next = cancelled(window, now, principal.credentialId);
      if (next !== window) {
        if (!(await services.maintenance.save(next, window.version))) throw new Problem('maintenance_window_conflict');
        logger.info('Maintenance window cancelled', {
          windowId: window.windowId,
          credentialId: principal.credentialId,
        });
      }
      return { statusCode: 200, body: adminView(next, now) };
    },
  }),
  readOperation({
    path: '/v1/maintenance-windows',
    operationId: 'listPlatformMaintenanceWindows',
    summary:
      'Platform maintenance windows the tenant was told of: upcoming, in progress, and those that ended or were ' +
      `cancelled in the last ${RECENT_WINDOW_DAYS} days, soonest start first`,
    tag: 'Platform',
    scope: 'events:read',
    ok: { description: 'The windows', schema: z.object({ items: z.array(tenantWindow) }) },
    read: async ({ services }) => {
      const now = services.clock.now();
      const since = new Date(now.getTime() - RECENT_WINDOW_DAYS * 86_400_000).toISOString();
      const windows = (await services.maintenance.endingAfter(since)).filter((window) => visibleToTenants(window, now));
      windows.sort((x, y) => x.startsAt.localeCompare(y.startsAt) || x.windowId.localeCompare(y.windowId));
      return { items: windows.map((window) => tenantView(window, now)) };
    },
  }),
];
