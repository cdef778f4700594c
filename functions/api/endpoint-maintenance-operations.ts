import type { WebhookSubscription } from '../domain/ports';
import {
  activeWindow,
  addWindow,
  keptWindows,
  type EndpointMaintenanceWindow,
} from '../domain/webhooks/maintenance-windows';
import { newId } from '../shared/ids';
import { Problem } from '../shared/problem';
import { recordAudit } from './audit-operations';
import { errors, pathParam, problem, type Operation, type OperationContext } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';
import * as s from './schemas';
import { requireEndpoint } from './webhook-operations';

/**
 * An endpoint's maintenance windows (a tenant's Workday or Darwinbox maintenance night): deliveries to it wait
 * through each window without spending retries and drain in order afterwards (see maintenance-windows.ts).
 */

const webhooks = { tag: 'Webhooks', scope: 'webhooks:manage' } as const;
const PATH = '/v1/webhooks/endpoints/{subscriptionId}/maintenance-windows';

const windowView = (window: EndpointMaintenanceWindow, now: Date) => {
  const status = activeWindow([window], now)
    ? 'active'
    : Date.parse(window.endsAt) <= now.getTime()
      ? 'ended'
      : 'scheduled';
  return { ...window, status };
};

/**
 * Applies a change to the endpoint's windows as read, conditioned on the endpoint not having changed since; a
 * concurrent change of the endpoint is answered 409 (read and try again), never lost.
 */
async function changeWindows(
  ctx: OperationContext,
  endpoint: WebhookSubscription,
  windows: EndpointMaintenanceWindow[],
): Promise<string> {
  const updatedAt = ctx.services.clock.now().toISOString();
  const changed = await ctx.services.subscriptions.setMaintenanceWindows(
    ctx.tenantId,
    endpoint.subscriptionId,
    windows,
    { expectedUpdatedAt: endpoint.updatedAt, updatedAt },
  );
  if (!changed) throw new Problem('concurrent_update', 'The endpoint changed meanwhile; read it and try again');
  const changedFields = ['maintenanceWindows'];
  await recordAudit(
    ctx,
    'audit.webhook_endpoint.updated',
    endpoint.subscriptionId,
    { changedFields },
    {
      at: updatedAt,
    },
  );
  return updatedAt;
}

export const endpointMaintenanceOperations: Operation[] = [
  writeOperation({
    ...webhooks,
    method: 'POST',
    path: PATH,
    operationId: 'createEndpointMaintenanceWindow',
    summary:
      'Declare a maintenance window for the endpoint: deliveries wait during it (no retry spent, the breaker ' +
      'untouched) and drain in order afterwards. At most 48 h, a day apart, 5 not yet ended',
    request: s.maintenanceWindowRequest,
    responses: {
      201: { description: 'The window', schema: s.maintenanceWindowResponse },
      404: problem('No such endpoint'),
      409: problem('The endpoint has 5 windows not yet ended (limit_exceeded), or changed meanwhile'),
    },
    run: async (ctx, body) => {
      const endpoint = await requireEndpoint(ctx.services, ctx.tenantId, pathParam(ctx.event, 'subscriptionId'));
      const now = ctx.services.clock.now();
      const window: EndpointMaintenanceWindow = {
        windowId: newId('mw'),
        startsAt: new Date(body.startsAt).toISOString(),
        endsAt: new Date(body.endsAt).toISOString(),
        ...(body.reason ? { reason: body.reason } : {}),
        createdAt: now.toISOString(),
      };
      await changeWindows(ctx, endpoint, addWindow(endpoint.maintenanceWindows ?? [], window, now));
      return { statusCode: 201, body: windowView(window, now) };
    },
  }),
  readOperation({
    ...webhooks,
    path: PATH,
    operationId: 'listEndpointMaintenanceWindows',
    summary: "The endpoint's maintenance windows, oldest first (ended ones for 14 days)",
    ok: { description: 'Windows', schema: s.maintenanceWindowListResponse },
    notFound: 'No such endpoint',
    read: async (ctx) => {
      const endpoint = await requireEndpoint(ctx.services, ctx.tenantId, pathParam(ctx.event, 'subscriptionId'));
      const now = ctx.services.clock.now();
      return { items: keptWindows(endpoint.maintenanceWindows ?? [], now).map((w) => windowView(w, now)) };
    },
  }),
  {
    ...webhooks,
    method: 'DELETE',
    path: `${PATH}/{windowId}`,
    operationId: 'deleteEndpointMaintenanceWindow',
    summary:
      'Remove a maintenance window. Deliveries already held by an active window come back when it was due to end',
    idempotent: false,
    responses: {
      204: { description: 'Removed' },
      ...errors,
      404: problem('No such endpoint or window'),
      409: problem('The endpoint changed meanwhile'),
    },
    run: async (ctx) => {
      const endpoint = await requireEndpoint(ctx.services, ctx.tenantId, pathParam(ctx.event, 'subscriptionId'));
      const windowId = pathParam(ctx.event, 'windowId');
      const windows = endpoint.maintenanceWindows ?? [];
      if (!windows.some((w) => w.windowId === windowId))
        throw new Problem('maintenance_window_not_found', `No maintenance window ${windowId} on this endpoint`);
      const now = ctx.services.clock.now();
      await changeWindows(
        ctx,
        endpoint,
        keptWindows(
          windows.filter((w) => w.windowId !== windowId),
          now,
        ),
      );
      return { statusCode: 204, body: null };
    },
  },
];
