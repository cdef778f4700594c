import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postSigned, RESPONSE_BODY_LIMIT_BYTES } from '../../functions/adapters/webhook-sender';
import { MAX_RETRY_AFTER_SECONDS, retryAfterSeconds } from '../../functions/domain/webhooks/delivery-policy';
import type { EventOf, LoyaltyEvent } from '../../functions/domain/events';
import type { WebhookSubscription } from '../../functions/domain/ports';
import { Webhook } from 'standardwebhooks';
import { generateSigningKeyPair, publicKeyOf, verify } from '../../functions/domain/webhooks/signature';
import { signingSecrets, webhookBody } from '../../functions/domain/webhooks/message';
import { TEST_SECRET } from '../support/webhook-fixtures';

/** The sender against a real HTTP server on loopback: the SSRF guard at send time, pinning, signatures, responses. */
let server: Server;
let port: number;
let received: { url: string | undefined; headers: IncomingMessage['headers']; body: string }[];
let reply: { status: number; headers?: Record<string, string>; body?: string };

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(reply.status, reply.headers ?? {});
      response.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  reply = { status: 204 };
});

const event = {
  id: 'evt_1',
  type: 'member.enrolled',
  version: 1,
  tenantId: 't1',
  memberId: 'mem_1',
  seq: 1,
  occurredAt: '2026-11-21T10:00:00.000Z',
  data: {
    externalId: 'x',
    tier: 'base',
    balance: { availablePoints: 0, pendingPoints: 0, lifetimePoints: 0, tier: 'base' },
  },
} as LoyaltyEvent;

const subscription = (url: string): WebhookSubscription => ({
  tenantId: 't1',
  subscriptionId: 'sub_1',
  url,
  eventTypes: ['*'],
  enabled: true,
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  createdAt: '2026-11-21T10:00:00.000Z',
});

/** One signed POST of `event`, shaped for the endpoint, as the delivery worker sends it. */
const send = (input: Omit<Parameters<typeof postSigned>[0], 'id' | 'body'>) =>
  postSigned({ ...input, id: event.id, body: webhookBody(event, input.subscription) });

describe('webhook sender', () => {
  it('posts a signed body to the address the guard validated', async () => {
    // Prepare: a name that resolves to loopback, allowed in the twin's mode.
    const resolver = () => Promise.resolve(['127.0.0.1']);

    // Act
    const result = await send({
      subscription: subscription(`http://hooks.localhost:${port}/in`),
      timeoutMs: 2000,
      allowLoopbackHttp: true,
      resolver,
    });

    // Assess
    expect(result).toMatchObject({ ok: true, status: 204 });
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    expect(headers.host).toBe(`hooks.localhost:${port}`);
    expect(
      verify({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', headers: headers as Record<string, string>, body }),
    ).toEqual({ ok: true });
  });

  it('sends the correlation id as x-correlation-id beside the signature, which it leaves unchanged', async () => {
    // Prepare
    const resolver = () => Promise.resolve(['127.0.0.1']);

    // Act
    await send({
      subscription: subscription(`http://hooks.localhost:${port}/in`),
      correlationId: 'order-42',
      timeoutMs: 2000,
      allowLoopbackHttp: true,
      resolver,
    });

    // Assess
    const { headers, body } = received[0]!;
    expect(headers['x-correlation-id']).toBe('order-42');
    expect(verify({ secret: TEST_SECRET, headers: headers as Record<string, string>, body })).toEqual({ ok: true });
  });

  it('passes the Standard Webhooks reference library, with or without ed25519 signatures beside HMAC', async () => {
    // Prepare: one endpoint signing with HMAC only, one also with an ed25519 key
    const hmacOnly = subscription(`http://127.0.0.1:${port}/in`);
    const signingKey = generateSigningKeyPair().secretKey;
    const both = { ...hmacOnly, signingKeys: [signingKey] };

    // Act
    await send({ subscription: hmacOnly, timeoutMs: 2000, allowLoopbackHttp: true });
    await send({ subscription: both, timeoutMs: 2000, allowLoopbackHttp: true });

    // Assess: the library verifies both (it skips the v1a entries it does not know); our receiver checks v1a
    const reference = new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    for (const { headers, body } of received) {
      expect(reference.verify(body, headers as Record<string, string>)).toEqual(JSON.parse(body));
    }
    const [, signed] = received;
    expect(String(signed!.headers['webhook-signature'])).toMatch(/^v1,\S+ v1a,\S+$/);
    expect(
      verify({
        publicKey: publicKeyOf(signingKey),
        headers: signed!.headers as Record<string, string>,
        body: signed!.body,
      }),
    ).toEqual({ ok: true });
    // A tampered body fails the reference library too.
    expect(() =>
      reference.verify(signed!.body.replace('mem_1', 'mem_2'), signed!.headers as Record<string, string>),
    ).toThrow();
  });

  it('refuses at send time a host whose DNS now points at a private address, without connecting', async () => {
    const resolver = () => Promise.resolve(['10.0.0.7']);
    const result = await send({
      subscription: subscription('https://hooks.example.com/in'),
      timeoutMs: 2000,
      allowLoopbackHttp: false,
      resolver,
    });
    expect(result).toMatchObject({ ok: false, blocked: true });
    expect(result.error).toContain('address_not_allowed');
    expect(received).toHaveLength(0);
  });

  it('refuses http to loopback unless the twin allows it', async () => {
    const result = await send({
      subscription: subscription(`http://127.0.0.1:${port}/in`),
      timeoutMs: 2000,
      allowLoopbackHttp: false,
    });
    expect(result).toMatchObject({ ok: false, blocked: true });
    expect(received).toHaveLength(0);
  });

  it('counts a redirect as a failure and does not follow it', async () => {
    // Prepare: a redirect to a path of the same server, so following it would show up there.
    reply = { status: 302, headers: { location: `http://127.0.0.1:${port}/followed` } };

    // Act
    const result = await send({
      subscription: subscription(`http://127.0.0.1:${port}/in`),
      timeoutMs: 2000,
      allowLoopbackHttp: true,
    });

    // Assess
    expect(result).toMatchObject({ ok: false, status: 302 });
    expect(received.map((request) => request.url)).toEqual(['/in']);
    expect(received.some((request) => request.url === '/followed')).toBe(false);
  });

  it('keeps the start of the response body and reads Retry-After of a 429', async () => {
    reply = { status: 429, headers: { 'retry-after': '120' }, body: 'x'.repeat(RESPONSE_BODY_LIMIT_BYTES * 3) };
    const result = await send({
      subscription: subscription(`http://127.0.0.1:${port}/in`),
      timeoutMs: 2000,
      allowLoopbackHttp: true,
    });
    expect(result).toMatchObject({ ok: false, status: 429, retryAfterSeconds: 120 });
    expect(result.responseBody).toHaveLength(RESPONSE_BODY_LIMIT_BYTES);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-11-21T10:00:00Z');
    expect(retryAfterSeconds('30', now)).toBe(30);
    expect(retryAfterSeconds('Sat, 21 Nov 2026 10:01:00 GMT', now)).toBe(60);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
    // An endpoint cannot pause its deliveries for weeks: at most an hour.
    expect(retryAfterSeconds('2000000', now)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(retryAfterSeconds('Sat, 01 Jan 2028 00:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_SECONDS);
  });
});

describe('webhook payload per endpoint', () => {
  const earned = {
    ...event,
    type: 'points.earned',
    data: {
      entryId: 'ent_1',
      amountPoints: 50,
      reason: 'stay',
      transactionId: 'txn_9',
      expiresAt: null,
      pending: false,
      balance: { availablePoints: 50, pendingPoints: 0, lifetimePoints: 50, tier: 'base' },
    },
  } as EventOf<'points.earned'>;

  it('thin mode sends the envelope and the ids only', () => {
    const body = JSON.parse(webhookBody(earned, { payload: 'thin' }));
    expect(body).toMatchObject({ id: 'evt_1', type: 'points.earned', memberId: 'mem_1', seq: 1 });
    expect(body.data).toEqual({ entryId: 'ent_1', transactionId: 'txn_9' });
  });

  it('a field allowlist keeps only the fields named', () => {
    expect(JSON.parse(webhookBody(earned, { fields: ['amountPoints', 'balance'] })).data).toEqual({
      amountPoints: 50,
      balance: earned.data.balance,
    });
  });

  it('signs with both secrets during a rotation overlap, then with the new one only', async () => {
    // Prepare
    const rotated = {
      ...subscription(`http://127.0.0.1:${port}/in`),
      secrets: ['whsec_bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      secretsRetireAt: '2026-11-22T10:00:00.000Z',
    };
    const during = { now: () => new Date('2026-11-22T09:00:00Z') };
    const after = { now: () => new Date('2026-11-22T11:00:00Z') };

    // Act
    await send({ subscription: rotated, timeoutMs: 2000, allowLoopbackHttp: true, clock: during });
    await send({ subscription: rotated, timeoutMs: 2000, allowLoopbackHttp: true, clock: after });

    // Assess
    const [first, second] = received;
    expect(String(first!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(String(second!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    const check = (secret: string, r: typeof first) =>
      verify({
        secret,
        headers: r!.headers as Record<string, string>,
        body: r!.body,
        now: new Date(Number(r!.headers['webhook-timestamp']) * 1000),
      }).ok;
    expect(check('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', first)).toBe(true);
    expect(check('whsec_bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3', first)).toBe(true);
    expect(check('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', second)).toBe(false);
    expect(check('whsec_bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3', second)).toBe(true);
    expect(signingSecrets(rotated, new Date('2026-11-22T10:00:00Z'))).toEqual([rotated.secrets[0]]);
  });
});
