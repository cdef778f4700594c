import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DynamoTenantStore } from '../../functions/adapters/dynamo-tenant-store';
import { table } from '../../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { contractFetch, twinApi } from '../support/twin-api';
import { tenantTable } from '../support/tenant-fixtures';
import { useTwin } from '../support/twin-process';

/**
 * OAuth 2.0 client credentials end to end on the twin, as a caller with curl does it: a tenant creates a client,
 * trades its id and secret for a token at /oauth2/token (HTTP Basic or form), and calls the API with
 * `Authorization: Bearer`; the authorizer verifies the token against the JWKS and takes the tenant from it alone.
 */
const twin = useTwin();
const run = randomBytes(3).toString('hex');

interface CreatedClient {
  clientId: string;
  clientSecret: string;
  scopes: string[];
}
interface TokenAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** POST /oauth2/token as curl sends it: a form body, the client by Basic unless the form carries it. */
async function requestToken(form: Record<string, string>, authorization?: string): Promise<TokenAnswer> {
  const response = await contractFetch(`${twin.apiUrl}/oauth2/token`, {
    method: 'POST',
    headers: { ...FORM, ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function tokenOf(client: CreatedClient, scope?: string): Promise<string> {
  const answer = await requestToken(
    { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
    basic(client.clientId, client.clientSecret),
  );
  expect(answer.status).toBe(200);
  return answer.body.access_token as string;
}

/** A contract-checked call with a bearer token only. */
async function withToken(token: string, path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await contractFetch(`${twin.apiUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': `oauth-${randomBytes(6).toString('hex')}`,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, text: await response.text() };
}

let demoApi: ReturnType<typeof twinApi>;
let client: CreatedClient;

beforeAll(async () => {
  demoApi = twinApi(twin);
  const created = await demoApi<CreatedClient>('/v1/oauth-clients', {
    body: { name: 'Nightly ETL', scopes: ['members:read', 'members:write'] },
    idempotent: false,
  });
  expect(created.status).toBe(201);
  client = created.body;
});

describe('OAuth 2.0 client credentials', () => {
  it('issues a token by HTTP Basic that calls the API as the client’s tenant', async () => {
    // Act
    const answer = await requestToken(
      { grant_type: 'client_credentials' },
      basic(client.clientId, client.clientSecret),
    );
    const token = answer.body.access_token as string;
    const enrolled = await withToken(token, '/v1/members', { body: { externalId: `oauth-${run}` } });
    const listed = await withToken(token, '/v1/members?limit=5');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'members:read members:write',
    });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: client.clientId, tenant_id: twin.demo.tenantId, iss: twin.apiUrl });
    expect(claims.aud).toBe(`${twin.apiUrl}/v1`);
    expect(claims.exp! - claims.iat!).toBe(900);
    expect([enrolled.status, listed.status]).toEqual([201, 200]);
  });

  it('takes the client from the form too, and narrows the scope on request', async () => {
    // Act
    const answer = await requestToken({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      scope: 'members:read',
    });
    const token = answer.body.access_token as string;

    // Assess: reads work, writes need the scope the token no longer carries.
    expect([answer.status, answer.body.scope]).toEqual([200, 'members:read']);
    expect((await withToken(token, '/v1/members?limit=1')).status).toBe(200);
    const write = await withToken(token, '/v1/members', { body: { externalId: `narrow-${run}` } });
    expect([write.status, JSON.parse(write.text).code]).toEqual([403, 'forbidden']);
  });

  it('refuses as RFC 6749 §5.2 says: wrong secret, other grant, scope not held', async () => {
    // Act
    const wrongBasic = await requestToken({ grant_type: 'client_credentials' }, basic(client.clientId, 'lcs_wrong'));
    const wrongForm = await requestToken({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: 'lcs_wrong',
    });
    const unknown = await requestToken({ grant_type: 'client_credentials' }, basic('occ_nobody', 'x'));
    const password = await requestToken({ grant_type: 'password', username: 'u', password: 'p' });
    const scope = await requestToken(
      { grant_type: 'client_credentials', scope: 'members:erase' },
      basic(client.clientId, client.clientSecret),
    );
    const json = await contractFetch(`${twin.apiUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(client.clientId, client.clientSecret) },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });

    // Assess
    expect([wrongBasic.status, wrongBasic.body.error]).toEqual([401, 'invalid_client']);
    expect(wrongBasic.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect([wrongForm.status, wrongForm.body.error]).toEqual([401, 'invalid_client']);
    expect(wrongForm.headers.get('www-authenticate')).toBeNull();
    expect(unknown.body).toEqual(wrongBasic.body);
    expect([password.status, password.body.error]).toEqual([400, 'unsupported_grant_type']);
    expect([scope.status, scope.body.error]).toEqual([400, 'invalid_scope']);
    expect([json.status, ((await json.json()) as { error: string }).error]).toEqual([400, 'invalid_request']);
  });

  it('publishes the signing key in the JWKS under the kid tokens name', async () => {
    // Act
    const jwks = (await (await contractFetch(`${twin.apiUrl}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };

    // Assess
    const { kid } = decodeProtectedHeader(await tokenOf(client));
    expect(jwks.keys.map((key) => key.kid)).toContain(kid);
  });

  it('refuses a tampered signature, a tampered claim and a token with an API key beside it', async () => {
    // Prepare
    const token = await tokenOf(client);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    const otherTenant = Buffer.from(JSON.stringify({ ...decodeJwt(token), tenant_id: 'someone-else' })).toString(
      'base64url',
    );

    // Act
    const tampered = await withToken(`${header}.${payload}.${flipped}`, '/v1/members?limit=1');
    const forged = await withToken(`${header}.${otherTenant}.${signature}`, '/v1/members?limit=1');
    const both = await contractFetch(`${twin.apiUrl}/v1/members?limit=1`, {
      headers: { authorization: `Bearer ${token}`, 'x-api-key': twin.demo.apiKey },
    });

    // Assess
    expect([tampered.status, forged.status, both.status]).toEqual([401, 401, 401]);
  });

  it("keeps a token to its own tenant: another tenant's member is not found", async () => {
    // Prepare: tenant B with a member of its own.
    const tenants = tenantTable(twin);
    const bKey = await tenants.issueKey(`oauth-b-${run}`).finally(() => {
      tenants.destroy();
    });
    const asB = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: bKey } });
    const member = await asB<{ memberId: string }>('/v1/members', { body: { externalId: `b-${run}` } });
    const token = await tokenOf(client);

    // Act
    const foreign = await withToken(token, `/v1/members/${member.body.memberId}`);
    const unknown = await withToken(token, `/v1/members/mem_${randomBytes(8).toString('hex')}`);

    // Assess
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    expect(foreign.text).not.toContain(`b-${run}`);
  });

  it('rotates the secret: the old one works for the overlap, or not at all without one', async () => {
    // Prepare
    const own = (
      await demoApi<CreatedClient>('/v1/oauth-clients', {
        body: { name: `Rotated ${run}`, scopes: ['members:read'] },
        idempotent: false,
      })
    ).body;

    // Act
    const overlapping = await demoApi<CreatedClient & { previousSecretValidUntil: string | null }>(
      `/v1/oauth-clients/${own.clientId}/rotate-secret`,
      { body: { overlapHours: 1 }, idempotent: false },
    );
    const withOld = await requestToken({ grant_type: 'client_credentials' }, basic(own.clientId, own.clientSecret));
    const withNew = await requestToken(
      { grant_type: 'client_credentials' },
      basic(own.clientId, overlapping.body.clientSecret),
    );
    const immediate = await demoApi<CreatedClient>(`/v1/oauth-clients/${own.clientId}/rotate-secret`, {
      body: { overlapHours: 0 },
      idempotent: false,
    });
    const withRetired = await requestToken(
      { grant_type: 'client_credentials' },
      basic(own.clientId, overlapping.body.clientSecret),
    );
    const withLatest = await requestToken(
      { grant_type: 'client_credentials' },
      basic(own.clientId, immediate.body.clientSecret),
    );
    const listed = await demoApi<{ items: { clientId: string }[] }>('/v1/oauth-clients');

    // Assess
    expect(overlapping.status).toBe(200);
    expect(overlapping.body.previousSecretValidUntil).toEqual(expect.any(String));
    expect([withOld.status, withNew.status]).toEqual([200, 200]);
    expect([withRetired.status, withLatest.status]).toEqual([401, 200]);
    expect(listed.body.items.map((item) => item.clientId)).toContain(own.clientId);
    expect(JSON.stringify(listed.body)).not.toContain(immediate.body.clientSecret);
  });

  it('revokes a client: no new token, and the tokens it holds stop working', async () => {
    // Prepare: a token issued before the revocation and first used after it.
    const own = (
      await demoApi<CreatedClient>('/v1/oauth-clients', {
        body: { name: `Revoked ${run}`, scopes: ['members:read'] },
        idempotent: false,
      })
    ).body;
    const token = await tokenOf(own);

    // Act
    const revoked = await demoApi<{ status: string }>(`/v1/oauth-clients/${own.clientId}`, {
      method: 'DELETE',
      idempotent: false,
    });
    const used = await withToken(token, '/v1/members?limit=1');
    const again = await requestToken({ grant_type: 'client_credentials' }, basic(own.clientId, own.clientSecret));

    // Assess
    expect([revoked.status, revoked.body.status]).toEqual([200, 'revoked']);
    expect(used.status).toBe(401);
    expect([again.status, again.body.error]).toEqual([401, 'invalid_client']);
  });

  it('lets an operator create a tenant’s first client, and no tenant credential do so', async () => {
    // Prepare
    const client = new DynamoDBClient({ endpoint: twin.endpoints.dynamodb, region: REGION, credentials: CREDENTIALS });
    const operator = await new DynamoTenantStore(DynamoDBDocumentClient.from(client), table.localName)
      .createOperatorKey()
      .finally(() => {
        client.destroy();
      });
    const asOperator = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: operator.apiKey } });
    const body = { name: 'Onboarding', scopes: ['members:read'] };

    // Act
    const created = await asOperator<CreatedClient>(`/admin/tenants/${twin.demo.tenantId}/oauth-clients`, {
      body,
      idempotent: false,
    });
    const missing = await asOperator(`/admin/tenants/nobody-${run}/oauth-clients`, { body, idempotent: false });
    const byTenant = await demoApi(`/admin/tenants/${twin.demo.tenantId}/oauth-clients`, { body, idempotent: false });

    // Assess
    expect(created.status).toBe(201);
    expect(decodeJwt(await tokenOf(created.body)).tenant_id).toBe(twin.demo.tenantId);
    expect([missing.status, byTenant.status]).toEqual([404, 403]);
  });

  // Last: it moves the functions' clock forward for the rest of the file.
  it('refuses an expired token', async () => {
    // Prepare: a token never used before its expiry (the gateway caches answers per credential).
    const token = await tokenOf(client);

    // Act
    await twin.advanceClock(16 * 60_000);
    const expired = await withToken(token, '/v1/members?limit=1');

    // Assess
    expect(expired.status).toBe(401);
  });
});
