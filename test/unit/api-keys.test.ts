import { apiKeyAuthenticator, type ApiKeyDirectory } from '../../functions/api/authorize-api-key';
import { ApiKeyService, type ApiKeyStore } from '../../functions/domain/api-key-service';
import {
  hashApiKey,
  keyIdOf,
  newApiKeySecret,
  rotated,
  statusOf,
  verifySecret,
  type ApiKey,
  type ApiKeyOwner,
} from '../../functions/domain/api-keys';
import { DEFAULT_TENANT_LIMITS, type Principal } from '../../functions/domain/credentials';
import type { Tenant } from '../../functions/domain/ports';
import { newId } from '../../functions/shared/ids';

const T0 = Date.parse('2026-12-01T10:00:00Z');
let nowMs = T0;
const clock = { now: () => new Date(nowMs) };
beforeEach(() => {
  nowMs = T0;
});

/** Keys in a map, as the table keeps them by id; a tenant exists when listed in `tenants`. */
function memoryKeys(tenants: Map<string, Tenant>) {
  const byId = new Map<string, ApiKey>();
  const uses: string[] = [];
  const store: ApiKeyStore & ApiKeyDirectory = {
    create: (key) => {
      if (key.owner.kind === 'tenant' && !tenants.has(key.owner.tenantId)) return Promise.resolve(false);
      byId.set(key.keyId, structuredClone(key));
      return Promise.resolve(true);
    },
    get: (keyId) => Promise.resolve(structuredClone(byId.get(keyId) ?? null)),
    getApiKey: (keyId) => Promise.resolve(structuredClone(byId.get(keyId) ?? null)),
    getTenant: (tenantId) => Promise.resolve(tenants.get(tenantId) ?? null),
    list: (owner: ApiKeyOwner) =>
      Promise.resolve({ items: [...byId.values()].filter((k) => JSON.stringify(k.owner) === JSON.stringify(owner)) }),
    replaceSecret: (key, expected) => {
      if (byId.get(key.keyId)?.secretHash !== expected) return Promise.resolve(false);
      byId.set(key.keyId, structuredClone(key));
      return Promise.resolve(true);
    },
    revoke: (keyId, at) => {
      const key = byId.get(keyId)!;
      byId.set(keyId, { ...key, status: 'revoked', revokedAt: at });
      return Promise.resolve();
    },
    recordUse: (keyId, at) => {
      uses.push(`${keyId}@${at}`);
      byId.set(keyId, { ...byId.get(keyId)!, lastUsedAt: at });
      return Promise.resolve();
    },
    hasActiveOperatorKey: () => Promise.resolve([...byId.values()].some((k) => k.owner.kind === 'operator')),
  };
  return { store, byId, uses };
}

const acme: Tenant = {
  tenantId: 'acme',
  name: 'Acme',
  status: 'active',
  limits: DEFAULT_TENANT_LIMITS,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const operator: Principal = { kind: 'operator', credentialId: 'opk_1', scopes: ['admin'] };
const manager = (scopes: Principal['scopes'] = ['credentials:manage', 'members:read']): Principal =>
  ({ kind: 'tenant', tenantId: 'acme', credentialId: 'key_1', scopes }) as Principal;

describe('API key secrets', () => {
  it('carry their key id, 256 random bits, and nothing else parses as one', () => {
    // Prepare
    const keyId = newId('key');

    // Act
    const apiKey = newApiKeySecret(keyId);

    // Assess
    expect(apiKey).toMatch(/^llk_key_[0-9A-Z]{26}_[\w-]{43}$/);
    expect(keyIdOf(apiKey)).toBe(keyId);
    expect(newApiKeySecret(keyId)).not.toBe(apiKey);
    for (const junk of [
      '',
      'llk_',
      `llk_${'x'.repeat(43)}`,
      `${apiKey}x`,
      `llk_key_${'I'.repeat(26)}_${'a'.repeat(43)}`,
    ]) {
      expect(keyIdOf(junk)).toBeNull();
    }
  });
});

describe('API key rules', () => {
  const key = (extra: Partial<ApiKey> = {}): ApiKey => ({
    keyId: 'key_1',
    owner: { kind: 'tenant', tenantId: 'acme' },
    name: 'k',
    scopes: ['members:read'],
    status: 'active',
    createdAt: new Date(T0).toISOString(),
    secretHash: hashApiKey('current'),
    ...extra,
  });

  it('accepts the current secret until the key expires, and no other secret', () => {
    // Prepare
    const expiring = key({ expiresAt: new Date(T0 + 60_000).toISOString() });

    // Act / Assess
    expect(verifySecret(expiring, hashApiKey('current'), new Date(T0))).toEqual({ validUntilMs: T0 + 60_000 });
    expect(verifySecret(expiring, hashApiKey('other'), new Date(T0))).toBeNull();
    expect(verifySecret(expiring, hashApiKey('current'), new Date(T0 + 60_000))).toBeNull();
    expect(statusOf(expiring, new Date(T0 + 60_000))).toBe('expired');
    expect(verifySecret(key({ status: 'revoked' }), hashApiKey('current'), new Date(T0))).toBeNull();
  });

  it('keeps the previous secret for the overlap after a rotation, then only the new one', () => {
    // Act
    const next = rotated(key(), hashApiKey('new'), 30, new Date(T0));

    // Assess
    expect(verifySecret(next, hashApiKey('current'), new Date(T0 + 29_999))).toEqual({ validUntilMs: T0 + 30_000 });
    expect(verifySecret(next, hashApiKey('current'), new Date(T0 + 30_000))).toBeNull();
    expect(verifySecret(next, hashApiKey('new'), new Date(T0 + 30_000))).not.toBeNull();
    expect(verifySecret(rotated(key(), hashApiKey('new'), 0, new Date(T0)), hashApiKey('current'), new Date(T0))).toBe(
      null,
    );
  });

  it('keeps the secret in use when a rotation is repeated during its overlap, with the sooner retirement', () => {
    // Prepare: rotated with an hour's overlap; the answer (secret "lost") never reached the caller.
    const first = rotated(key(), hashApiKey('lost'), 3_600, new Date(T0));

    // Act: rotated again ten seconds later with a minute's overlap.
    const second = rotated(first, hashApiKey('newest'), 60, new Date(T0 + 10_000));

    // Assess
    const at = new Date(T0 + 20_000);
    expect(verifySecret(second, hashApiKey('current'), at)).toEqual({ validUntilMs: T0 + 70_000 });
    expect(verifySecret(second, hashApiKey('lost'), at)).toBeNull();
    expect(verifySecret(second, hashApiKey('newest'), at)).not.toBeNull();
  });
});

describe('ApiKeyService', () => {
  it('hands out only scopes the calling credential holds; operators any tenant scope, never admin', async () => {
    // Prepare
    const { store } = memoryKeys(new Map([['acme', acme]]));
    const service = new ApiKeyService(store, clock);

    // Act
    const narrower = await service.createTenantKey(manager(), 'acme', { name: 'reader', scopes: ['members:read'] });
    const wider = service.createTenantKey(manager(), 'acme', { name: 'writer', scopes: ['members:write'] });
    const admin = service.createTenantKey(operator, 'acme', { name: 'root', scopes: ['admin'] });
    const onboarded = await service.createTenantKey(operator, 'acme', { name: 'first', scopes: ['points:write'] });

    // Assess
    expect(narrower.key).toMatchObject({ scopes: ['members:read'], status: 'active' });
    expect(narrower.key.secretHash).toBe(hashApiKey(narrower.apiKey));
    expect(JSON.stringify(narrower.key)).not.toContain(narrower.apiKey);
    await expect(wider).rejects.toMatchObject({ code: 'forbidden' });
    await expect(admin).rejects.toMatchObject({ code: 'validation_failed' });
    expect(onboarded.key.scopes).toEqual(['points:write']);
  });

  it("answers 404 for an unknown tenant and for another tenant's key, rotating and revoking only its own", async () => {
    // Prepare
    const tenants = new Map([
      ['acme', acme],
      ['beta', { ...acme, tenantId: 'beta' }],
    ]);
    const { store } = memoryKeys(tenants);
    const service = new ApiKeyService(store, clock);
    const betas = await service.createTenantKey(operator, 'beta', { name: 'b', scopes: ['members:read'] });
    const acmeOwner: ApiKeyOwner = { kind: 'tenant', tenantId: 'acme' };

    // Act / Assess
    await expect(
      service.createTenantKey(operator, 'nobody', { name: 'x', scopes: ['members:read'] }),
    ).rejects.toMatchObject({ code: 'tenant_not_found' });
    await expect(service.get(acmeOwner, betas.key.keyId)).rejects.toMatchObject({ code: 'api_key_not_found' });
    await expect(service.rotate(manager(), acmeOwner, betas.key.keyId, 60)).rejects.toMatchObject({
      code: 'api_key_not_found',
    });
    await expect(service.revoke(manager(), acmeOwner, betas.key.keyId)).rejects.toMatchObject({
      code: 'api_key_not_found',
    });
    expect((await service.get({ kind: 'tenant', tenantId: 'beta' }, betas.key.keyId)).status).toBe('active');
  });

  it('rotates only a key whose scopes the caller holds, and refuses an expiry in the past', async () => {
    // Prepare
    const { store } = memoryKeys(new Map([['acme', acme]]));
    const service = new ApiKeyService(store, clock);
    const owner: ApiKeyOwner = { kind: 'tenant', tenantId: 'acme' };
    const writer = await service.createTenantKey(operator, 'acme', { name: 'w', scopes: ['members:write'] });

    // Act / Assess
    await expect(service.rotate(manager(), owner, writer.key.keyId, 60)).rejects.toMatchObject({ code: 'forbidden' });
    const past = { name: 'old', scopes: ['members:read'], expiresAt: new Date(T0 - 1).toISOString() };
    await expect(service.createTenantKey(manager(), 'acme', past)).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });
});

describe('the API-key path of the authorizer', () => {
  async function setUp(cacheTtlMs = 30_000) {
    const tenants = new Map([['acme', { ...acme }]]);
    const keys = memoryKeys(tenants);
    const service = new ApiKeyService(keys.store, clock);
    const issued = await service.createTenantKey(operator, 'acme', { name: 'k', scopes: ['members:read'] });
    const authenticate = apiKeyAuthenticator(keys.store, clock, { cacheTtlMs });
    return { tenants, keys, service, issued, authenticate, owner: { kind: 'tenant', tenantId: 'acme' } as const };
  }

  it('resolves a key to its tenant and scopes, records its use at most once a minute', async () => {
    // Prepare
    const { issued, authenticate, keys } = await setUp();

    // Act
    const { principal } = await authenticate(issued.apiKey);
    nowMs += 59_000;
    await authenticate(issued.apiKey);
    nowMs += 1_000;
    await authenticate(issued.apiKey);

    // Assess
    expect(principal).toEqual({
      kind: 'tenant',
      tenantId: 'acme',
      credentialId: issued.key.keyId,
      scopes: ['members:read'],
    });
    expect(keys.uses).toHaveLength(2);
  });

  it('stops a revoked key or a suspended tenant within the cache time, and an expired key at its expiry', async () => {
    // Prepare
    const { issued, authenticate, service, tenants, owner } = await setUp(30_000);
    const expiring = await service.createTenantKey(operator, 'acme', {
      name: 'short',
      scopes: ['members:read'],
      expiresAt: new Date(T0 + 10_000).toISOString(),
    });
    await authenticate(issued.apiKey);
    await authenticate(expiring.apiKey);

    // Act
    await service.revoke(operator, owner, issued.key.keyId);
    const cachedMeanwhile = await authenticate(issued.apiKey);
    nowMs += 10_000;
    const expired = authenticate(expiring.apiKey);
    nowMs += 20_000;
    const revoked = authenticate(issued.apiKey);

    // Assess
    expect(cachedMeanwhile.principal.credentialId).toBe(issued.key.keyId);
    await expect(expired).rejects.toThrow('Unauthorized');
    await expect(revoked).rejects.toThrow('Unauthorized');
    const fresh = await service.createTenantKey(operator, 'acme', { name: 'f', scopes: ['members:read'] });
    tenants.set('acme', { ...acme, status: 'suspended' });
    // A suspended tenant's key still authenticates: the API answers 403 tenant_suspended on a fresh read.
    expect((await authenticate(fresh.apiKey)).principal.credentialId).toBe(fresh.key.keyId);
  });

  it('accepts the previous secret until its overlap ends (a cached answer: the cache time at most)', async () => {
    // Prepare: the old secret verified (and cached for 30 s) just before the rotation.
    const { issued, authenticate, service, owner } = await setUp(30_000);
    await authenticate(issued.apiKey);

    // Act: a 40 s overlap, read again once the cached answer ends at 30 s.
    const next = await service.rotate(operator, owner, issued.key.keyId, 40);
    nowMs += 39_999;
    const during = await authenticate(issued.apiKey);
    nowMs += 1;
    const after = authenticate(issued.apiKey);

    // Assess
    expect(during.principal.credentialId).toBe(issued.key.keyId);
    await expect(after).rejects.toThrow('Unauthorized');
    expect((await authenticate(next.apiKey)).principal.credentialId).toBe(issued.key.keyId);
    await expect(authenticate(`llk_${'x'.repeat(4096)}`)).rejects.toThrow('Unauthorized');
    await expect(authenticate('not a key')).rejects.toThrow('Unauthorized');
  });
});
