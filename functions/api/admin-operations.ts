import * as z from '../shared/zod';
import type { AuditData } from '../domain/audit';
import { OPERATOR_SCOPE } from '../domain/credentials';
import type { AuditEventType } from '../domain/events';
import type { Tenant } from '../domain/ports';
import { createTenantRequest, suspendTenantRequest, TENANT_ID_PATTERN, updateTenantRequest } from '../domain/tenants';
import { Problem } from '../shared/problem';
import { recordAudit } from './audit-operations';
import { pageView } from './ledger-views';
import { problem, type Operation, type OperationContext } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';
import { listQuery } from './schemas';

/**
 * The admin API: operator operations on the platform's tenants (scope `admin`, operator credentials only). A tenant's
 * own credentials never reach these routes, whatever their scopes.
 */

const tenantResponse = z.object({
  tenantId: z.string(),
  name: z.string(),
  status: z.enum(['active', 'suspended']),
  limits: z.object({
    requestsPerSecond: z.number().check(z.int()),
    burst: z.number().check(z.int()),
    webhookEndpoints: z.number().check(z.int()),
    feedConsumers: z.number().check(z.int()),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
  suspendedAt: z.optional(z.string()),
});
const tenantListResponse = z.object({ items: z.array(tenantResponse), nextCursor: z.optional(z.string()) });
const tenantListQuery = z.strictObject(listQuery);

const tenantView = (tenant: Tenant) => ({
  tenantId: tenant.tenantId,
  name: tenant.name,
  status: tenant.status,
  limits: tenant.limits,
  createdAt: tenant.createdAt,
  updatedAt: tenant.updatedAt,
  ...(tenant.suspendedAt ? { suspendedAt: tenant.suspendedAt } : {}),
});

/** The tenant's view after an operator's action on it, once the action is in the tenant's audit trail. */
async function audited<T extends AuditEventType>(ctx: OperationContext, type: T, tenant: Tenant, data: AuditData<T>) {
  await recordAudit(ctx, type, tenant.tenantId, data, { tenantId: tenant.tenantId });
  return tenantView(tenant);
}

/** Every admin operation: one tag, the operator scope. */
const admin = { tag: 'Admin', scope: OPERATOR_SCOPE } as const;
const notFound = { 404: problem('No such tenant') };

/** The tenant id the path names (the same rule as at creation, so no key can be built from a malformed one). */
function tenantIdOf({ event }: OperationContext): string {
  const tenantId = event.pathParameters?.tenantId;
  if (!tenantId || !TENANT_ID_PATTERN.test(tenantId))
    throw new Problem('validation_failed', 'Path parameter tenantId is not valid');
  return tenantId;
}

export const adminOperations: Operation[] = [
  writeOperation({
    ...admin,
    method: 'POST',
    path: '/admin/tenants',
    operationId: 'createTenant',
    summary: 'Onboard a tenant: id, display name and limits (defaults for those left out)',
    request: createTenantRequest,
    responses: {
      201: { description: 'Created', schema: tenantResponse },
      409: problem('A tenant with this id exists already'),
    },
    run: async (ctx, body) => ({
      statusCode: 201,
      body: await audited(ctx, 'audit.tenant.created', await ctx.services.tenants.create(ctx.principal, body), {}),
    }),
  }),
  readOperation({
    ...admin,
    path: '/admin/tenants',
    operationId: 'listTenants',
    summary: 'List tenants by id, a page at a time',
    query: tenantListQuery,
    ok: { description: 'A page of tenants', schema: tenantListResponse },
    read: async ({ services }, query) => pageView(await services.tenants.list(query), tenantView),
  }),
  readOperation({
    ...admin,
    path: '/admin/tenants/{tenantId}',
    operationId: 'getTenant',
    summary: 'A tenant: status and limits',
    ok: { description: 'The tenant', schema: tenantResponse },
    notFound: 'No such tenant',
    read: async (ctx) => tenantView(await ctx.services.tenants.get(tenantIdOf(ctx))),
  }),
  writeOperation({
    ...admin,
    method: 'PATCH',
    path: '/admin/tenants/{tenantId}',
    operationId: 'updateTenant',
    summary: "Change a tenant's name or limits (limits left out keep their value)",
    request: updateTenantRequest,
    responses: {
      200: { description: 'The tenant after the change', schema: tenantResponse },
      ...notFound,
      409: problem('Changed concurrently; retry'),
    },
    run: async (ctx, body) => {
      const tenant = await ctx.services.tenants.update(ctx.principal, tenantIdOf(ctx), body);
      // The fields the request set (limits by name): values stay out of the trail.
      const changedFields = [
        ...(body.name !== undefined ? ['name'] : []),
        ...Object.keys(body.limits ?? {}).map((limit) => `limits.${limit}`),
      ];
      return { statusCode: 200, body: await audited(ctx, 'audit.tenant.updated', tenant, { changedFields }) };
    },
  }),
  writeOperation({
    ...admin,
    method: 'POST',
    path: '/admin/tenants/{tenantId}/suspend',
    operationId: 'suspendTenant',
    summary:
      'Suspend a tenant: its next request is refused (403 tenant_suspended), its webhooks are held, not dropped; ' +
      'suspending a suspended tenant changes nothing',
    request: suspendTenantRequest,
    responses: {
      200: { description: 'The suspended tenant', schema: tenantResponse },
      ...notFound,
      409: problem('Changed concurrently; retry'),
    },
    run: async (ctx, body) => {
      const tenant = await ctx.services.tenants.suspend(ctx.principal, tenantIdOf(ctx), body.reason);
      return { statusCode: 200, body: await audited(ctx, 'audit.tenant.suspended', tenant, {}) };
    },
  }),
  writeOperation({
    ...admin,
    method: 'POST',
    path: '/admin/tenants/{tenantId}/reactivate',
    operationId: 'reactivateTenant',
    summary: 'Reactivate a suspended tenant: its calls are accepted again and its held webhooks go out, in order',
    request: z.strictObject({}),
    responses: {
      200: { description: 'The active tenant', schema: tenantResponse },
      ...notFound,
      409: problem('Changed concurrently; retry'),
    },
    run: async (ctx) => {
      const tenant = await ctx.services.tenants.reactivate(ctx.principal, tenantIdOf(ctx));
      return { statusCode: 200, body: await audited(ctx, 'audit.tenant.reactivated', tenant, {}) };
    },
  }),
];
