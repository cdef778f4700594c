import { randomBytes } from 'node:crypto';
import { table } from '../../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { runScript } from '../support/run-script';
import { tenantTable } from '../support/tenant-fixtures';
import { twinApi } from '../support/twin-api';
import { useTwin } from '../support/twin-process';

/**
 * The API key lifecycle on the twin, through the API as a tenant uses it: create → use → list (last use, no
 * secret) → rotate (the old secret works for the overlap, then stops) → revoke; expiry; another tenant's key ids;
 * the operators' route and the admin CLI. The authorizer trusts a verified key for 1 s here (30 s deployed), so a
 * change is seen after a short wait.
 */
const CACHE_MS = 1_000;
const twin = useTwin([], { AUTHORIZER_CACHE_TTL_MS: String(CACHE_MS) });
const run = randomBytes(3).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface IssuedKey {
  keyId: string;
  apiKey: string;
  name: string;
  scopes: string[];
  status: string;
  lastUsedAt?: string;
  previousSecretRetiresAt?: string;
}

let managerA: string;
let managerB: string;
const tenantA = `keys-a-${run}`;
const tenantB = `keys-b-${run}`;

beforeAll(async () => {
  const tenants = tenantTable(twin);
  try {
    [managerA, managerB] = await Promise.all([tenants.issueKey(tenantA), tenants.issueKey(tenantB)]);
  } finally {
    tenants.destroy();
  }
});

/** The API as the holder of `apiKey`; writes here take no Idempotency-Key. */
const as = (apiKey: string) => {
  const api = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey } });
  return <T = Record<string, unknown>>(path: string, body?: unknown) =>
    api<T>(path, body === undefined ? {} : { body, idempotent: false });
};
const statusWith = async (apiKey: string) => (await as(apiKey)('/v1/members?limit=1')).status;

describe('API keys', () => {
  it('creates a key shown once, lists it with its last use and never its secret', async () => {
    // Act
    const created = await as(managerA)<IssuedKey>('/v1/api-keys', { name: 'reader', scopes: ['members:read'] });
    const used = await statusWith(created.body.apiKey);
    const listed = await as(managerA)<{ items: IssuedKey[] }>('/v1/api-keys');
    const one = await as(managerA)<IssuedKey>(`/v1/api-keys/${created.body.keyId}`);

    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'reader', scopes: ['members:read'], status: 'active' });
    expect(used).toBe(200);
    const mine = listed.body.items.find((item) => item.keyId === created.body.keyId);
    expect(mine).toMatchObject({ status: 'active', lastUsedAt: expect.any(String) });
    expect(JSON.stringify(listed.body) + JSON.stringify(one.body)).not.toContain(created.body.apiKey);
    expect(one.body).not.toHaveProperty('apiKey');
    expect(await statusWith(managerA)).toBe(200);
  });

  it('hands out only scopes the calling key holds', async () => {
    // Prepare
    const created = await as(managerA)<IssuedKey>('/v1/api-keys', {
      name: 'key manager',
      scopes: ['credentials:manage'],
    });

    // Act
    const wider = await as(created.body.apiKey)('/v1/api-keys', { name: 'x', scopes: ['members:write'] });
    const same = await as(created.body.apiKey)('/v1/api-keys', { name: 'y', scopes: ['credentials:manage'] });

    // Assess
    expect(wider.status).toBe(403);
    expect(same.status).toBe(201);
  });

  it('rotates: the old secret works for the overlap, then 401; the new one goes on; revoked, 401', async () => {
    // Prepare
    const created = await as(managerA)<IssuedKey>('/v1/api-keys', { name: 'rotating', scopes: ['members:read'] });
    expect(await statusWith(created.body.apiKey)).toBe(200);

    // Act: a 2 s overlap.
    const rotated = await as(managerA)<IssuedKey>(`/v1/api-keys/${created.body.keyId}/rotate`, {
      overlapSeconds: 2,
    });
    const oldDuring = await statusWith(created.body.apiKey);
    const newDuring = await statusWith(rotated.body.apiKey);
    await sleep(2_000 + CACHE_MS + 500);
    const oldAfter = await statusWith(created.body.apiKey);
    const newAfter = await statusWith(rotated.body.apiKey);
    const revoked = await as(managerA)<IssuedKey>(`/v1/api-keys/${created.body.keyId}/revoke`, {});
    await sleep(CACHE_MS + 500);
    const newRevoked = await statusWith(rotated.body.apiKey);

    // Assess
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ keyId: created.body.keyId, previousSecretRetiresAt: expect.any(String) });
    expect(rotated.body.apiKey).not.toBe(created.body.apiKey);
    expect([oldDuring, newDuring, oldAfter, newAfter]).toEqual([200, 200, 401, 200]);
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expect(newRevoked).toBe(401);
    expect((await as(managerA)(`/v1/api-keys/${created.body.keyId}/rotate`, { overlapSeconds: 0 })).status).toBe(409);
  }, 30_000);

  it('stops an expired key at its expiry', async () => {
    // Prepare
    const expiresAt = new Date(Date.now() + 2_000).toISOString();
    const created = await as(managerA)<IssuedKey>('/v1/api-keys', {
      name: 'brief',
      scopes: ['members:read'],
      expiresAt,
    });

    // Act
    const before = await statusWith(created.body.apiKey);
    await sleep(Date.parse(expiresAt) - Date.now() + 200);
    const after = await statusWith(created.body.apiKey);
    const shown = await as(managerA)<IssuedKey>(`/v1/api-keys/${created.body.keyId}`);

    // Assess
    expect([before, after]).toEqual([200, 401]);
    expect(shown.body.status).toBe('expired');
  }, 15_000);

  it("answers 404 for another tenant's key ids and lists only the caller's own keys", async () => {
    // Prepare
    const created = await as(managerA)<IssuedKey>('/v1/api-keys', { name: 'of A', scopes: ['members:read'] });
    const path = `/v1/api-keys/${created.body.keyId}`;

    // Act
    const read = await as(managerB)<{ code: string }>(path);
    const rotate = await as(managerB)<{ code: string }>(`${path}/rotate`, { overlapSeconds: 0 });
    const revoke = await as(managerB)<{ code: string }>(`${path}/revoke`, {});
    const list = await as(managerB)<{ items: IssuedKey[] }>('/v1/api-keys?limit=100');

    // Assess
    expect([read.status, rotate.status, revoke.status]).toEqual([404, 404, 404]);
    expect(read.body.code).toBe('api_key_not_found');
    expect(list.body.items.map((item) => item.keyId)).not.toContain(created.body.keyId);
    expect(await statusWith(created.body.apiKey)).toBe(200);
  });

  it("lets operators issue a tenant's key, 404 for a tenant that does not exist, 403 for a tenant's key", async () => {
    // Act
    const operator = as(twin.demo.operatorKey);
    const issued = await operator<IssuedKey>(`/admin/tenants/${tenantA}/api-keys`, {
      name: 'onboarding',
      scopes: ['members:read', 'credentials:manage'],
    });
    const nobody = await operator<{ code: string }>(`/admin/tenants/nobody-${run}/api-keys`, {
      name: 'x',
      scopes: ['members:read'],
    });
    const byTenant = await as(managerA)(`/admin/tenants/${tenantA}/api-keys`, { name: 'x', scopes: ['members:read'] });
    const operatorOnTenantRoute = await statusWith(twin.demo.operatorKey);

    // Assess
    expect(issued.status).toBe(201);
    expect(await statusWith(issued.body.apiKey)).toBe(200);
    expect([nobody.status, nobody.body.code]).toEqual([404, 'tenant_not_found']);
    expect(byTenant.status).toBe(403);
    expect(operatorOnTenantRoute).toBe(403);
  });

  it('bootstraps an operator key with table access once (--another for more); keys create uses it', async () => {
    // Prepare: the table as a deployer reaches it.
    const aws = {
      AWS_ENDPOINT_URL_DYNAMODB: twin.endpoints.dynamodb,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    };
    const admin = (args: string[], env: Record<string, string> = {}) =>
      runScript('scripts/admin/main.ts', args, { ...aws, ...env });

    // Act: the twin's seed made one already.
    const refused = await admin(['bootstrap', '--table', table.localName]);
    const another = await admin(['bootstrap', '--table', table.localName, '--another', '--name', 'second']);
    const operatorKey = another.stdout.trim();
    const created = await admin(
      ['--url', twin.apiUrl, 'keys', 'create', tenantB, '--name', 'cli', '--scopes', 'members:read'],
      { LOYALTY_OPERATOR_KEY: operatorKey },
    );

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('an active operator key exists already');
    expect(another.code).toBe(0);
    expect(operatorKey).toMatch(/^llk_opk_[0-9A-Z]{26}_[\w-]{43}$/);
    expect(another.stderr).not.toContain(operatorKey);
    expect(created.code).toBe(0);
    expect(await statusWith((JSON.parse(created.stdout) as { apiKey: string }).apiKey)).toBe(200);
  }, 60_000);
});
