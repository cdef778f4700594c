import type { Tenant } from '../domain/ports';
import { requireActiveTenant } from '../domain/tenants';
import { freshReads } from '../shared/fresh-reads';
import type { Services } from './operation-kit';

type TenantStore = Services['tenantStore'];
/** The status reads of each container's tenant store, shared by the requests that arrive together. */
const statusReads = new WeakMap<TenantStore, (tenantId: string) => Promise<Pick<Tenant, 'status'> | null>>();

/**
 * Suspension takes effect on the next request: the tenant's status is read for every tenant request, strongly
 * consistent (one read unit, a few milliseconds), so no cache (the authorizer's included) delays it. A suspended
 * tenant is answered 403 `tenant_suspended`. The read goes to one of the status's replicas, each under its own
 * partition key and written with every change of the tenant, so one busy tenant's requests do not all load one
 * partition (decision 0012). Requests arriving together share a read that started after they arrived
 * (`freshReads`), so a burst on one container does not queue for connections.
 */
export async function refuseSuspendedTenant(services: Pick<Services, 'tenantStore'>, tenantId: string) {
  const store = services.tenantStore;
  let read = statusReads.get(store);
  if (!read) {
    read = freshReads((id) => store.getTenantStatus(id));
    statusReads.set(store, read);
  }
  requireActiveTenant(await read(tenantId));
}
