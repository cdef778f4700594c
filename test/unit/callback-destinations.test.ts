import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { EnvelopeSealer } from '../../functions/adapters/envelope-sealer';
import { DynamoSubscriptionStore } from '../../functions/adapters/dynamo-subscription-store';
import { LocalDataKeys } from '../../functions/adapters/local-data-keys';
import { expiryMarginSeconds, requestToken, tokenCache } from '../../functions/adapters/oauth-token-client';
import { postCallback } from '../../functions/adapters/webhook-sender';
import { previewRequest, requireValidCallback } from '../../functions/api/callback-endpoints';
import type { Services } from '../../functions/api/operation-kit';
import type { WebhookSubscription } from '../../functions/domain/ports';
import {
  callbackConfigProblem,
  callbackHeaders,
  REDACTED,
  type OAuthClientCredentials,
} from '../../functions/domain/webhooks/callback-config';
import {
  callbackBody,
  CallbackRenderError,
  MAX_RENDERED_BYTES,
  MAX_TEMPLATE_BYTES,
  renderTemplate,
  templateContext,
} from '../../functions/domain/webhooks/callback-template';
import { sampleEvent } from '../../functions/domain/webhooks/sample-events';
import { isProblem, type Problem } from '../../functions/shared/problem';
import { WebhookReceiver } from '../../local/webhook-receiver';
import { deliveryHarness } from '../support/delivery-harness';

/**
 * Callback destinations without the twin: json-e templates and their caps, the header deny list, the OAuth token
 * cache (expiry, margin, a refresh on 401) against the sample receiver's token endpoint, secrets sealed and redacted,
 * the API's validation codes, and a template failure as a permanent dead letter.
 */

const TEMPLATE = {
  sObject: 'Loyalty_Update__e',
  fields: {
    Member__c: { $eval: 'event.memberId' },
    Points__c: { $eval: 'event.data.amountPoints' },
    Balance__c: { $eval: 'event.data.balance.availablePoints' },
    Tenant__c: { $eval: 'tenantId' },
  },
};

const callbackEndpoint = (overrides: Partial<WebhookSubscription> = {}): WebhookSubscription => ({
  tenantId: 't1',
  subscriptionId: 'sub_cb',
  type: 'callback',
  url: 'https://crm.example.com/services/data/v61.0/sobjects/Loyalty_Update__e',
  eventTypes: ['points.earned'],
  enabled: true,
  secrets: ['whsec_unused'],
  createdAt: '2026-11-21T10:00:00.000Z',
  ...overrides,
});

const oauth = (tokenUrl: string, overrides: Partial<OAuthClientCredentials> = {}): OAuthClientCredentials => ({
  type: 'oauth2_client_credentials',
  tokenUrl,
  clientId: 'crm client',
  clientSecret: 'cs_very+secret/value',
  ...overrides,
});

/** What the API's checks need: DNS answering a private address for corp-example.net, a public one otherwise. */
const services = {
  allowLoopbackHttp: false,
  resolver: (host: string) => Promise.resolve(host.endsWith('corp-example.net') ? ['10.0.0.7'] : ['93.184.215.14']),
} as unknown as Services;

async function problemOf(promise: Promise<unknown>): Promise<Problem> {
  try {
    await promise;
  } catch (error) {
    if (isProblem(error)) return error;
    throw error;
  }
  throw new Error('expected a problem');
}

describe('callback templates', () => {
  it('renders the event as the endpoint receives it, minimised first', () => {
    // Prepare
    const event = sampleEvent('points.earned', 't1')!;
    const thin = callbackEndpoint({ template: { points: { $eval: 'event.data.amountPoints' } }, payload: 'thin' });

    // Act
    const body = JSON.parse(callbackBody(callbackEndpoint({ template: TEMPLATE }), event)) as Record<string, unknown>;
    const failure = () => callbackBody(thin, event);

    // Assess: the mapping is applied; a thin endpoint's template cannot read what minimisation removed
    expect(body).toEqual({
      sObject: 'Loyalty_Update__e',
      fields: { Member__c: 'mem_sample', Points__c: 100, Balance__c: 100, Tenant__c: 't1' },
    });
    expect(failure).toThrow(CallbackRenderError);
  });

  it('caps range and the rendered body, and refuses a template that renders nothing', () => {
    // Prepare
    const context = templateContext(sampleEvent('points.earned', 't1')!, callbackEndpoint());
    const big = 'x'.repeat(1000);

    // Act
    const ranges = () => renderTemplate({ $eval: 'range(0, 100000)' }, context);
    const huge = () => renderTemplate({ $map: { $eval: 'range(0, 1000)' }, 'each(i)': big }, context);
    const nothing = () => renderTemplate({ $if: 'false', then: 1 }, context);
    const small = renderTemplate({ $eval: 'range(0, 3)' }, context);

    // Assess
    expect(ranges).toThrow(/range lists at most 1000/);
    expect(huge).toThrow(new RegExp(`over ${MAX_RENDERED_BYTES} bytes`));
    expect(nothing).toThrow(/rendered nothing/);
    expect(small).toBe('[0,1,2]');
  });
});

describe('callback headers', () => {
  it.each([
    [{ headers: { Host: 'x' } }, 'header_not_allowed'],
    [{ headers: { 'Content-Length': '1' } }, 'header_not_allowed'],
    [{ headers: { 'Transfer-Encoding': 'chunked' } }, 'header_not_allowed'],
    [{ headers: { 'webhook-signature': 'v1,forged' } }, 'header_not_allowed'],
    [{ headers: { Connection: 'close' } }, 'header_not_allowed'],
    [{ headers: { 'X-Ok': 'a\r\nInjected: 1' } }, 'header_invalid'],
    [{ headers: { 'bad name': 'x' } }, 'header_invalid'],
    [{ auth: oauth('https://x.example.com'), headers: { authorization: 'Basic x' } }, 'auth_header_not_allowed'],
    [
      { auth: { type: 'header', name: 'X-Api-Key', value: 'k' }, headers: { 'x-api-key': 'o' } },
      'auth_header_not_allowed',
    ],
    [{ auth: { type: 'header', name: 'Host', value: 'k' } }, 'header_not_allowed'],
  ] as const)('refuses %j (%s)', (settings, reasonCode) => {
    // Act
    const problem = callbackConfigProblem(settings);

    // Assess
    expect(problem?.reasonCode).toBe(reasonCode);
  });

  it('allows Authorization as a custom header without auth, and puts the auth header last', () => {
    // Prepare
    const settings = {
      auth: { type: 'header' as const, name: 'X-Api-Key', value: 'k1' },
      headers: { 'X-Tenant': 'a' },
    };

    // Act
    const plain = callbackConfigProblem({ headers: { Authorization: 'Bearer static' } });
    const headers = callbackHeaders({ settings, authValue: 'k1', correlationId: 'c1' });

    // Assess
    expect(plain).toBeUndefined();
    expect(headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'LoyaltyLedger-Callbacks/1.0',
      'x-correlation-id': 'c1',
      'x-tenant': 'a',
      'x-api-key': 'k1',
    });
  });
});

describe('OAuth tokens for callbacks (against the sample receiver)', () => {
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    await receiver.start(0);
    receiver.setOAuthClient('crm client', { secret: 'cs_very+secret/value', expiresInSeconds: 20 });
  });
  afterAll(() => receiver.stop());

  it('gets a token with Basic and with body credentials, and refuses a wrong secret without echoing it', async () => {
    // Prepare
    const options = { timeoutMs: 2000, allowLoopbackHttp: true };

    // Act
    const basic = await requestToken(oauth(`${receiver.url}/oauth/token`), options);
    const body = await requestToken(oauth(`${receiver.url}/oauth/token`, { clientAuth: 'body' }), options);
    const wrong = await requestToken(
      oauth(`${receiver.url}/oauth/token`, { clientSecret: 'cs_wrong_secret' }),
      options,
    ).then(
      () => new Error('expected a failure'),
      (error: unknown) => error as Error,
    );

    // Assess
    expect(basic).toEqual({ accessToken: expect.stringMatching(/^tok_/), expiresInSeconds: 20 });
    expect(body.accessToken).not.toBe(basic.accessToken);
    expect(wrong.message).toBe('token endpoint answered 401 invalid_client');
    expect(wrong.message).not.toContain('cs_wrong_secret');
  });

  it('refuses a token URL on a private address before any request (SSRF guard)', async () => {
    // Act
    const refused = await requestToken(oauth('https://10.0.0.7/oauth/token'), {
      timeoutMs: 2000,
      allowLoopbackHttp: true,
    }).then(
      () => new Error('expected a failure'),
      (error: unknown) => error as Error,
    );

    // Assess
    expect(refused.message).toMatch(/^token URL refused \(address_not_allowed\)/);
  });

  it('caches a token until its expiry less the margin, then fetches a new one', async () => {
    // Prepare
    let nowMs = 0;
    const clock = { now: () => new Date(nowMs) };
    let issued = 0;
    const cache = tokenCache(() => Promise.resolve({ accessToken: `t${++issued}`, expiresInSeconds: 100 }), clock);
    const endpoint = callbackEndpoint();
    const auth = oauth('https://auth.example.com/token');

    // Act
    const first = await cache.token(endpoint, auth);
    nowMs = (100 - expiryMarginSeconds(100)) * 1000 - 1;
    const beforeMargin = await cache.token(endpoint, auth);
    nowMs += 1;
    const afterMargin = await cache.token(endpoint, auth);
    const otherSecret = await cache.token(endpoint, { ...auth, clientSecret: 'rotated' });

    // Assess
    expect([first, beforeMargin, afterMargin, otherSecret]).toEqual(['t1', 't1', 't2', 't3']);
  });

  it('refreshes the token once when the receiver answers 401, and sends no secret in the attempt', async () => {
    // Prepare: the cache holds a token the receiver never issued (revoked, say)
    let calls = 0;
    const cache = tokenCache(async (auth) =>
      ++calls === 1
        ? { accessToken: 'tok_revoked', expiresInSeconds: 300 }
        : requestToken(auth, { timeoutMs: 2000, allowLoopbackHttp: true }),
    );
    const endpoint = callbackEndpoint({
      url: `${receiver.url}/callbacks/crm`,
      auth: oauth(`${receiver.url}/oauth/token`),
    });
    const before = receiver.received.length;

    // Act
    const result = await postCallback({
      subscription: endpoint,
      body: '{"a":1}',
      timeoutMs: 2000,
      allowLoopbackHttp: true,
      tokens: cache,
    });

    // Assess: a 401 with the stale token, then a 200 with a fresh one, one attempt
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(receiver.received.slice(before).map((hook) => [hook.answered, hook.reason])).toEqual([
      [401, 'invalid_token'],
      [200, undefined],
    ]);
    expect(calls).toBe(2);
  });

  it('sends a static auth header and the custom headers, unsigned', async () => {
    // Prepare: a long-lived token the receiver issued, configured as a static Authorization header
    const { accessToken } = await requestToken(oauth(`${receiver.url}/oauth/token`), {
      timeoutMs: 2000,
      allowLoopbackHttp: true,
    });
    const endpoint = callbackEndpoint({
      url: `${receiver.url}/callbacks/hr`,
      auth: { type: 'header', name: 'Authorization', value: `Bearer ${accessToken}` },
      headers: { 'X-Company': 'acme' },
    });
    const tokens = tokenCache(() => Promise.reject(new Error('no token request for a static header')));
    const before = receiver.received.length;

    // Act
    const result = await postCallback({
      subscription: endpoint,
      body: '{"b":2}',
      correlationId: 'corr-1',
      timeoutMs: 2000,
      allowLoopbackHttp: true,
      tokens,
    });

    // Assess
    expect(result).toMatchObject({ ok: true, status: 200 });
    const [hook] = receiver.received.slice(before);
    expect(hook).toMatchObject({ verified: true, body: { b: 2 }, correlationId: 'corr-1' });
    expect(hook?.headers).toMatchObject({ 'x-company': 'acme', 'content-type': 'application/json' });
    expect(Object.keys(hook?.headers ?? {}).filter((name) => name.startsWith('webhook-'))).toEqual([]);
  });

  it('fails the attempt when no token can be had, with the reason and without the secret', async () => {
    // Prepare
    const endpoint = callbackEndpoint({
      url: `${receiver.url}/callbacks/crm`,
      auth: oauth(`${receiver.url}/oauth/token`, { clientSecret: 'cs_not_the_secret' }),
    });
    const tokens = tokenCache((auth) => requestToken(auth, { timeoutMs: 2000, allowLoopbackHttp: true }));

    // Act
    const result = await postCallback({
      subscription: endpoint,
      body: '{}',
      timeoutMs: 2000,
      allowLoopbackHttp: true,
      tokens,
    });

    // Assess
    expect(result).toMatchObject({ ok: false, error: 'token endpoint answered 401 invalid_client' });
    expect(JSON.stringify(result)).not.toContain('cs_not_the_secret');
  });
});

describe('callback secrets at rest and in reads', () => {
  it('seals the client secret with the signing secrets and opens it again; previews redact auth', async () => {
    // Prepare
    const items = new Map<string, Record<string, unknown>>();
    const client = {
      send: (command: { input: { Item?: Record<string, unknown>; Key?: Record<string, unknown> } }) => {
        if (command.input.Item) items.set('only', command.input.Item);
        return Promise.resolve(command.input.Item ? {} : { Item: items.get('only') });
      },
    };
    const sealer = new EnvelopeSealer(new LocalDataKeys(Buffer.alloc(32, 7)));
    const store = new DynamoSubscriptionStore(client as never, 'table', sealer);
    const endpoint = callbackEndpoint({ auth: oauth('https://auth.example.com/token'), template: TEMPLATE });

    // Act
    await store.put(endpoint);
    const stored = JSON.stringify(items.get('only'));
    const read = await store.get('t1', 'sub_cb');
    const routing = await new DynamoSubscriptionStore(client as never, 'table').get('t1', 'sub_cb');
    const preview = previewRequest(endpoint, sampleEvent('points.earned', 't1')!);

    // Assess
    expect(stored).not.toContain('cs_very+secret/value');
    expect(typeof items.get('only')?.template).toBe('string');
    expect(read?.template).toEqual(TEMPLATE);
    expect(read?.auth).toEqual(endpoint.auth);
    expect(routing?.auth).toMatchObject({ clientSecret: '' });
    expect(preview.headers.authorization).toBe(REDACTED);
    expect(JSON.stringify(preview)).not.toContain('cs_very+secret/value');
  });
});

describe('callback validation at create and update', () => {
  it.each([
    [
      'headers on a webhook',
      { type: undefined, headers: { 'X-A': '1' } },
      'callback_config_invalid',
      'not_a_callback_endpoint',
    ],
    ['a digest', { digest: { intervalSeconds: 60 } }, 'callback_config_invalid', 'digest_not_supported'],
    ['a Host header', { headers: { Host: 'evil' } }, 'callback_config_invalid', 'header_not_allowed'],
    [
      'an internal token host',
      { auth: oauth('https://auth.internal/token') },
      'callback_token_url_rejected',
      'host_not_allowed',
    ],
    [
      'a private token address',
      { auth: oauth('https://auth.corp-example.net/token') },
      'callback_token_url_rejected',
      'address_not_allowed',
    ],
    [
      'an http token URL',
      { auth: oauth('http://auth.example.com/token') },
      'callback_token_url_rejected',
      'scheme_not_allowed',
    ],
    [
      'a large template',
      { template: { a: 'x'.repeat(MAX_TEMPLATE_BYTES) } },
      'callback_template_invalid',
      'template_too_large',
    ],
    ['an unknown field', { template: { $eval: 'event.data.nope' } }, 'callback_template_invalid', 'render_failed'],
    [
      'a field one type lacks',
      { template: { $eval: 'event.data.amountPoints' }, eventTypes: ['points.earned', 'member.*'] },
      'callback_template_invalid',
      'render_failed',
    ],
  ] as const)('refuses %s', async (_label, overrides, code, reasonCode) => {
    // Act
    const problem = await problemOf(
      requireValidCallback(services, callbackEndpoint(overrides as Partial<WebhookSubscription>), true),
    );

    // Assess
    expect(problem.code).toBe(code);
    expect(problem.status).toBe(422);
    expect(problem.extensions.reasonCode).toBe(reasonCode);
  });

  it("accepts the README's Salesforce-like example as it stands", async () => {
    // Prepare
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const [, json = ''] = /```json\n(\{\n {2}"type": "callback"[\s\S]*?)```/.exec(readme) ?? [];
    const example = JSON.parse(json) as Partial<WebhookSubscription>;

    // Act
    const checked = requireValidCallback(services, callbackEndpoint(example), true);

    // Assess
    await expect(checked).resolves.toBeUndefined();
    expect(example.template).toBeDefined();
  });

  it('names the event type a template fails on, and accepts one guarded for every subscribed type', async () => {
    // Prepare
    const guarded = { points: { $if: "'amountPoints' in event.data", then: { $eval: 'event.data.amountPoints' } } };

    // Act
    const problem = await problemOf(
      requireValidCallback(
        services,
        callbackEndpoint({ template: { $eval: 'event.data.amountPoints' }, eventTypes: ['member.enrolled'] }),
        true,
      ),
    );
    const accepted = requireValidCallback(
      services,
      callbackEndpoint({ template: guarded, eventTypes: ['*'], auth: oauth('https://auth.example.com/token') }),
      true,
    );

    // Assess
    expect(problem.extensions.eventType).toBe('member.enrolled');
    await expect(accepted).resolves.toBeUndefined();
  });
});

describe('a template failing on delivery', () => {
  it('dead-letters the message at once as template_failed, sends nothing and leaves the health alone', async () => {
    // Prepare
    const h = deliveryHarness({ type: 'callback', template: { $eval: 'event.data.missing' } });
    const message = h.message('mem_a');

    // Act
    const outcome = await h.service.handle(message, 1);

    // Assess
    expect(outcome).toBeUndefined();
    expect(h.send).not.toHaveBeenCalled();
    expect(h.deadLetter).toHaveBeenCalledWith(message, expect.objectContaining({ reason: 'template_failed' }));
    if (!('event' in message)) throw new Error('an event message');
    expect(await h.log.getMessage('t1', 'sub_1', message.event.id)).toMatchObject({
      status: 'dead',
      deadReason: 'template_failed',
      lastError: expect.stringMatching(/^template failed: /),
    });
    expect(await h.health.getHealth('t1', 'sub_1')).toMatchObject({ consecutiveFailures: 0 });
  });
});
