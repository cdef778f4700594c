import * as z from '../shared/zod';
import { Problem } from '../shared/problem';
import { DEFAULT_TENANT_LIMITS, type Principal, type TenantLimits } from './credentials';
import type { Page, Tenant, TenantStore, TenantThrottling } from './ports';
import { applyTenantLimits } from './tenant-throttling';

/**
 * Tenants as the platform team runs them: onboarding (id, name, limits), changes, suspension and
 * reactivation. Pure rules first (what a new or changed tenant looks like, which limits a request
 * may set), then the service that applies them through the `TenantStore` port. Every mutation takes
 * the acting principal, so the audit trail names who did it.
 */

/** Tenant ids become parts of table keys (`TENANT#<id>`): letters, digits, '-' and '_', at most 64. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** How far an operator may raise a limit: beyond, a typo (an extra zero) rather than a plan. */
const LIMIT_CEILINGS: TenantLimits = {
  requestsPerSecond: 10_000,
  burst: 20_000,
  webhookEndpoints: 1_000,
  feedConsumers: 1_000,
};

const limit = (name: keyof TenantLimits, min: number) =>
  z.optional(z.number().check(z.int(), z.gte(min), z.lte(LIMIT_CEILINGS[name])));

/** Limits a request sets; those left out keep their value (the defaults for a new tenant). */
export const limitsPatch = z.strictObject({
  requestsPerSecond: limit('requestsPerSecond', 1).check(z.describe('Steady API requests per second')),
  burst: limit('burst', 1).check(z.describe('Requests allowed at once above the steady rate')),
  webhookEndpoints: limit('webhookEndpoints', 0).check(z.describe('Webhook endpoints the tenant may register')),
  feedConsumers: limit('feedConsumers', 0).check(z.describe('Event feed consumers the tenant may hold')),
});
export type LimitsPatch = z.output<typeof limitsPatch>;

const tenantName = z.string().check(z.trim(), z.minLength(1), z.maxLength(200));

export const createTenantRequest = z.strictObject({
  tenantId: z.string().check(z.regex(TENANT_ID_PATTERN, "Letters, digits, '-' and '_' (at most 64), starting alnum")),
  name: tenantName,
  limits: z.optional(limitsPatch),
});
export type CreateTenantRequest = z.output<typeof createTenantRequest>;

export const updateTenantRequest = z
  .strictObject({ name: z.optional(tenantName), limits: z.optional(limitsPatch) })
  .check(
    z.refine((patch) => patch.name !== undefined || patch.limits !== undefined, 'Give a name or limits to change'),
  );
export type UpdateTenantRequest = z.output<typeof updateTenantRequest>;

export const suspendTenantRequest = z.strictObject({
  reason: z
    .optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(500)))
    .check(z.describe('Why, for the audit trail')),
});

/** Limits after a patch: what it names changes, the rest stays; a burst below the steady rate is refused. */
export function patchedLimits(current: TenantLimits, patch: LimitsPatch | undefined): TenantLimits {
  const limits: TenantLimits = { ...current, ...patch };
  if (limits.burst < limits.requestsPerSecond) {
    throw new Problem('validation_failed', 'burst must be at least requestsPerSecond (a bucket holds one second)');
  }
  return limits;
}

/** A new, active tenant. */
export function newTenant(request: CreateTenantRequest, now: Date): Tenant {
  const at = now.toISOString();
  return {
    tenantId: request.tenantId,
    name: request.name,
    status: 'active',
    limits: patchedLimits(DEFAULT_TENANT_LIMITS, request.limits),
    createdAt: at,
    updatedAt: at,
  };
}

/** The tenant with a new name or limits. */
export function updatedTenant(tenant: Tenant, patch: UpdateTenantRequest, now: Date): Tenant {
  return {
    ...tenant,
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    limits: patchedLimits(tenant.limits, patch.limits),
    updatedAt: now.toISOString(),
  };
}

/** Suspended from now on; suspending a suspended tenant changes nothing (its first suspension time stays). */
export function suspendedTenant(tenant: Tenant, now: Date): Tenant {
  if (tenant.status === 'suspended') return tenant;
  const at = now.toISOString();
  return { ...tenant, status: 'suspended', suspendedAt: at, updatedAt: at };
}

/** Active again; reactivating an active tenant changes nothing. */
export function reactivatedTenant(tenant: Tenant, now: Date): Tenant {
  if (tenant.status === 'active') return tenant;
  const { suspendedAt: _suspendedAt, ...rest } = tenant;
  return { ...rest, status: 'active', updatedAt: now.toISOString() };
}

/** A tenant may register another webhook endpoint while it has fewer than its limit allows. */
export function requireEndpointAllowance(registered: number, limits: TenantLimits): void {
  if (registered >= limits.webhookEndpoints) {
    throw new Problem(
      'limit_exceeded',
      `The tenant may register ${limits.webhookEndpoints} webhook endpoint(s) and has ${registered}; ` +
        'delete one or ask the platform team to raise the limit',
    );
  }
}

/** A suspended tenant's calls are refused; an unknown tenant's credential is no credential. */
export function requireActiveTenant<T extends Pick<Tenant, 'status'>>(tenant: T | null): T {
  if (!tenant) throw new Problem('unauthorized');
  if (tenant.status === 'suspended') throw new Problem('tenant_suspended');
  return tenant;
}

/** How many times a change is tried over a concurrent one before the caller is told. */
const CHANGE_TRIES = 3;

/**
 * The admin side of tenants. Changes are read-modify-write over the version read (`updatedAt`),
 * tried again when another change got in between.
 */
export class TenantAdmin {
  constructor(
    private readonly store: TenantStore,
    private readonly clock: { now(): Date },
    private readonly throttling: TenantThrottling,
  ) {}

  /** Creates the tenant and puts it under its API limits at the edge (its usage plan), so its calls pass. */
  async create(_actor: Principal, request: CreateTenantRequest): Promise<Tenant> {
    const tenant = newTenant(request, this.clock.now());
    if (!(await this.store.createTenant(tenant))) {
      throw new Problem('tenant_exists', `Tenant ${request.tenantId} exists already`);
    }
    return this.throttled(tenant);
  }

  /**
   * The tenant under its current limits at the edge. Repeating it is harmless (the plan and key are reused), so an
   * update applies it whatever changed: a create whose edge step failed is mended by the next update.
   */
  private async throttled(tenant: Tenant): Promise<Tenant> {
    const usageIdentifierKey = await applyTenantLimits(tenant, { throttling: this.throttling, tenants: this.store });
    return { ...tenant, usageIdentifierKey };
  }

  list(query: { limit: number; cursor?: string }): Promise<Page<Tenant>> {
    return this.store.listTenants(query);
  }

  async get(tenantId: string): Promise<Tenant> {
    const tenant = await this.store.getTenant(tenantId);
    if (!tenant) throw new Problem('tenant_not_found', `No tenant ${tenantId}`);
    return tenant;
  }

  async update(_actor: Principal, tenantId: string, patch: UpdateTenantRequest): Promise<Tenant> {
    return this.throttled(await this.change(tenantId, (tenant, now) => updatedTenant(tenant, patch, now)));
  }

  suspend(_actor: Principal, tenantId: string, _reason?: string): Promise<Tenant> {
    return this.change(tenantId, suspendedTenant);
  }

  reactivate(_actor: Principal, tenantId: string): Promise<Tenant> {
    return this.change(tenantId, reactivatedTenant);
  }

  private async change(tenantId: string, apply: (tenant: Tenant, now: Date) => Tenant): Promise<Tenant> {
    for (let tries = 0; tries < CHANGE_TRIES; tries++) {
      const current = await this.get(tenantId);
      const next = apply(current, this.clock.now());
      if (next === current) return current;
      if (await this.store.saveTenant(next, current.updatedAt)) return next;
    }
    throw new Problem('tenant_conflict');
  }
}
