import { randomBytes } from 'node:crypto';
import { OPERATOR_SCOPE, TENANT_SCOPES, type Scope, type TenantScope } from '../../functions/api/operations';
import { encodeFeedCursor } from '../../functions/domain/feed';
import { newId } from '../../functions/shared/ids';
import { contractFetch, receivedHooks, twinApi } from '../support/twin-api';
import { useTwin } from '../support/twin-process';
import { seedTenant, tenantTable, type SeededTenant, type TenantIds } from '../support/tenant-fixtures';

/**
 * The tenant isolation matrix: every route of the served `/openapi.json` × every credential case,
 * each answer checked for its documented status and problem+json body (`contractFetch`), and
 * scanned, headers and body, for any value of a tenant other than the caller's. Routes come from
 * the document, so a new route is in the matrix the day it is added (and fails here until it has a
 * sample body, if it takes one). Operator routes (scope `admin`) refuse every tenant credential (403).
 *
 * Tenants are made through `DynamoTenantStore` on the twin's table, as the twin's demo seed
 * does; revoking or expiring a key writes the stored record directly, and the key is used for the first
 * time after its change (the authorizer trusts a key it has verified for `api.credentialCacheTtlSeconds`).
 * A tenant is suspended through the admin API: its next request is refused whatever any cache holds.
 * Tokens come from each tenant's OAuth client; the expired one was issued before the twin's clock moved
 * past its lifetime. Admin routes answer an operator key (acting on a tenant of its own, so B stays as it
 * was) and refuse every tenant credential (403); the operator key answers 403 on every tenant route.
 */
const twin = useTwin();
const run = randomBytes(3).toString('hex');

let a: SeededTenant;
let b: SeededTenant;
let suspended: SeededTenant;
/** A second key of the suspended tenant, issued before the suspension and first used after it. */
let suspendedKey: string;
let revokedKey: string;
let expiredKey: string;
/** The tenant the operator's admin calls act on (so B stays as it was). */
let operatorTarget: string;
/** Per scope, a key of tenant A holding every scope but that one. */
const keysWithout = new Map<Scope, string>();
/** Access tokens of tenant A's OAuth client: a valid one, and one that expired before the matrix ran. */
let aToken: string;
let expiredToken: string;

beforeAll(async () => {
  const tenants = tenantTable(twin);
  try {
    const [aKey, bKey, sKey] = await Promise.all(['a', 'b', 's'].map((t) => tenants.issueKey(`iso-${t}-${run}`)));
    [a, b, suspended] = await Promise.all([
      seedTenant(twin, `iso-a-${run}`, aKey!),
      seedTenant(twin, `iso-b-${run}`, bKey!),
      seedTenant(twin, `iso-s-${run}`, sKey!),
    ]);
    for (const scope of TENANT_SCOPES) {
      const allBut = TENANT_SCOPES.filter((other) => other !== scope);
      keysWithout.set(scope, await tenants.issueKey(a.tenantId, allBut));
    }
    revokedKey = await tenants.issueKey(a.tenantId);
    await tenants.revokeKey(revokedKey);
    expiredKey = await tenants.issueKey(a.tenantId);
    await tenants.expireKey(expiredKey);
    suspendedKey = await tenants.issueKey(suspended.tenantId);
    operatorTarget = `iso-op-${run}`;
    await tenants.issueKey(operatorTarget);
    const suspension = await fetch(`${twin.apiUrl}/admin/tenants/${suspended.tenantId}/suspend`, {
      method: 'POST',
      headers: { 'x-api-key': twin.demo.operatorKey, 'content-type': 'application/json' },
      body: '{}',
    });
    if (suspension.status !== 200) throw new Error(`suspending answered ${suspension.status}`);
    // A platform maintenance window far ahead (no notice goes out during the matrix): the admin routes' window.
    const window = await fetch(`${twin.apiUrl}/admin/maintenance-windows`, {
      method: 'POST',
      headers: { 'x-api-key': twin.demo.operatorKey, 'content-type': 'application/json', 'idempotency-key': run },
      body: JSON.stringify(SAMPLE_BODIES.scheduleMaintenanceWindow!(a.ids)),
    });
    const { maintenanceId } = (await window.json()) as { maintenanceId: string };
    for (const tenant of [a, b, suspended]) tenant.ids.maintenanceId = maintenanceId;
    // A token issued, then the functions' clock moved past its 15 minutes: it expired without ever being used.
    expiredToken = await accessTokenOf(a);
    await twin.advanceClock(16 * 60_000);
    aToken = await accessTokenOf(a);
  } finally {
    tenants.destroy();
  }
}, 120_000);

/** A token of the tenant's OAuth client (client credentials, HTTP Basic), with every scope it holds. */
async function accessTokenOf(tenant: SeededTenant): Promise<string> {
  const { clientId, clientSecret } = tenant.oauthClient;
  const response = await fetch(`${twin.apiUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token for ${tenant.tenantId}: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The token with one character of its signature changed. */
function tampered(token: string): string {
  const signatureAt = token.lastIndexOf('.') + 1;
  const changed = token[signatureAt + 5] === 'A' ? 'B' : 'A';
  return token.slice(0, signatureAt + 5) + changed + token.slice(signatureAt + 6);
}

interface Route {
  method: string;
  path: string;
  operationId: string;
  scope?: Scope;
  hasBody: boolean;
  /** The documented success status (201 when a POST creates, 200 when it only answers). */
  success: number;
  /** A query string the route is sent with, in a row of its own beside the bare route. */
  query?: string;
}

/** What a case demands of one route: the status, and the problem code when it is an error. */
interface Expected {
  status: number;
  code?: string;
}

/**
 * One column of the matrix: the credential headers, whose ids fill the path and body, the tenant
 * the caller acts as (its own values may come back), and what every route must answer (null:
 * the case says nothing new for this route).
 *
 */
interface CredentialCase {
  name: string;
  credential: (route: Route) => Record<string, string>;
  ids: () => TenantIds;
  caller: () => SeededTenant | null;
  expect: (route: Route, sent: Sent) => Expected | null;
  /** Its 404s must equal those for ids nobody owns, so they tell nothing of whether the ids exist. */
  indistinguishableFromUnknown?: boolean;
  /** Values of other tenants the caller may see (an operator sees every tenant's id). */
  sees?: () => string[];
}

const unauthorized: Expected = { status: 401, code: 'unauthorized' };
const forbidden: Expected = { status: 403, code: 'forbidden' };
const key = (apiKey: string) => ({ 'x-api-key': apiKey });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const hasParams = (route: Route) => route.path.includes('{');
/** An operators' route (scope `admin`): a tenant credential, whatever it holds, is refused. */
const forOperators = (route: Route) => route.scope === 'admin';

/**
 * A's key on ids it does not own: nothing to find (404); a PUT creates A's own under its path id
 * unless its body names a foreign id; with no path id, A's own data.
 */
function foreignIdsAnswer(route: Route, sent: Sent): Expected {
  if (forOperators(route)) return forbidden;
  const absent = NO_SUCH_RESOURCE[route.operationId];
  if (absent) return absent;
  if (route.method === 'PUT') return { status: sent.foreignInBody ? 404 : 200 };
  if (hasParams(route)) return { status: 404 };
  return { status: route.success };
}

/** An operator's success: its documented status (200 for reads and patches, which document no other). */
const operatorSuccess = (route: Route): Expected => ({
  status: route.method === 'GET' || route.method === 'PATCH' ? 200 : route.success,
});

/**
 * Reads of a tenant's one resource of a kind that the seeded tenants do not have (an inbound queue needs an AWS
 * account of theirs): the answer is the resource's own 404, to the owner as to an operator.
 */
const NO_SUCH_RESOURCE: Record<string, Expected> = {
  getInboundQueue: { status: 404, code: 'inbound_queue_not_found' },
  getOwnInboundQueue: { status: 404, code: 'inbound_queue_not_found' },
};

const CASES: CredentialCase[] = [
  {
    name: 'no credential',
    credential: () => ({}),
    ids: () => b.ids,
    caller: () => null,
    expect: () => unauthorized,
  },
  {
    name: 'garbage credential',
    credential: () => key(`llk_${randomBytes(32).toString('base64url')}`),
    ids: () => b.ids,
    caller: () => null,
    expect: () => unauthorized,
  },
  {
    name: 'oversized credential',
    credential: () => key(`llk_${'x'.repeat(4096)}`),
    ids: () => b.ids,
    caller: () => null,
    expect: () => unauthorized,
  },
  {
    name: "another tenant's key",
    // Headers naming B change nothing: the tenant comes from the credential alone.
    credential: () => ({ ...key(a.apiKey), 'x-tenant-id': b.tenantId, 'tenant-id': b.tenantId }),
    ids: () => b.ids,
    caller: () => a,
    expect: foreignIdsAnswer,
    indistinguishableFromUnknown: true,
  },
  {
    name: "another tenant's token",
    // The token's tenant claim is A's; headers naming B change nothing.
    credential: () => ({ ...bearer(aToken), 'x-tenant-id': b.tenantId }),
    ids: () => b.ids,
    caller: () => a,
    expect: foreignIdsAnswer,
    indistinguishableFromUnknown: true,
  },
  {
    name: 'expired token',
    credential: () => bearer(expiredToken),
    ids: () => a.ids,
    caller: () => null,
    expect: () => unauthorized,
  },
  {
    name: 'tampered token signature',
    credential: () => bearer(tampered(aToken)),
    ids: () => a.ids,
    caller: () => null,
    expect: () => unauthorized,
  },
  {
    name: "own ids beside another tenant's",
    credential: () => key(a.apiKey),
    ids: () => ({ ...b.ids, memberId: a.ids.memberId, subscriptionId: a.ids.subscriptionId }),
    caller: () => a,
    // Only where a foreign id is in the request at all, and not a PUT's path alone (it creates under that id).
    expect: (route, sent) => {
      if (forOperators(route)) return forbidden;
      return (route.method === 'PUT' ? sent.foreignInBody : sent.foreign) ? { status: 404 } : null;
    },
  },
  {
    name: 'missing scope',
    // An operators' route: A's key lacks its scope (no tenant key can hold `admin`).
    credential: (route) => key(keysWithout.get(route.scope as TenantScope) ?? a.apiKey),
    ids: () => a.ids,
    caller: () => a,
    // A route that needs no scope has no key that lacks it.
    expect: (route) => (route.scope ? forbidden : null),
  },
  {
    name: 'revoked key',
    credential: () => key(revokedKey),
    ids: () => a.ids,
    caller: () => null,
    expect: () => unauthorized,
  },
  {
    name: 'expired key',
    credential: () => key(expiredKey),
    ids: () => a.ids,
    caller: () => null,
    expect: () => unauthorized,
  },
  {
    name: 'operator key',
    // The platform team's key: the admin routes (a key for B, under B's own id in the path), no tenant's data.
    credential: () => key(twin.demo.operatorKey),
    ids: () => ({ ...a.ids, tenantId: operatorTarget }),
    caller: () => null,
    // Admin routes act on the platform (a tenant of their own here); tenant routes are refused whatever the ids.
    expect: (route) =>
      forOperators(route) ? (NO_SUCH_RESOURCE[route.operationId] ?? operatorSuccess(route)) : forbidden,
    sees: () => [a, b, suspended].map((tenant) => tenant.tenantId),
  },
  {
    name: 'tenant suspended',
    credential: () => key(suspendedKey),
    ids: () => suspended.ids,
    caller: () => null,
    // The key still stands for its tenant; the API refuses the suspended tenant on a fresh read of it.
    expect: (route) => (forOperators(route) ? forbidden : { status: 403, code: 'tenant_suspended' }),
  },
];

const fresh = () => randomBytes(6).toString('hex');
const backfillRequest = { from: new Date(Date.now() - 120_000).toISOString(), to: new Date().toISOString() };
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

/** A valid body of every operation that takes one, naming the given ids: it passes validation and reaches the ids. */
const SAMPLE_BODIES: Record<string, (ids: TenantIds) => unknown> = {
  enrolMember: () => ({ externalId: `ext-${fresh()}` }),
  updateMember: () => ({ firstName: 'Mallory' }),
  deactivateMember: () => ({ reason: 'isolation' }),
  reactivateMember: () => ({}),
  eraseMember: () => ({}),
  earnPoints: (ids) => ({ amountPoints: 10, reason: 'isolation', campaignId: ids.campaignId }),
  postTransaction: () => ({ transactionId: `tx-${fresh()}`, type: 'purchase', amount: 10, currency: 'EUR' }),
  previewTransaction: () => ({ transactionId: `tx-${fresh()}`, type: 'purchase', amount: 10, currency: 'EUR' }),
  redeemPoints: () => ({ amountPoints: 1, reason: 'isolation' }),
  adjustPoints: () => ({ amountPoints: 5, reason: 'isolation check' }),
  reverseEntry: () => ({ reason: 'isolation' }),
  putOffer: () => ({ name: 'Offer of the caller', startsAt: new Date().toISOString(), endsAt: inAnHour() }),
  recordOfferView: () => ({ channel: 'app' }),
  activateOffer: () => ({}),
  putReward: (ids) => ({
    name: 'Reward of the caller',
    pointsCost: 10,
    fulfilment: 'manual',
    unlimitedStock: true,
    campaign: { campaignId: ids.campaignId, cost: 1 },
  }),
  importVoucherCodes: () => ({ codes: [`ISO-${fresh()}`] }),
  addRewardStock: () => ({ quantity: 1 }),
  putCampaign: () => ({ name: 'Campaign of the caller' }),
  fundCampaign: () => ({ amountPoints: 1 }),
  redeemReward: (ids) => ({ rewardId: ids.rewardId }),
  fulfilRedemption: () => ({ reference: 'isolation' }),
  cancelRedemption: () => ({ reason: 'isolation' }),
  putProgramme: () => ({}),
  putLakeSettings: () => ({ fields: { 'points.earned': ['amountPoints'] }, pseudonymiseMemberIds: true }),
  revealPseudonymKey: () => ({}),
  createExport: () => ({ dataset: 'balances', cadence: 'hourly' }),
  updateExport: () => ({ cadence: { everyMinutes: 30 } }),
  runExport: () => ({}),
  createTenant: () => ({ tenantId: `iso-new-${fresh()}`, name: 'Tenant of the isolation matrix' }),
  updateTenant: () => ({ name: 'Renamed by the isolation matrix' }),
  suspendTenant: () => ({ reason: 'isolation' }),
  reactivateTenant: () => ({}),
  createWebhookEndpoint: () => ({ url: `${twin.receiverUrl}/hooks/iso-extra-${run}`, eventTypes: ['webhook.ping'] }),
  updateWebhookEndpoint: () => ({ description: 'isolation' }),
  rotateWebhookSecret: () => ({ overlapHours: 1 }),
  previewWebhookRequest: () => ({ eventType: 'points.earned' }),
  previewWebhookEndpoint: () => ({
    endpoint: { url: `${twin.receiverUrl}/hooks/iso-preview-${run}`, eventTypes: ['points.earned'] },
  }),
  replayWebhookMessages: () => ({ from: '2020-01-01T00:00:00Z', to: inAnHour() }),
  redriveWebhookDeadLetters: () => ({ limit: 1 }),
  // Two to three months ahead, an hour long: most land a day apart from the endpoint's other windows.
  createEndpointMaintenanceWindow: () => {
    const startsAt = Date.now() + (60 + Math.floor(Math.random() * 29)) * 86_400_000;
    return { startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + 3_600_000).toISOString() };
  },
  createApiKey: () => ({ name: 'isolation', scopes: ['members:read'] }),
  rotateApiKey: () => ({ overlapSeconds: 0 }),
  revokeApiKey: () => ({}),
  issueTenantApiKey: () => ({ name: 'isolation', scopes: ['members:read'] }),
  createOAuthClient: () => ({ name: 'Client of the caller', scopes: ['members:read'] }),
  rotateOAuthClientSecret: () => ({ overlapHours: 1 }),
  adminCreateOAuthClient: () => ({ name: 'Client by an operator', scopes: ['members:read'] }),
  createEventConsumer: () => ({ name: 'Consumer of the caller', types: ['points.*'] }),
  updateEventConsumer: () => ({ name: 'Renamed by the isolation matrix' }),
  commitEventConsumer: () => ({ cursor: encodeFeedCursor({ after: '2026-01-01T00:00:00.000Z#evt_isolation' }) }),
  seekEventConsumer: () => ({ to: 'start' }),
  // The same request each time: asked again while it is active, it answers the active one (202) rather than 409.
  createBackfill: () => backfillRequest,
  createTenantBackfill: () => backfillRequest,
  cancelBackfill: () => ({}),
  createImport: () => ({ rowsPerSecond: 10 }),
  // Nothing uploaded: the owner's own start answers 409, another tenant's id 404.
  startImport: () => ({}),
  pauseImport: () => ({}),
  resumeImport: () => ({}),
  cancelImport: () => ({}),
  createInboundQueue: () => ({ accountId: '123456789012' }),
  // Accepted at once (202) whoever the member is: a foreign member is the command's result (404), not the answer's.
  submitBatch: (ids) => ({
    commands: [
      {
        type: 'earn',
        idempotencyKey: `iso-${fresh()}`,
        memberId: ids.memberId,
        body: { amountPoints: 1, reason: 'x' },
      },
    ],
  }),
  // Far ahead, beyond the default lead time: no tenant is sent a notice while the matrix runs.
  scheduleMaintenanceWindow: () => ({
    summary: 'Window of the isolation matrix',
    impact: 'none',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    endsAt: new Date(Date.now() + 30 * 86_400_000 + 3_600_000).toISOString(),
  }),
  cancelMaintenanceWindow: () => ({}),
};

/** Query strings of reads that filter, so the filtered reads are in the matrix too. */
const SAMPLE_QUERIES: Record<string, () => string> = {
  listMembers: () => 'status=active&limit=5',
  getBalance: () => `asOf=${new Date().toISOString()}`,
  listEntries: () => 'type=earn,redeem&limit=5',
  listRedemptions: () => 'limit=1',
  listWebhookMessages: () => 'status=delivered&from=2020-01-01T00:00:00Z',
  listWebhookAttempts: () => 'from=2020-01-01T00:00:00Z&limit=5',
  listEvents: () => 'type=points.*&from=2020-01-01T00:00:00Z&limit=5',
  readEventConsumer: () => 'limit=5&autoCommit=true',
};

/** The routes of the served document; PUTs last, as a PUT on another tenant's id creates the caller's own. */
async function documentedRoutes(): Promise<Route[]> {
  const document = (await (await fetch(`${twin.apiUrl}/openapi.json`)).json()) as {
    paths: Record<
      string,
      Record<
        string,
        { operationId: string; 'x-required-scope': Scope; requestBody?: unknown; responses: Record<string, unknown> }
      >
    >;
  };
  const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      operationId: operation.operationId,
      scope: operation['x-required-scope'],
      hasBody: operation.requestBody !== undefined,
      // A creating POST also documents 200 for its replay; the first answer is 201.
      success:
        '201' in operation.responses
          ? 201
          : Number(Object.keys(operation.responses).find((status) => status.startsWith('2'))),
    })),
  );
  const filtered = routes.flatMap((route) => {
    const query = SAMPLE_QUERIES[route.operationId];
    return query ? [{ ...route, query: query() }] : [];
  });
  return [...routes, ...filtered].sort((x, y) => Number(x.method === 'PUT') - Number(y.method === 'PUT'));
}

/** What was sent: the path, the body, and whether any id in them is not the caller's. */
interface Sent {
  path: string;
  body?: string;
  foreign: boolean;
  foreignInBody: boolean;
}

function request(route: Route, ids: TenantIds, caller: SeededTenant | null): Sent {
  let path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const id = ids[name as keyof TenantIds];
    if (!id) throw new Error(`${route.operationId}: no fixture id for the path parameter ${name}`);
    return id;
  });
  if (route.query) path += `?${route.query}`;
  const sample = SAMPLE_BODIES[route.operationId];
  if (route.hasBody && !sample) throw new Error(`${route.operationId}: add a sample body to SAMPLE_BODIES`);
  const body = route.hasBody ? JSON.stringify(sample!(ids)) : undefined;
  const names = (text: string) =>
    !caller || Object.values(ids).some((id) => text.includes(id) && !caller.secrets.includes(id));
  return {
    path,
    ...(body === undefined ? {} : { body }),
    foreign: names(path + (body ?? '')),
    foreignInBody: names(body ?? ''),
  };
}

interface Answer {
  status: number;
  text: string;
  headers: string;
}

async function send(route: Route, sent: Sent, credential: Record<string, string>): Promise<Answer> {
  const response = await contractFetch(`${twin.apiUrl}${sent.path}`, {
    method: route.method,
    headers: {
      ...credential,
      'content-type': 'application/json',
      'idempotency-key': `iso-${fresh()}`,
    },
    ...(sent.body === undefined ? {} : { body: sent.body }),
  });
  return { status: response.status, text: await response.text(), headers: JSON.stringify([...response.headers]) };
}

/** Values of tenants other than the caller that an answer carries (those the request itself named aside). */
function leaked(answer: Answer, sent: Sent, caller: SeededTenant | null, sees: string[] = []): string[] {
  const others = [a, b, suspended].filter((tenant) => tenant !== caller);
  const named = sent.path + (sent.body ?? '');
  return others
    .flatMap((tenant) => tenant.secrets)
    .filter((value) => !sees.includes(value))
    .filter((value) => !named.includes(value) && (answer.text.includes(value) || answer.headers.includes(value)));
}

/** Ids of the same shapes as `ids` that no tenant owns: what "not found" looks like when nothing is there. */
const unknownIds = (ids: TenantIds) =>
  Object.fromEntries(
    Object.entries(ids).map(([name, id]) => [name, id.includes('_') ? newId(id.slice(0, id.indexOf('_'))) : fresh()]),
  ) as unknown as TenantIds;

/** An answer with the ids it was asked about masked: answers for a foreign id and an unknown one must be equal. */
const masked = (text: string, ids: TenantIds) =>
  Object.values(ids).reduce((masking, id) => masking.replaceAll(id, '<id>'), text);

/** Everything tenant B can read of its own, through its own key: it must be the same after the matrix. */
async function snapshotOf(tenant: SeededTenant) {
  const api = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: tenant.apiKey } });
  const { memberId, rewardId, campaignId, subscriptionId } = tenant.ids;
  const reads = [
    '/v1/members?limit=100',
    `/v1/members/${memberId}`,
    `/v1/members/${tenant.otherMemberId}`,
    `/v1/members/${memberId}/balance`,
    `/v1/members/${memberId}/entries?limit=100`,
    `/v1/members/${memberId}/redemptions`,
    `/v1/members/${memberId}/offers`,
    '/v1/offers',
    '/v1/rewards',
    `/v1/rewards/${rewardId}`,
    `/v1/campaigns/${campaignId}`,
    '/v1/programme',
    '/v1/webhooks/endpoints',
    `/v1/webhooks/endpoints/${subscriptionId}`,
    `/v1/webhooks/endpoints/${subscriptionId}/messages?limit=100`,
    `/v1/webhooks/endpoints/${subscriptionId}/attempts?limit=100`,
    `/v1/webhooks/endpoints/${subscriptionId}/dead-letters`,
    '/v1/oauth-clients',
    `/v1/oauth-clients/${tenant.ids.clientId}`,
    `/v1/event-consumers/${tenant.ids.consumerId}`,
  ];
  return Object.fromEntries(await Promise.all(reads.map(async (path) => [path, await api(path)] as const)));
}

/** One contract-checked request with a tenant's key; the answer's status, headers and text. */
async function fetchAs(tenant: SeededTenant, path: string, body?: unknown, idempotencyKey?: string) {
  const response = await contractFetch(`${twin.apiUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      'x-api-key': tenant.apiKey,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** How the cells went: how many were sent, skipped as not applicable, compared with unknown ids. */
interface Tally {
  sent: number;
  skipped: number;
  compared: number;
}

/** Sends one cell of the matrix; what is wrong with its answer (nothing: an empty list). */
async function checkCell(route: Route, credentialCase: CredentialCase, tally: Tally): Promise<string[]> {
  const caller = credentialCase.caller();
  const sent = request(route, credentialCase.ids(), caller);
  // A tenant credential that gets through the authorizer meets an operator route's refusal, whatever the ids.
  const expected =
    route.scope === OPERATOR_SCOPE && caller ? { status: 403, code: 'forbidden' } : credentialCase.expect(route, sent);
  if (!expected) {
    tally.skipped++;
    return [];
  }
  tally.sent++;
  const failures: string[] = [];
  const answer = await send(route, sent, credentialCase.credential(route));
  if (answer.status !== expected.status) {
    failures.push(`${answer.status}, expected ${expected.status}: ${answer.text.slice(0, 300)}`);
  } else if (expected.code && (JSON.parse(answer.text) as { code: string }).code !== expected.code) {
    failures.push(`code is not ${expected.code}: ${answer.text.slice(0, 300)}`);
  }
  const values = leaked(answer, sent, caller, credentialCase.sees?.());
  if (values.length > 0) failures.push(`carries another tenant's ${values.join(', ')}`);
  if (credentialCase.indistinguishableFromUnknown && expected.status === 404) {
    tally.compared++;
    const ids = unknownIds(b.ids);
    const unknown = await send(route, request(route, ids, caller), credentialCase.credential(route));
    if (unknown.status !== answer.status || masked(unknown.text, ids) !== masked(answer.text, b.ids)) {
      failures.push(`differs from an unknown id's answer: ${answer.text} / ${unknown.text}`);
    }
  }
  return failures;
}

describe('tenant isolation', () => {
  it('answers every route × credential case as documented, with no byte of another tenant', async () => {
    // Prepare
    const routes = await documentedRoutes();
    const before = await snapshotOf(b);
    const tally: Tally = { sent: 0, skipped: 0, compared: 0 };
    const failures: string[] = [];

    // Act: cell by cell, in order (a PUT may create the caller's own resource under a path id).
    for (const route of routes) {
      for (const credentialCase of CASES) {
        const label = `${credentialCase.name} × ${route.method} ${route.path}${route.query ? `?${route.query}` : ''}`;
        try {
          failures.push(...(await checkCell(route, credentialCase, tally)).map((failure) => `${label}: ${failure}`));
        } catch (error) {
          failures.push(`${label}: ${(error as Error).message.slice(0, 600)}`);
        }
      }
    }

    // Assess: every failure at once, then B's data as it was and each tenant's webhooks free of another's values.
    const documented = routes.filter((route) => !route.query).length;
    console.log(
      `isolation matrix: ${routes.length} routes (${documented} documented, ${routes.length - documented} ` +
        `with a query) × ${CASES.length} credential cases = ${routes.length * CASES.length} cells, ` +
        `${tally.sent} sent, ${tally.skipped} not applicable, ` +
        `${tally.compared} foreign-id answers compared with unknown-id ones, ${failures.length} failures`,
    );
    expect(failures).toEqual([]);
    expect(await snapshotOf(b)).toEqual(before);
    for (const tenant of [a, b]) {
      const hooks = JSON.stringify(await receivedHooks(twin, tenant.receiverName));
      // A PUT under another tenant's path id makes the caller's own offer, reward or campaign of that id.
      const adoptable = (other: SeededTenant) => [other.ids.offerId, other.ids.rewardId, other.ids.campaignId];
      const foreign = [a, b, suspended]
        .filter((other) => other !== tenant)
        .flatMap((other) => other.secrets.filter((value) => !adoptable(other).includes(value)));
      expect(foreign.filter((value) => hooks.includes(value))).toEqual([]);
    }
  }, 300_000);

  it("never replays or refuses a request for another tenant's Idempotency-Key", async () => {
    // Prepare: B uses two keys, one of them for the very request A sends next.
    const asA = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: a.apiKey } });
    const asB = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: b.apiKey } });
    const [sameKey, otherKey] = [`shared-${fresh()}`, `shared-${fresh()}`];
    const body = { externalId: `ext-${fresh()}` };
    const enrolled = await asB<{ memberId: string }>('/v1/members', { body, headers: { 'idempotency-key': sameKey } });
    await asB('/v1/members', { body: { externalId: `ext-${fresh()}` }, headers: { 'idempotency-key': otherKey } });

    // Act: the same key, method, path and body from A; then B's other key with another body.
    const replayed = await fetchAs(a, '/v1/members', body, sameKey);
    const reused = await asA<{ memberId: string }>('/v1/members', {
      body: { externalId: `ext-${fresh()}` },
      headers: { 'idempotency-key': otherKey },
    });

    // Assess: both are A's own first requests: new members, no replay of B's reply, no 409.
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBeNull();
    const mine = JSON.parse(replayed.text) as { memberId: string };
    expect(mine.memberId).not.toBe(enrolled.body.memberId);
    expect(reused.status).toBe(201);
    expect(replayed.text + reused.body.memberId).not.toContain(enrolled.body.memberId);
  });

  it("pages only the caller's own data with another tenant's cursors", async () => {
    // Prepare: B's cursors of every list that pages, taken after B's first item.
    const asB = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: b.apiKey } });
    const pages = {
      members: () => '/v1/members',
      entries: (t: SeededTenant) => `/v1/members/${t.ids.memberId}/entries`,
      messages: (t: SeededTenant) => `/v1/webhooks/endpoints/${t.ids.subscriptionId}/messages`,
      attempts: (t: SeededTenant) => `/v1/webhooks/endpoints/${t.ids.subscriptionId}/attempts`,
    };
    const answers: string[] = [];
    for (const [list, pathOf] of Object.entries(pages)) {
      const first = await asB<{ nextCursor?: string }>(`${pathOf(b)}?limit=1`);
      expect([list, first.body.nextCursor]).toEqual([list, expect.any(String)]);

      // Act: A pages its own list of the same kind from B's cursor.
      const answer = await fetchAs(a, `${pathOf(a)}?limit=100&cursor=${first.body.nextCursor!}`);

      // Assess: the cursor holds only a position, read within A's own data.
      expect([list, answer.status]).toEqual([list, 200]);
      answers.push(answer.text);
    }
    const all = answers.join('\n');
    expect(b.secrets.filter((value) => all.includes(value))).toEqual([]);
  });
});
