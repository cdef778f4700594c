import type { Tenant } from '../domain/ports';
import { requireActiveTenant } from '../domain/tenants';
import { freshReads } from '../shared/fresh-reads';
import type { Services } from './operation-kit';

type TenantStore = Services['tenantStore'];
/** The status reads of each container's tenant store, shared by the requests that arrive together. */
const statusReads = new WeakMap<TenantStore, (tenantId: string) => Promise<Tenant | null>>();

/**
 * Suspension takes effect on the next request: the tenant's status is read for every tenant request, strongly
 * consistent (one read unit, a few milliseconds), so no cache (the authorizer's included) delays it. A suspended
 * tenant is answered 403 `tenant_suspended`. Requests arriving together share a read that started after they
 * arrived (`freshReads`), so a burst on one container does not queue for connections.
 */
export async function refuseSuspendedTenant(services: Pick<Services, 'tenantStore'>, tenantId: string) {
  const store = services.tenantStore;
  let read = statusReads.get(store);
  if (!read) {
    read = freshReads((id) => store.getTenant(id, { consistent: true }));
    statusReads.set(store, read);
  }
  requireActiveTenant(await read(tenantId));
}
