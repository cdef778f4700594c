import type { TenantThrottling, ThrottleLimits } from '../domain/ports';

/**
 * The twin's throttling: its gateway keeps a token bucket per usage identifier and takes the limits from the
 * authorizer's answer (which reads them from the tenant item), so applying limits creates nothing. The key is
 * derived from the tenant: stable across calls, as the deployed key is.
 */
export class LocalThrottling implements TenantThrottling {
  apply(tenantId: string, _limits: ThrottleLimits): Promise<string> {
    return Promise.resolve(`local-usage-${tenantId}`);
  }
}
