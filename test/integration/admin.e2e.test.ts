import { randomBytes } from 'node:crypto';
import { DEFAULT_TENANT_LIMITS } from '../../functions/domain/credentials';
import { runScript } from '../support/run-script';
import { tenantTable } from '../support/tenant-fixtures';
import { configureReceiver, keyedApi, receivedHooks, twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * Operators and tenants on the twin: the admin API with an operator key (and only with one), suspension refusing
 * the tenant's next request and holding its webhooks until reactivation, the webhook endpoint limit, and the admin
 * CLI over HTTP.
 */
const twin = useTwin();
const run = randomBytes(3).toString('hex');
let operatorKey: string;
/** A key of an existing tenant holding every tenant scope. */
let tenantKey: string;

beforeAll(async () => {
  const tenants = tenantTable(twin);
  try {
    operatorKey = await tenants.issueOperatorKey();
    tenantKey = await tenants.issueKey(`adm-all-${run}`);
  } finally {
    tenants.destroy();
  }
}, 60_000);

interface TenantBody {
  tenantId: string;
  name: string;
  status: 'active' | 'suspended';
  limits: typeof DEFAULT_TENANT_LIMITS;
  createdAt: string;
  updatedAt: string;
  suspendedAt?: string;
}

/** What the tests read of an answer: a tenant, a page of them, or a problem. */
interface Answer {
  status: number;
  body: TenantBody & { code?: string; items: TenantBody[]; nextCursor?: string };
}

const api = keyedApi(twin);
/** A contract-checked call with a key (an Idempotency-Key on every write); the status and the parsed body. */
const call = (key: string, method: string, path: string, body?: unknown) =>
  api<Answer['body']>(key, method, path, body);
const asOperator = (method: string, path: string, body?: unknown) => call(operatorKey, method, path, body);

/** A new tenant through the admin API, and a key of it with every tenant scope. */
async function onboard(tenantId: string, limits?: Partial<typeof DEFAULT_TENANT_LIMITS>) {
  const created = await asOperator('POST', '/admin/tenants', { tenantId, name: `Tenant ${tenantId}`, limits });
  expect(created.status).toBe(201);
  const tenants = tenantTable(twin);
  try {
    return await tenants.issueKey(tenantId);
  } finally {
    tenants.destroy();
  }
}

const ADMIN_ROUTES: [string, string, unknown?][] = [
  ['POST', '/admin/tenants', { tenantId: `x-${run}`, name: 'X' }],
  ['GET', '/admin/tenants'],
  ['GET', `/admin/tenants/adm-all-${run}`],
  ['PATCH', `/admin/tenants/adm-all-${run}`, { name: 'Renamed' }],
  ['POST', `/admin/tenants/adm-all-${run}/suspend`, {}],
  ['POST', `/admin/tenants/adm-all-${run}/reactivate`, {}],
];

describe('admin API', () => {
  it('onboards, lists, reads, changes, suspends and reactivates tenants with an operator key', async () => {
    // Act
    const created = await asOperator('POST', '/admin/tenants', {
      tenantId: `acme-${run}`,
      name: 'Acme Hotels',
      limits: { webhookEndpoints: 3 },
    });
    const again = await asOperator('POST', '/admin/tenants', { tenantId: `acme-${run}`, name: 'Acme again' });
    const invalid = await asOperator('POST', '/admin/tenants', { tenantId: 'has spaces', name: 'Bad' });
    await asOperator('POST', '/admin/tenants', { tenantId: `beta-${run}`, name: 'Beta Air' });
    const firstPage = await asOperator('GET', '/admin/tenants?limit=1');
    const pages: TenantBody[] = [...firstPage.body.items];
    for (let cursor = firstPage.body.nextCursor; cursor;) {
      const page = await asOperator('GET', `/admin/tenants?limit=1&cursor=${cursor}`);
      pages.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    const patched = await asOperator('PATCH', `/admin/tenants/acme-${run}`, {
      name: 'Acme Hotels Group',
      limits: { requestsPerSecond: 20, burst: 40 },
    });
    const badLimits = await asOperator('PATCH', `/admin/tenants/acme-${run}`, { limits: { burst: 5 } });
    const suspended = await asOperator('POST', `/admin/tenants/acme-${run}/suspend`, { reason: 'unpaid invoice' });
    const suspendedAgain = await asOperator('POST', `/admin/tenants/acme-${run}/suspend`, {});
    const reactivated = await asOperator('POST', `/admin/tenants/acme-${run}/reactivate`, {});
    const missing = await asOperator('GET', `/admin/tenants/nobody-${run}`);

    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      tenantId: `acme-${run}`,
      name: 'Acme Hotels',
      status: 'active',
      limits: { ...DEFAULT_TENANT_LIMITS, webhookEndpoints: 3 },
    });
    expect([again.status, again.body.code]).toEqual([409, 'tenant_exists']);
    expect([invalid.status, invalid.body.code]).toEqual([400, 'validation_failed']);
    const ids = pages.map((tenant) => tenant.tenantId);
    expect(ids).toEqual(expect.arrayContaining([`acme-${run}`, `beta-${run}`, `adm-all-${run}`]));
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(patched.body).toMatchObject({
      name: 'Acme Hotels Group',
      limits: { requestsPerSecond: 20, burst: 40, webhookEndpoints: 3, feedConsumers: 5 },
    });
    expect(badLimits.body.code).toBe('validation_failed');
    expect(suspended.body).toMatchObject({ status: 'suspended', suspendedAt: expect.any(String) });
    expect(suspendedAgain.body.suspendedAt).toBe(suspended.body.suspendedAt);
    expect(reactivated.body.status).toBe('active');
    expect(reactivated.body.suspendedAt).toBeUndefined();
    expect([missing.status, missing.body.code]).toEqual([404, 'tenant_not_found']);
  }, 60_000);

  it('refuses tenant keys (every tenant scope) on admin routes and operator keys on tenant routes', async () => {
    // Act
    const asTenant = await Promise.all(
      ADMIN_ROUTES.map(async ([method, path, body]) => [method, path, await call(tenantKey, method, path, body)]),
    );
    const asOperatorOnV1 = await Promise.all(
      [
        ['GET', '/v1/members'],
        ['POST', '/v1/members', { externalId: `op-${run}` }],
        ['GET', '/v1/programme'],
        ['GET', '/v1/webhooks/endpoints'],
      ].map(async ([method, path, body]) => [
        method,
        path,
        await call(operatorKey, method as string, path as string, body),
      ]),
    );

    // Assess
    for (const [method, path, answer] of [...asTenant, ...asOperatorOnV1]) {
      const { status, body } = answer as { status: number; body: { code: string } };
      expect([method, path, status, body.code]).toEqual([method, path, 403, 'forbidden']);
    }
    expect((await asOperator('GET', `/admin/tenants/x-${run}`)).status).toBe(404);
  }, 60_000);

  it('refuses a suspended tenant on its very next request and serves it again once reactivated', async () => {
    // Prepare
    const tenantId = `susp-${run}`;
    const key = await onboard(tenantId);
    expect((await call(key, 'GET', '/v1/members')).status).toBe(200);

    // Act
    await asOperator('POST', `/admin/tenants/${tenantId}/suspend`, {});
    const refused = await call(key, 'GET', '/v1/members');
    const refusedWrite = await call(key, 'POST', '/v1/members', { externalId: `e-${run}` });
    await asOperator('POST', `/admin/tenants/${tenantId}/reactivate`, {});
    const served = await call(key, 'GET', '/v1/members');

    // Assess
    expect([refused.status, refused.body.code]).toEqual([403, 'tenant_suspended']);
    expect([refusedWrite.status, refusedWrite.body.code]).toEqual([403, 'tenant_suspended']);
    expect(served.status).toBe(200);
  }, 60_000);

  it('caps webhook endpoints at the tenant limit', async () => {
    // Prepare
    const key = await onboard(`cap-${run}`, { webhookEndpoints: 1 });
    const endpoint = { url: `${twin.receiverUrl}/hooks/cap-${run}`, eventTypes: ['*'] };

    // Act
    const first = await call(key, 'POST', '/v1/webhooks/endpoints', endpoint);
    const second = await call(key, 'POST', '/v1/webhooks/endpoints', endpoint);
    await asOperator('PATCH', `/admin/tenants/cap-${run}`, { limits: { webhookEndpoints: 2 } });
    const afterRaise = await call(key, 'POST', '/v1/webhooks/endpoints', endpoint);

    // Assess
    expect(first.status).toBe(201);
    expect([second.status, second.body.code]).toEqual([409, 'limit_exceeded']);
    expect(afterRaise.status).toBe(201);
  }, 60_000);

  it("holds a suspended tenant's webhooks and delivers every one, in order, after reactivation", async () => {
    // Prepare: an endpoint refusing every attempt with a pause, so the events wait while the suspension lands.
    const tenantId = `hold-${run}`;
    const key = await onboard(tenantId);
    const api = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: key } });
    const receiver = `hold-${run}`;
    const endpoint = await api<{ subscriptionId: string; secret: string }>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/${receiver}`, eventTypes: ['*'] },
      idempotent: false,
    });
    await configureReceiver(twin, receiver, {
      secrets: [endpoint.body.secret],
      failure: { status: 503, times: 1000, retryAfter: '3' },
    });
    const members: string[] = [];
    for (const externalId of [`h1-${run}`, `h2-${run}`]) {
      const { body } = await api<{ memberId: string }>('/v1/members', { body: { externalId } });
      members.push(body.memberId);
      for (let i = 0; i < 3; i++) {
        await api(`/v1/members/${body.memberId}/points/earn`, { body: { amountPoints: 10 + i, reason: 'stay' } });
      }
    }
    const produced = 8; // per member: enrolled and three earnings
    await waitFor(async () => ((await receivedHooks(twin, receiver)).length > 0 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the first (refused) attempt',
    });

    // Act: suspend while the endpoint is paused; the endpoint recovers once the workers' one-second view of the
    // tenant has expired; wait well past the pause; reactivate.
    await asOperator('POST', `/admin/tenants/${tenantId}/suspend`, {});
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await configureReceiver(twin, receiver, { failure: null });
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const whileSuspended = (await receivedHooks(twin, receiver)).filter((hook) => hook.answered < 300);
    await asOperator('POST', `/admin/tenants/${tenantId}/reactivate`, {});
    const delivered = await waitFor(
      async () => {
        const hooks = (await receivedHooks(twin, receiver)).filter((hook) => hook.answered < 300 && hook.verified);
        return hooks.length >= produced ? hooks : undefined;
      },
      { timeoutMs: 60_000, what: 'every held webhook' },
    );

    // Assess: nothing went out while suspended; afterwards each event once, in order per member, no dead letter.
    expect(whileSuspended).toEqual([]);
    const ids = delivered.map((hook) => hook.body!.id);
    expect(new Set(ids).size).toBe(produced);
    for (const memberId of members) {
      const seqs = delivered.filter((hook) => hook.body!.memberId === memberId).map((hook) => hook.body!.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(seqs).toHaveLength(4);
    }
    const dead = await api<{ items: unknown[] }>(`/v1/webhooks/endpoints/${endpoint.body.subscriptionId}/dead-letters`);
    expect(dead.body.items).toEqual([]);
  }, 120_000);
});

describe('admin CLI', () => {
  const admin = (args: string[], env: Record<string, string> = {}) =>
    runScript('scripts/admin/main.ts', args, {
      LOYALTY_API_URL: twin.apiUrl,
      LOYALTY_OPERATOR_KEY: operatorKey,
      ...env,
    });

  it('onboards and runs a tenant over HTTP, JSON on stdout', async () => {
    // Act
    const tenantId = `cli-${run}`;
    const created = await admin([
      'tenants',
      'create',
      '--id',
      tenantId,
      '--name',
      'Cli Co',
      '--webhook-endpoints',
      '2',
    ]);
    const updated = await admin(['tenants', 'update', tenantId, '--rps', '5', '--burst', '10']);
    const suspended = await admin(['tenants', 'suspend', tenantId, '--reason', 'test']);
    const reactivated = await admin(['tenants', 'reactivate', tenantId]);
    const got = await admin(['--url', twin.apiUrl, 'tenants', 'get', tenantId], { LOYALTY_API_URL: '' });
    const listed = await admin(['tenants', 'list', '--limit', '1', '--all']);

    // Assess
    for (const step of [created, updated, suspended, reactivated, got, listed])
      expect([step.code, step.stderr]).toEqual([0, '']);
    expect(JSON.parse(created.stdout)).toMatchObject({ tenantId, status: 'active', limits: { webhookEndpoints: 2 } });
    expect(JSON.parse(updated.stdout)).toMatchObject({ limits: { requestsPerSecond: 5, burst: 10 } });
    expect(JSON.parse(suspended.stdout)).toMatchObject({ status: 'suspended' });
    expect(JSON.parse(reactivated.stdout)).toMatchObject({ status: 'active' });
    expect(JSON.parse(got.stdout)).toMatchObject({ tenantId, name: 'Cli Co' });
    const { items } = JSON.parse(listed.stdout) as { items: { tenantId: string }[] };
    expect(items.map((tenant) => tenant.tenantId)).toContain(tenantId);
  }, 90_000);

  it('prints the problem to stderr and exits non-zero', async () => {
    // Act
    const duplicate = await admin(['tenants', 'create', '--id', `adm-all-${run}`, '--name', 'Again']);
    const unknown = await admin(['tenants', 'get', `nobody-${run}`]);
    const tenantKeyUsed = await admin(['tenants', 'list'], { LOYALTY_OPERATOR_KEY: tenantKey });
    const noKey = await admin(['tenants', 'list'], { LOYALTY_OPERATOR_KEY: '' });
    const badNumber = await admin(['tenants', 'update', 'x', '--rps', 'fast']);

    // Assess
    expect([duplicate.code, duplicate.stdout]).toEqual([1, '']);
    expect(duplicate.stderr).toContain('409 A tenant with this id exists already (tenant_exists)');
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('404 Tenant not found')]);
    expect([tenantKeyUsed.code, tenantKeyUsed.stderr]).toEqual([1, expect.stringContaining('(forbidden)')]);
    expect([noKey.code, noKey.stderr]).toEqual([2, expect.stringContaining('LOYALTY_OPERATOR_KEY')]);
    expect([badNumber.code, badNumber.stderr]).toEqual([2, expect.stringContaining('--rps must be a whole number')]);
  }, 90_000);
});
