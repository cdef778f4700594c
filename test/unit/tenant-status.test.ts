import type { Services } from '../../functions/api/operation-kit';
import { refuseSuspendedTenant } from '../../functions/api/tenant-status';
import type { Tenant } from '../../functions/domain/ports';
import { Problem } from '../../functions/shared/problem';

/** A tenant store whose status reads finish only when told to, counted. */
function heldStatusReads() {
  const pending: ((status: Tenant['status']) => void)[] = [];
  const tenantStore = {
    getTenantStatus: () =>
      new Promise<Pick<Tenant, 'status'>>((resolve) => {
        pending.push((status) => {
          resolve({ status });
        });
      }),
  } as unknown as Services['tenantStore'];
  return { tenantStore, pending };
}

const outcome = (check: Promise<void>) =>
  check.then(
    () => 'served',
    (error: unknown) => (error as Problem).code,
  );

describe('refuseSuspendedTenant', () => {
  it('shares one status read among requests arriving together; a later request gets a read of its own', async () => {
    // Prepare
    const { tenantStore, pending } = heldStatusReads();

    // Act: three requests together, read while the tenant is active; a fourth arrives while that read is in flight
    // (after the suspension), and gets a read of its own.
    const together = [1, 2, 3].map(() => outcome(refuseSuspendedTenant({ tenantStore }, 't1')));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const later = outcome(refuseSuspendedTenant({ tenantStore }, 't1'));
    const readsWhileFirstInFlight = pending.length;
    pending[0]!('active');
    const first = await Promise.all(together);
    await new Promise((resolve) => setTimeout(resolve, 0));
    pending[1]!('suspended');

    // Assess
    expect(readsWhileFirstInFlight).toBe(1);
    expect(first).toEqual(['served', 'served', 'served']);
    expect(await later).toBe('tenant_suspended');
    expect(pending).toHaveLength(2);
  });
});
