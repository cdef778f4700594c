import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoSubscriptionStore } from '../../functions/adapters/dynamo-subscription-store';
import { table } from '../../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { CREDENTIAL_KINDS, scanForSecrets, type Secret } from '../support/secret-scan';
import { configureReceiver, receivedHooks, twinApi } from '../support/twin-api';
import { TEST_SECRETS_KEY, testSealer } from '../support/webhook-fixtures';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * No secret in any log line: one flow on the twin with every function logging at DEBUG (enrol, earn,
 * redeem, webhook endpoints created and a secret rotated, signed deliveries, a failing endpoint that
 * retries and dead-letters, a wrong API key, API keys created, rotated, revoked and issued by an operator, a
 * ping, an OAuth client with its secret rotated, tokens got by Basic and by form and used, a wrong client secret, a
 * tampered token), then every line of the twin's output is scanned for every API key (the operator's too), every
 * webhook secret and signing key, every signature the receiver got, every OAuth client secret and every access token.
 */
const twin = useTwin(['--log-level', 'DEBUG'], {
  // The failing endpoint's deliveries retry once a second later, then dead-letter: error paths log too.
  WEBHOOK_RETRY_SCHEDULE: '1s',
  WEBHOOK_RETRY_JITTER: '0',
  WEBHOOK_BREAKER_FAILURES: '10',
  // A master key the test knows, so it can open the sealed secrets it scans the output for.
  TWIN_SECRETS_KEY: TEST_SECRETS_KEY,
});
const api = twinApi(twin);

interface CreatedEndpoint {
  subscriptionId: string;
  secret: string;
}

async function createEndpoint(name: string, extra: Record<string, unknown> = {}): Promise<CreatedEndpoint> {
  const created = await api<CreatedEndpoint>('/v1/webhooks/endpoints', {
    body: { url: `${twin.receiverUrl}/hooks/${name}`, ...extra },
    idempotent: false,
  });
  expect(created.status).toBe(201);
  await configureReceiver(twin, name, { secrets: [created.body.secret] });
  return created.body;
}

/** Every webhook secret and ed25519 signing key the tenant's endpoints hold, the demo endpoint's included. */
async function storedWebhookSecrets(): Promise<Secret[]> {
  const dynamo = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: twin.endpoints.dynamodb });
  try {
    const store = new DynamoSubscriptionStore(DynamoDBDocumentClient.from(dynamo), table.localName, testSealer());
    const endpoints = await store.listForTenant(twin.demo.tenantId);
    return endpoints.flatMap((endpoint) => [
      ...endpoint.secrets.map((value) => ({ kind: CREDENTIAL_KINDS.webhookSecret, value })),
      ...(endpoint.signingKeys ?? []).map((value) => ({ kind: CREDENTIAL_KINDS.webhookSigningKey, value })),
    ]);
  } finally {
    dynamo.destroy();
  }
}

/**
 * Keys made, used, rotated and revoked through the API (a tenant's own and one an operator issues), each secret
 * used once it exists; the secrets, for the scan.
 */
async function apiKeyLifecycle(): Promise<string[]> {
  type Issued = { keyId: string; apiKey: string };
  const created = await api<Issued>('/v1/api-keys', {
    body: { name: 'scan', scopes: ['members:read'] },
    idempotent: false,
  });
  expect(created.status).toBe(201);
  const withKey = (apiKey: string) => ({ headers: { 'x-api-key': apiKey } });
  expect((await api('/v1/members?limit=1', withKey(created.body.apiKey))).status).toBe(200);
  const rotated = await api<Issued>(`/v1/api-keys/${created.body.keyId}/rotate`, {
    body: { overlapSeconds: 60 },
    idempotent: false,
  });
  expect(rotated.status).toBe(200);
  expect((await api('/v1/members?limit=1', withKey(rotated.body.apiKey))).status).toBe(200);
  expect((await api(`/v1/api-keys/${created.body.keyId}/revoke`, { body: {}, idempotent: false })).status).toBe(200);
  const onboarded = await api<Issued>(`/admin/tenants/${twin.demo.tenantId}/api-keys`, {
    body: { name: 'scan onboarding', scopes: ['members:read'] },
    idempotent: false,
    ...withKey(twin.demo.operatorKey),
  });
  expect(onboarded.status).toBe(201);
  expect((await api('/v1/members?limit=1', withKey(onboarded.body.apiKey))).status).toBe(200);
  return [created.body.apiKey, rotated.body.apiKey, onboarded.body.apiKey];
}

/**
 * OAuth client credentials at DEBUG: a client created and its secret rotated, tokens got by Basic and by form and
 * used, a wrong secret and a tampered token refused. Returns every client secret and token it handled.
 */
async function oauthFlow(memberPath: string) {
  const created = await api<{ clientId: string; clientSecret: string }>('/v1/oauth-clients', {
    body: { name: 'Log scan', scopes: ['members:read'] },
    idempotent: false,
  });
  expect(created.status).toBe(201);
  const { clientId } = created.body;
  const rotated = await api<{ clientSecret: string }>(`/v1/oauth-clients/${clientId}/rotate-secret`, {
    body: { overlapHours: 1 },
    idempotent: false,
  });
  expect(rotated.status).toBe(200);
  const token = async (form: Record<string, string>, authorization?: string) => {
    const response = await fetch(`${twin.apiUrl}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(authorization ? { authorization } : {}),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...form }).toString(),
    });
    return (await response.json()) as { access_token?: string; error?: string };
  };
  const basic = (secret: string) => `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
  const byBasic = await token({}, basic(created.body.clientSecret));
  const byForm = await token({ client_id: clientId, client_secret: rotated.body.clientSecret });
  const wrong = await token({}, basic(`${rotated.body.clientSecret}x`));
  expect([typeof byBasic.access_token, typeof byForm.access_token, wrong.error]).toEqual([
    'string',
    'string',
    'invalid_client',
  ]);
  const tokens = [byBasic.access_token!, byForm.access_token!];
  const call = (bearer: string) =>
    fetch(`${twin.apiUrl}${memberPath}`, { headers: { authorization: `Bearer ${bearer}` } }).then((r) => r.status);
  const tamperedToken = `${tokens[0]!.slice(0, -4)}AAAA`;
  expect([await call(tokens[0]!), await call(tokens[1]!), await call(tamperedToken)]).toEqual([200, 200, 401]);
  return {
    clientSecrets: [created.body.clientSecret, rotated.body.clientSecret, `${rotated.body.clientSecret}x`],
    tokens: [...tokens, tamperedToken],
  };
}

describe('no secret in any log line', () => {
  it('runs a flow at DEBUG and finds no key, webhook secret or key, signature, client secret or token', async () => {
    // Prepare: a verified endpoint signing with HMAC and ed25519, its secret rotated; one always failing.
    const signed = await createEndpoint('log-scan-ok', { ed25519: true });
    const rotated = await api<CreatedEndpoint>(`/v1/webhooks/endpoints/${signed.subscriptionId}/rotate-secret`, {
      body: { overlapHours: 1 },
    });
    expect(rotated.status).toBe(200);
    await configureReceiver(twin, 'log-scan-ok', { secrets: [rotated.body.secret, signed.secret] });
    await configureReceiver(twin, 'log-scan-failing', { failure: { status: 500 } });
    const failing = await createEndpoint('log-scan-failing');
    const wrongKey = `llk_${'x'.repeat(43)}`;

    // Act
    const enrol = await api<{ memberId: string }>('/v1/members', { body: { externalId: `log-scan-${Date.now()}` } });
    expect(enrol.status).toBe(201);
    const member = `/v1/members/${enrol.body.memberId}`;
    const oauth = await oauthFlow(member);
    expect((await api(`${member}/points/earn`, { body: { amountPoints: 800, reason: 'stay' } })).status).toBe(201);
    expect((await api(`${member}/points/redeem`, { body: { amountPoints: 300, reason: 'spa' } })).status).toBe(201);
    const denied = await api(member, { headers: { 'x-api-key': wrongKey } });
    expect([401, 403]).toContain(denied.status);
    const keySecrets = await apiKeyLifecycle();
    const ping = await api<{ ok: boolean }>(`/v1/webhooks/endpoints/${signed.subscriptionId}/ping`, {
      method: 'POST',
      idempotent: false,
    });
    expect(ping.body.ok).toBe(true);
    // The member's three events delivered and verified; the failing endpoint tried twice, then dead-lettered.
    const isMember = (body: { memberId?: string } | null) => body?.memberId === enrol.body.memberId;
    const hooks = await waitFor(
      async () => {
        const all = await receivedHooks(twin);
        const delivered = all.filter((h) => h.endpoint === 'log-scan-ok' && h.verified && isMember(h.body));
        const failed = all.filter((h) => h.endpoint === 'log-scan-failing' && isMember(h.body));
        return delivered.length >= 3 && failed.length >= 6 ? all : undefined;
      },
      { timeoutMs: 30_000, what: 'the deliveries and the failed attempts' },
    );
    const deadLetters = await waitFor(
      async () => {
        const answer = await api<{ items: unknown[] }>(`/v1/webhooks/endpoints/${failing.subscriptionId}/dead-letters`);
        return answer.body.items.length >= 3 ? answer.body.items : undefined;
      },
      { timeoutMs: 15_000, what: "the failing endpoint's dead letters" },
    );
    expect(deadLetters.length).toBeGreaterThanOrEqual(3);
    // The functions' stdout arrives through a pipe: give the last lines a moment.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // Assess
    const secrets: Secret[] = [
      { kind: CREDENTIAL_KINDS.apiKey, value: twin.demo.apiKey },
      { kind: CREDENTIAL_KINDS.apiKey, value: wrongKey },
      { kind: CREDENTIAL_KINDS.apiKey, value: twin.demo.operatorKey },
      ...keySecrets.map((value) => ({ kind: CREDENTIAL_KINDS.apiKey, value })),
      { kind: CREDENTIAL_KINDS.webhookSecret, value: signed.secret },
      { kind: CREDENTIAL_KINDS.webhookSecret, value: rotated.body.secret },
      { kind: CREDENTIAL_KINDS.webhookSecret, value: failing.secret },
      ...(await storedWebhookSecrets()),
      ...hooks.flatMap((h) => (h.signature ? [{ kind: CREDENTIAL_KINDS.webhookSignature, value: h.signature }] : [])),
      ...oauth.clientSecrets.map((value) => ({ kind: CREDENTIAL_KINDS.oauthClientSecret, value })),
      ...oauth.tokens.map((value) => ({ kind: CREDENTIAL_KINDS.accessToken, value })),
    ];
    const lines = twin.output().split('\n');
    const findings = scanForSecrets(lines, secrets);
    const distinct = new Set(secrets.map((s) => s.value)).size;
    const signatures = hooks.filter((h) => h.signature).length;
    console.log(
      `log scan: ${lines.length} lines scanned, ${distinct} secrets checked ` +
        `(${signatures} signature headers), ${findings.length} found`,
    );
    // The scan saw what the functions log at DEBUG, not an empty output.
    expect(lines.some((line) => line.includes('"level": "DEBUG"'))).toBe(true);
    expect(hooks.some((h) => h.signature?.includes('v1a,'))).toBe(true);
    expect(findings).toEqual([]);
  }, 90_000);
});
