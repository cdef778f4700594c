import { DEFAULT_TENANT_LIMITS } from './credentials';
import type { Tenant, TenantThrottling } from './ports';

/** Where a tenant's usage identifier key is kept (the tenant item). */
export interface UsageKeyRecords {
  setUsageIdentifierKey(tenantId: string, usageIdentifierKey: string): Promise<void>;
}

/**
 * Puts a tenant under its API limits (its own, or the defaults) at the edge and records its usage identifier
 * key on the tenant, for the authorizer. Call it after creating a tenant and after changing its limits; it is
 * safe to repeat (the throttling reuses plan and key).
 * @example await applyTenantLimits({ tenantId, limits }, { throttling, tenants }) // 'Xb3…' (the usage key)
 */
export async function applyTenantLimits(
  tenant: Pick<Tenant, 'tenantId'> & Partial<Pick<Tenant, 'limits' | 'usageIdentifierKey'>>,
  deps: { throttling: TenantThrottling; tenants: UsageKeyRecords },
): Promise<string> {
  const { requestsPerSecond, burst } = tenant.limits ?? DEFAULT_TENANT_LIMITS;
  const usageIdentifierKey = await deps.throttling.apply(tenant.tenantId, { requestsPerSecond, burst });
  if (usageIdentifierKey !== tenant.usageIdentifierKey) {
    await deps.tenants.setUsageIdentifierKey(tenant.tenantId, usageIdentifierKey);
  }
  return usageIdentifierKey;
}
