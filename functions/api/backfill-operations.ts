import * as z from '../shared/zod';
import { BACKFILL_STATUSES, BACKFILL_TARGETS, backfillRequest, type Backfill } from '../domain/backfill';
import { OPERATOR_SCOPE } from '../domain/credentials';
import { TENANT_ID_PATTERN } from '../domain/tenants';
import { Problem } from '../shared/problem';
import { recordAudit } from './audit-operations';
import { pathParam, problem, type Operation, type OperationContext } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';
import { listQuery } from './schemas';

/**
 * Backfills: re-send a time range of the tenant's events to its lake at a chosen rate, with progress. Scope
 * `data:manage` (what reaches the lake is that scope's business); operators start one for a tenant through the admin
 * route. The events keep their ids, so loaders deduplicate the copies.
 */

const backfills = { tag: 'Backfills', scope: 'data:manage' } as const;

const backfillResponse = z
  .object({
    backfillId: z.string(),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    targets: z.array(z.enum(BACKFILL_TARGETS)),
    ratePerSecond: z.number().check(z.int()),
    status: z.enum(BACKFILL_STATUSES),
    eventsSent: z.number().check(z.int(), z.describe('Events sent to the lake so far, each counted once')),
    eventsIndexed: z
      .number()
      .check(
        z.int(),
        z.describe('Target `feed`: events written before the feed index existed that were given its keys'),
      ),
    lastPosition: z
      .optional(z.iso.datetime())
      .check(z.describe('Event time of the last event sent (the range is sent in order)')),
    requestedBy: z.object({ kind: z.enum(['operator', 'tenant']), credentialId: z.string() }),
    createdAt: z.iso.datetime(),
    startedAt: z.optional(z.iso.datetime()),
    finishedAt: z.optional(z.iso.datetime()),
    errors: z.array(z.string()).check(z.describe('Why it failed, when it did')),
  })
  .check(z.describe('A backfill and its progress'));

const backfillList = z.object({ items: z.array(backfillResponse), nextCursor: z.optional(z.string()) });

const backfillView = (backfill: Backfill) => ({
  backfillId: backfill.backfillId,
  from: backfill.from,
  to: backfill.to,
  targets: backfill.targets,
  ratePerSecond: backfill.ratePerSecond,
  status: backfill.status,
  eventsSent: backfill.eventsSent,
  eventsIndexed: backfill.eventsIndexed,
  ...(backfill.lastEventAt ? { lastPosition: backfill.lastEventAt } : {}),
  requestedBy: backfill.requestedBy,
  createdAt: backfill.createdAt,
  ...(backfill.startedAt ? { startedAt: backfill.startedAt } : {}),
  ...(backfill.finishedAt ? { finishedAt: backfill.finishedAt } : {}),
  errors: backfill.errors,
});

const requested = {
  202: {
    description: 'Accepted: the backfill is queued (or, asked again while it is active, the same one)',
    schema: backfillResponse,
  },
  409: problem('The tenant has another backfill queued or running (backfill_active)'),
};

/** Records the backfill, queues its first slice and puts the request in the tenant's audit trail. */
async function requestBackfill(ctx: OperationContext, tenantId: string, body: z.output<typeof backfillRequest>) {
  const { backfill, created } = await ctx.services.backfills.request(tenantId, ctx.principal, body);
  const { from, to, targets, ratePerSecond } = backfill;
  if (created) {
    const data = { from, to, targets, ratePerSecond };
    await recordAudit(ctx, 'audit.backfill.requested', backfill.backfillId, data, { tenantId, at: backfill.createdAt });
  }
  return { statusCode: 202, body: backfillView(backfill) };
}

export const backfillOperations: Operation[] = [
  writeOperation({
    ...backfills,
    method: 'POST',
    path: '/v1/backfills',
    operationId: 'createBackfill',
    summary:
      'Re-send a time range of the tenant’s events to its lake (under its current lake settings), in event-time ' +
      'order at `ratePerSecond`, and/or give events written before the feed index existed their place in the feed; ' +
      'one backfill at a time per tenant',
    request: backfillRequest,
    responses: requested,
    run: (ctx, body) => requestBackfill(ctx, ctx.tenantId, body),
  }),
  readOperation({
    ...backfills,
    path: '/v1/backfills',
    operationId: 'listBackfills',
    summary: 'The tenant’s backfills, newest first',
    query: z.strictObject(listQuery),
    ok: { description: 'A page of backfills', schema: backfillList },
    read: async ({ tenantId, services }, query) => {
      const page = await services.backfills.list(tenantId, query);
      return { items: page.items.map(backfillView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
  }),
  readOperation({
    ...backfills,
    path: '/v1/backfills/{backfillId}',
    operationId: 'getBackfill',
    summary: 'A backfill and its progress',
    ok: { description: 'The backfill', schema: backfillResponse },
    notFound: 'No such backfill',
    read: async ({ tenantId, services, event }) =>
      backfillView(await services.backfills.get(tenantId, pathParam(event, 'backfillId'))),
  }),
  writeOperation({
    ...backfills,
    method: 'POST',
    path: '/v1/backfills/{backfillId}/cancel',
    operationId: 'cancelBackfill',
    summary: 'Stop a backfill: what it sent stays sent, no further slice runs',
    request: z.strictObject({}),
    responses: {
      200: { description: 'The cancelled backfill', schema: backfillResponse },
      404: problem('No such backfill'),
      409: problem('The backfill has finished already (backfill_finished)'),
    },
    run: async (ctx) => {
      const cancelled = await ctx.services.backfills.cancel(ctx.tenantId, pathParam(ctx.event, 'backfillId'));
      await recordAudit(ctx, 'audit.backfill.cancelled', cancelled.backfillId, { eventsSent: cancelled.eventsSent });
      return { statusCode: 200, body: backfillView(cancelled) };
    },
  }),
  writeOperation({
    tag: 'Admin',
    scope: OPERATOR_SCOPE,
    method: 'POST',
    path: '/admin/tenants/{tenantId}/backfills',
    operationId: 'createTenantBackfill',
    summary: 'Operators: re-send a time range of a tenant’s events to its lake (as `POST /v1/backfills`)',
    request: backfillRequest,
    responses: { ...requested, 404: problem('No such tenant') },
    run: async (ctx, body) => {
      const tenantId = ctx.event.pathParameters?.tenantId;
      if (!tenantId || !TENANT_ID_PATTERN.test(tenantId)) {
        throw new Problem('validation_failed', 'Path parameter tenantId is not valid');
      }
      if (!(await ctx.services.tenantStore.getTenant(tenantId))) throw new Problem('tenant_not_found');
      return requestBackfill(ctx, tenantId, body);
    },
  }),
];
