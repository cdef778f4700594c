import { DEFAULT_TENANT_LIMITS, type Principal } from '../../functions/domain/credentials';
import type { Page, Tenant, TenantStore, TenantThrottling, ThrottleLimits } from '../../functions/domain/ports';
import {
  createTenantRequest,
  newTenant,
  patchedLimits,
  reactivatedTenant,
  requireActiveTenant,
  requireEndpointAllowance,
  suspendedTenant,
  TenantAdmin,
  updatedTenant,
  updateTenantRequest,
} from '../../functions/domain/tenants';
import { Problem } from '../../functions/shared/problem';

/** The tenant rules (ids, limits, suspension) and the admin service over an in-memory store. */
const T0 = new Date('2026-12-01T10:00:00.000Z');
const T1 = new Date('2026-12-01T11:00:00.000Z');
const operator: Principal = { kind: 'operator', credentialId: 'opk_1', scopes: ['admin'] };

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as Problem).code;
  }
  return null;
};

class MemoryTenantStore implements TenantStore {
  readonly tenants = new Map<string, Tenant>();
  /** A change slipped in before the next save (once). */
  interfere?: (tenant: Tenant) => Tenant;

  getTenant(tenantId: string) {
    return Promise.resolve(this.tenants.get(tenantId) ?? null);
  }
  getTenantStatus(tenantId: string) {
    return this.getTenant(tenantId);
  }
  createTenant(tenant: Tenant) {
    if (this.tenants.has(tenant.tenantId)) return Promise.resolve(false);
    this.tenants.set(tenant.tenantId, tenant);
    return Promise.resolve(true);
  }
  saveTenant(tenant: Tenant, expectedUpdatedAt: string) {
    const current = this.tenants.get(tenant.tenantId);
    if (current && this.interfere) {
      this.tenants.set(tenant.tenantId, this.interfere(current));
      this.interfere = undefined;
    }
    if (this.tenants.get(tenant.tenantId)?.updatedAt !== expectedUpdatedAt) return Promise.resolve(false);
    this.tenants.set(tenant.tenantId, tenant);
    return Promise.resolve(true);
  }
  setUsageIdentifierKey(tenantId: string, usageIdentifierKey: string) {
    const tenant = this.tenants.get(tenantId);
    if (tenant) this.tenants.set(tenantId, { ...tenant, usageIdentifierKey });
    return Promise.resolve();
  }
  listTenants(query: { limit: number; cursor?: string }): Promise<Page<Tenant>> {
    const all = [...this.tenants.values()].filter((t) => !query.cursor || t.tenantId > query.cursor);
    const items = all.slice(0, query.limit);
    return Promise.resolve({
      items,
      ...(all.length > query.limit ? { nextCursor: items[items.length - 1]!.tenantId } : {}),
    });
  }
}

describe('tenant rules', () => {
  it('accepts ids of letters, digits, - and _ up to 64, and nothing that could break a key', () => {
    // Act
    const ok = ['acme', 'a', 'Acme_Hotels-2', 'x'.repeat(64)].map(
      (tenantId) => createTenantRequest.safeParse({ tenantId, name: 'N' }).success,
    );
    const refused = ['', 'has space', 'a#b', '../x', '-lead', 'x'.repeat(65), 'é'].map(
      (tenantId) => createTenantRequest.safeParse({ tenantId, name: 'N' }).success,
    );

    // Assess
    expect(ok).toEqual([true, true, true, true]);
    expect(refused.every((success) => !success)).toBe(true);
  });

  it('gives a new tenant the default limits, overridden by those the request names', () => {
    // Act
    const tenant = newTenant({ tenantId: 'acme', name: 'Acme', limits: { webhookEndpoints: 2 } }, T0);

    // Assess
    expect(tenant).toEqual({
      tenantId: 'acme',
      name: 'Acme',
      status: 'active',
      limits: { ...DEFAULT_TENANT_LIMITS, webhookEndpoints: 2 },
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    });
  });

  it('refuses a burst below the steady rate, limits out of range, unknown fields and empty patches', () => {
    // Act & Assess
    expect(codeOf(() => patchedLimits(DEFAULT_TENANT_LIMITS, { requestsPerSecond: 500 }))).toBe('validation_failed');
    expect(createTenantRequest.safeParse({ tenantId: 'a', name: 'A', limits: { burst: 0 } }).success).toBe(false);
    expect(createTenantRequest.safeParse({ tenantId: 'a', name: 'A', limits: { rps: 5 } }).success).toBe(false);
    expect(updateTenantRequest.safeParse({ limits: { webhookEndpoints: 1.5 } }).success).toBe(false);
    expect(updateTenantRequest.safeParse({}).success).toBe(false);
  });

  it('changes only what a patch names', () => {
    // Prepare
    const tenant = newTenant({ tenantId: 'acme', name: 'Acme' }, T0);

    // Act
    const renamed = updatedTenant(tenant, { name: 'Acme Group' }, T1);
    const raised = updatedTenant(tenant, { limits: { requestsPerSecond: 80, burst: 160 } }, T1);

    // Assess
    expect(renamed).toEqual({ ...tenant, name: 'Acme Group', updatedAt: T1.toISOString() });
    expect(raised.limits).toEqual({ ...DEFAULT_TENANT_LIMITS, requestsPerSecond: 80, burst: 160 });
  });

  it('suspends and reactivates; repeating either changes nothing', () => {
    // Prepare
    const tenant = newTenant({ tenantId: 'acme', name: 'Acme' }, T0);

    // Act
    const suspended = suspendedTenant(tenant, T1);
    const reactivated = reactivatedTenant(suspended, T1);

    // Assess
    expect(suspended).toMatchObject({ status: 'suspended', suspendedAt: T1.toISOString() });
    expect(suspendedTenant(suspended, new Date())).toBe(suspended);
    expect(reactivated.status).toBe('active');
    expect(reactivated).not.toHaveProperty('suspendedAt');
    expect(reactivatedTenant(tenant, T1)).toBe(tenant);
  });

  it('refuses a suspended tenant (403) and an unknown one (401); caps endpoints at the limit', () => {
    // Prepare
    const tenant = newTenant({ tenantId: 'acme', name: 'Acme', limits: { webhookEndpoints: 2 } }, T0);

    // Act & Assess
    expect(requireActiveTenant(tenant)).toBe(tenant);
    expect(codeOf(() => requireActiveTenant(suspendedTenant(tenant, T1)))).toBe('tenant_suspended');
    expect(codeOf(() => requireActiveTenant(null))).toBe('unauthorized');
    expect(
      codeOf(() => {
        requireEndpointAllowance(1, tenant.limits);
      }),
    ).toBeNull();
    expect(
      codeOf(() => {
        requireEndpointAllowance(2, tenant.limits);
      }),
    ).toBe('limit_exceeded');
  });
});

/** The edge's throttling as the admin service sees it: which limits each tenant was put under. */
class RecordingThrottling implements TenantThrottling {
  readonly applied: { tenantId: string; limits: ThrottleLimits }[] = [];
  apply(tenantId: string, limits: ThrottleLimits) {
    this.applied.push({ tenantId, limits });
    return Promise.resolve(`usage-${tenantId}`);
  }
}

describe('tenant admin service (in-memory store)', () => {
  it('puts a new tenant under its limits at the edge, and again after a change of limits', async () => {
    // Prepare
    const store = new MemoryTenantStore();
    const throttling = new RecordingThrottling();
    const admin = new TenantAdmin(store, { now: () => T0 }, throttling);

    // Act
    await admin.create(operator, { tenantId: 'acme', name: 'Acme', limits: { requestsPerSecond: 5, burst: 10 } });
    await admin.update(operator, 'acme', { limits: { requestsPerSecond: 7 } });

    // Assess
    expect(throttling.applied).toEqual([
      { tenantId: 'acme', limits: { requestsPerSecond: 5, burst: 10 } },
      { tenantId: 'acme', limits: { requestsPerSecond: 7, burst: 10 } },
    ]);
    expect(store.tenants.get('acme')?.usageIdentifierKey).toBe('usage-acme');
  });

  it('creates once, then answers tenant_exists; unknown tenants are tenant_not_found', async () => {
    // Prepare
    const admin = new TenantAdmin(new MemoryTenantStore(), { now: () => T0 }, new RecordingThrottling());
    await admin.create(operator, { tenantId: 'acme', name: 'Acme' });

    // Act & Assess
    await expect(admin.create(operator, { tenantId: 'acme', name: 'Again' })).rejects.toMatchObject({
      code: 'tenant_exists',
    });
    await expect(admin.get('nobody')).rejects.toMatchObject({ code: 'tenant_not_found' });
    await expect(admin.suspend(operator, 'nobody')).rejects.toMatchObject({ code: 'tenant_not_found' });
  });

  it('applies a change over a concurrent one instead of overwriting it', async () => {
    // Prepare: a rename lands between the suspension's read and its write.
    const store = new MemoryTenantStore();
    const admin = new TenantAdmin(store, { now: () => T1 }, new RecordingThrottling());
    await admin.create(operator, { tenantId: 'acme', name: 'Acme' });
    store.interfere = (tenant) => ({ ...tenant, name: 'Renamed meanwhile', updatedAt: '2026-12-01T10:30:00.000Z' });

    // Act
    const suspended = await admin.suspend(operator, 'acme');

    // Assess
    expect(suspended).toMatchObject({ name: 'Renamed meanwhile', status: 'suspended' });
    expect(await store.getTenant('acme')).toEqual(suspended);
  });
});
