import { requireActiveTenant } from '../domain/tenants';
import type { Services } from './operation-kit';

/**
 * Suspension takes effect on the next request: the tenant's status is read for every tenant request, strongly
 * consistent (one read unit, a few milliseconds), so no cache (the authorizer's included) delays it. A suspended
 * tenant is answered 403 `tenant_suspended`.
 */
export async function refuseSuspendedTenant(services: Pick<Services, 'tenantStore'>, tenantId: string) {
  requireActiveTenant(await services.tenantStore.getTenant(tenantId, { consistent: true }));
}
