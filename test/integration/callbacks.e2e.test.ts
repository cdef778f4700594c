import { configureReceiver, receivedHooks, twinApi, type ReceivedHook } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * Callback destinations on the local twin, end to end: an endpoint of type `callback` with OAuth client credentials
 * against the sample receiver's token endpoint (tokens living 3 s, so the run outlives several) and a json-e
 * template receives each member's events transformed, authenticated and in order; tokens are fetched again as they
 * expire; a token URL on a private address is refused and stores nothing; the preview shows the rendered body with
 * its auth redacted, and reads never show the client secret.
 */
const twin = useTwin([], { WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s', WEBHOOK_RETRY_JITTER: '0' });
const api = twinApi(twin);

const TOKEN_LIFE_SECONDS = 3;
const CLIENT_ID = `crm-${process.pid}`;
const CLIENT_SECRET = 'cs_callback_e2e_secret';

/** A Salesforce-like platform event: the member, what happened, the balance after it. */
const TEMPLATE = {
  memberId: { $eval: 'event.memberId' },
  seq: { $eval: 'event.seq' },
  Loyalty_Event_Type__c: { $eval: 'event.type' },
  Points__c: { $if: "'amountPoints' in event.data", then: { $eval: 'event.data.amountPoints' }, else: 0 },
  Balance__c: { $eval: 'event.data.balance.availablePoints' },
  Source__c: { $eval: '"loyalty:" + tenantId' },
};

interface Endpoint {
  subscriptionId: string;
  auth: Record<string, unknown>;
  secret?: string;
}

async function callbackEndpoint(name: string, tokenUrl: string) {
  return api<Endpoint & { code?: string; reasonCode?: string }>('/v1/webhooks/endpoints', {
    idempotent: false,
    body: {
      type: 'callback',
      url: `${twin.receiverUrl}/callbacks/${name}`,
      eventTypes: ['member.enrolled', 'points.earned'],
      auth: { type: 'oauth2_client_credentials', tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      headers: { 'Sforce-Call-Options': 'client=loyalty' },
      template: TEMPLATE,
    },
  });
}

const memberIds = new Map<string, string>();

/** Enrols members (once) and earns a few times each, keeping each member's last seq in `seqs`. */
async function activity(members: string[], earnings: number, seqs: Map<string, number>) {
  await Promise.all(
    members.map(async (externalId) => {
      let memberId = memberIds.get(externalId);
      if (!memberId) {
        const enrol = await api<{ memberId: string }>('/v1/members', { body: { externalId } });
        expect(enrol.status).toBe(201);
        memberId = enrol.body.memberId;
        memberIds.set(externalId, memberId);
        seqs.set(memberId, 1);
      }
      for (let i = 0; i < earnings; i++) {
        const earned = await api(`/v1/members/${memberId}/points/earn`, {
          body: { amountPoints: 10 + i, reason: 'x' },
        });
        expect(earned.status).toBe(201);
        seqs.set(memberId, (seqs.get(memberId) ?? 0) + 1);
      }
    }),
  );
}

const tokensIssued = async (): Promise<number> => {
  const { issued } = (await (await fetch(`${twin.receiverUrl}/oauth/tokens`)).json()) as {
    issued: Record<string, number>;
  };
  return issued[CLIENT_ID] ?? 0;
};

/** The accepted calls of the endpoint cover every member's events up to their last seq. */
const allArrived = (hooks: ReceivedHook[], seqs: Map<string, number>) =>
  [...seqs].every(([memberId, last]) =>
    hooks.some((hook) => hook.answered === 200 && hook.body?.memberId === memberId && hook.body.seq === last),
  );

describe('callback destinations (twin)', () => {
  beforeAll(async () => {
    const configured = await fetch(`${twin.receiverUrl}/oauth/clients/${CLIENT_ID}`, {
      method: 'PUT',
      body: JSON.stringify({ secret: CLIENT_SECRET, expiresInSeconds: TOKEN_LIFE_SECONDS }),
    });
    expect(configured.status).toBe(204);
  });

  it('refuses a token URL on a private address, and stores nothing', async () => {
    // Prepare
    const before = await api<{ items: unknown[] }>('/v1/webhooks/endpoints');

    // Act
    const refused = await callbackEndpoint('ssrf', 'https://10.0.0.5/oauth/token');
    const metadata = await callbackEndpoint('ssrf', 'http://169.254.169.254/latest/api/token');
    const after = await api<{ items: unknown[] }>('/v1/webhooks/endpoints');

    // Assess
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'callback_token_url_rejected', reasonCode: 'address_not_allowed' });
    expect(metadata.body).toMatchObject({ code: 'callback_token_url_rejected' });
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it('delivers transformed, authenticated calls in member order, fetching new tokens as they expire', async () => {
    // Prepare
    const created = await callbackEndpoint('crm', `${twin.receiverUrl}/oauth/token`);
    expect(created.status).toBe(201);
    expect(created.body.secret).toBeUndefined();
    expect(created.body.auth).toMatchObject({ clientId: CLIENT_ID, clientSecret: '[redacted]' });
    const issuedBefore = await tokensIssued();
    const seqs = new Map<string, number>();
    const members = [0, 1, 2].map((m) => `cb-${process.pid}-${m}`);

    // Act: a first wave, a pause longer than a token lives, a second wave
    await activity(members, 3, seqs);
    await waitFor(async () => (allArrived(await receivedHooks(twin, 'crm'), seqs) ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the first wave of callbacks',
    });
    await new Promise((resolve) => setTimeout(resolve, (TOKEN_LIFE_SECONDS + 1) * 1000));
    await activity(members, 3, seqs);
    const hooks = await waitFor(
      async () => {
        const received = await receivedHooks(twin, 'crm');
        return allArrived(received, seqs) ? received : undefined;
      },
      { timeoutMs: 60_000, what: 'the second wave of callbacks' },
    );

    // Assess: every call carried a valid token (none refused), in each member's order, shaped by the template
    expect(hooks.filter((hook) => !hook.verified || hook.answered !== 200)).toEqual([]);
    for (const [memberId, last] of seqs) {
      const mine = hooks.filter((hook) => hook.body?.memberId === memberId).map((hook) => hook.body!.seq);
      expect(mine).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    }
    const earned = hooks.find(
      (hook) => (hook.body as Record<string, unknown> | null)?.Loyalty_Event_Type__c === 'points.earned',
    );
    expect(earned?.body).toEqual({
      memberId: expect.any(String),
      seq: expect.any(Number),
      Loyalty_Event_Type__c: 'points.earned',
      Points__c: expect.any(Number),
      Balance__c: expect.any(Number),
      Source__c: `loyalty:${twin.demo.tenantId}`,
    });
    const headers = (earned as ReceivedHook & { headers?: Record<string, string> }).headers ?? {};
    expect(headers['sforce-call-options']).toBe('client=loyalty');
    expect(headers['webhook-signature']).toBeUndefined();
    expect((await tokensIssued()) - issuedBefore).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('previews the rendered request with its auth redacted, and never shows the secret on reads', async () => {
    // Prepare
    const created = await callbackEndpoint('crm-preview', `${twin.receiverUrl}/oauth/token`);
    const { subscriptionId } = created.body;

    // Act
    const preview = await api<{ headers: Record<string, string>; body: string; url: string; sample: boolean }>(
      `/v1/webhooks/endpoints/${subscriptionId}/preview`,
      { body: { eventType: 'points.earned' } },
    );
    const read = await api(`/v1/webhooks/endpoints/${subscriptionId}`);
    const list = await api('/v1/webhooks/endpoints');
    const badTemplate = await api(`/v1/webhooks/endpoints/${subscriptionId}`, {
      method: 'PATCH',
      body: { template: { $eval: 'event.data.nope' } },
    });
    const unchanged = await api<{ template: unknown }>(`/v1/webhooks/endpoints/${subscriptionId}`);

    // Assess
    expect(preview.status).toBe(200);
    expect(preview.body.sample).toBe(true);
    expect(preview.body.url).toBe(`${twin.receiverUrl}/callbacks/crm-preview`);
    expect(preview.body.headers.authorization).toBe('[redacted]');
    expect(JSON.parse(preview.body.body)).toMatchObject({
      memberId: 'mem_sample',
      Loyalty_Event_Type__c: 'points.earned',
      Points__c: 100,
    });
    for (const shown of [preview, read, list]) expect(JSON.stringify(shown.body)).not.toContain(CLIENT_SECRET);
    expect(badTemplate.status).toBe(422);
    expect(badTemplate.body).toMatchObject({ code: 'callback_template_invalid', reasonCode: 'render_failed' });
    expect(unchanged.body.template).toEqual(TEMPLATE);
    expect(twin.output()).not.toContain(CLIENT_SECRET);
  });

  it('receives signed webhooks as before beside callback endpoints', async () => {
    // Prepare
    await configureReceiver(twin, 'plain-beside-callbacks', {});

    // Act
    const plain = await api<Endpoint>('/v1/webhooks/endpoints', {
      idempotent: false,
      body: { url: `${twin.receiverUrl}/hooks/plain-beside-callbacks`, eventTypes: ['points.earned'] },
    });

    // Assess: a standard webhook still gets its signing secret
    expect(plain.status).toBe(201);
    expect(plain.body.secret).toMatch(/^whsec_/);
  });
});
