import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { contractFetch, receivedHooks } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * The vertical slice over HTTP against the running twin: API → DynamoDB → Streams → SQS → webhook, and → Firehose →
 * lake.
 */
const twin = useTwin(['--lake-buffer-seconds', '1']);

const api = (
  path: string,
  init: { method?: string; body?: unknown; key?: string; idempotencyKey?: string; correlationId?: string } = {},
) =>
  contractFetch(`${twin.apiUrl}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: {
      'x-api-key': init.key ?? twin.demo.apiKey,
      'content-type': 'application/json',
      ...(init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
      ...(init.correlationId ? { 'x-correlation-id': init.correlationId } : {}),
    },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });

const received = async (memberId: string) =>
  (await receivedHooks(twin)).filter((hook) => hook.body?.memberId === memberId);

/** The lake's gzip NDJSON files (none before the first flush creates the folder). */
const lakeFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.ndjson.gz'))
        .map((name) => join(dir, name))
    : [];

/** Every lake record so far, with the file it is in. */
const lakeRecords = () =>
  lakeFiles(twin.lakeDir).flatMap((file) =>
    gunzipSync(readFileSync(file))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => ({ file, event: JSON.parse(l) })),
  );

describe('the vertical slice on the local twin', () => {
  it('enrols, earns, delivers signed webhooks in order, lands the events in the lake, reads the balance', async () => {
    // Act: enrol and earn twice.
    const enrol = await api('/v1/members', {
      body: { externalId: `e2e-${Date.now()}` },
      idempotencyKey: `enrol-${Date.now()}`,
    });
    expect(enrol.status).toBe(201);
    const { memberId } = (await enrol.json()) as { memberId: string };
    for (const [i, amountPoints] of [250, 100].entries()) {
      const earn = await api(`/v1/members/${memberId}/points/earn`, {
        body: { amountPoints, reason: 'stay', source: 'pms' },
        idempotencyKey: `earn-${memberId}-${i}`,
      });
      expect(earn.status).toBe(201);
    }

    // Assess: three verified webhooks, in seq order, each with a distinct webhook-id = event id.
    const hooks = await waitFor(
      async () => {
        const got = await received(memberId);
        return got.length >= 3 ? got : undefined;
      },
      { timeoutMs: 20_000, what: 'three webhooks' },
    );
    expect(hooks).toHaveLength(3);
    expect(hooks.every((h) => h.verified)).toBe(true);
    expect(hooks.map((h) => h.body?.seq)).toEqual([1, 2, 3]);
    expect(hooks.map((h) => h.body?.type)).toEqual(['member.enrolled', 'points.earned', 'points.earned']);
    expect(hooks.map((h) => h.webhookId)).toEqual(hooks.map((h) => h.body?.id));

    // Assess: the lake holds every event under tenant/type/date/hour partitions, gzip NDJSON.
    const lakeEvents = await waitFor(
      () => {
        const mine = lakeRecords().filter((l) => l.event.memberId === memberId);
        return Promise.resolve(mine.length >= 3 ? mine : undefined);
      },
      { timeoutMs: 20_000, what: 'lake files' },
    );
    expect(lakeEvents.map((l) => l.event.seq).sort()).toEqual([1, 2, 3]);
    for (const { file, event } of lakeEvents) {
      expect(file).toContain(
        `events/tenant=demo/date=${event.occurredAt.slice(0, 10)}/hour=${event.occurredAt.slice(11, 13)}/`,
      );
    }

    // Assess: the balance.
    const balance = await (await api(`/v1/members/${memberId}/balance`)).json();
    expect(balance).toMatchObject({ memberId, availablePoints: 350, lifetimePoints: 350, seq: 3 });
  });

  it('carries one correlation id from the API answer to the webhook POST and the lake record', async () => {
    // Act: the caller names the enrolment; the earning comes without a correlation id.
    const callerId = `e2e-order-${Date.now()}`;
    const enrol = await api('/v1/members', {
      body: { externalId: `e2e-corr-${Date.now()}` },
      idempotencyKey: `enrol-corr-${Date.now()}`,
      correlationId: callerId,
    });
    const { memberId } = (await enrol.json()) as { memberId: string };
    const earn = await api(`/v1/members/${memberId}/points/earn`, {
      body: { amountPoints: 10, reason: 'stay' },
      idempotencyKey: `earn-corr-${memberId}`,
    });

    // Assess: the caller's id comes back; without one, the answer names API Gateway's request id.
    expect([enrol.status, enrol.headers.get('x-correlation-id')]).toEqual([201, callerId]);
    const requestId = earn.headers.get('x-amzn-requestid');
    expect(requestId).toBeTruthy();
    expect([earn.status, earn.headers.get('x-correlation-id')]).toEqual([201, requestId]);

    // Assess: each webhook POST carries its request's id in the header and in the signed body.
    const hooks = await waitFor(
      async () => {
        const got = await received(memberId);
        return got.length >= 2 ? got : undefined;
      },
      { timeoutMs: 20_000, what: 'two webhooks' },
    );
    expect(hooks.map((h) => [h.body?.type, h.correlationId, h.body?.correlationId, h.verified])).toEqual([
      ['member.enrolled', callerId, callerId, true],
      ['points.earned', requestId, requestId, true],
    ]);

    // Assess: so does each lake record.
    const lake = await waitFor(
      () => {
        const mine = lakeRecords().filter((l) => l.event.memberId === memberId);
        return Promise.resolve(mine.length >= 2 ? mine : undefined);
      },
      { timeoutMs: 20_000, what: 'lake records' },
    );
    expect(
      lake.map((l) => [l.event.type, l.event.correlationId]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['member.enrolled', callerId],
      ['points.earned', requestId],
    ]);
  });

  it('replays a retried request, rejects a reused key, and bad input changes nothing', async () => {
    // Prepare
    const enrol = await api('/v1/members', {
      body: { externalId: `idem-${Date.now()}` },
      idempotencyKey: `idem-enrol-${Date.now()}`,
    });
    const { memberId } = (await enrol.json()) as { memberId: string };
    const body = { amountPoints: 40, reason: 'purchase' };

    // Act
    const first = await api(`/v1/members/${memberId}/points/earn`, { body, idempotencyKey: `k-${memberId}` });
    const retry = await api(`/v1/members/${memberId}/points/earn`, { body, idempotencyKey: `k-${memberId}` });
    const reused = await api(`/v1/members/${memberId}/points/earn`, {
      body: { ...body, amountPoints: 41 },
      idempotencyKey: `k-${memberId}`,
    });
    const invalid = await api(`/v1/members/${memberId}/points/earn`, {
      body: { amountPoints: -3, reason: 'x' },
      idempotencyKey: `bad-${memberId}`,
    });
    const unauthorized = await api(`/v1/members/${memberId}/balance`, { key: 'llk_not-a-key' });

    // Assess
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(await first.json());
    expect(reused.status).toBe(409);
    expect(reused.headers.get('content-type')).toBe('application/problem+json');
    expect(((await reused.json()) as { code: string }).code).toBe('idempotency_key_reused');
    expect(invalid.status).toBe(400);
    expect(unauthorized.status).toBe(401);
    const balance = (await (await api(`/v1/members/${memberId}/balance`)).json()) as {
      availablePoints: number;
      seq: number;
    };
    expect(balance).toMatchObject({ availablePoints: 40, seq: 2 });
  });

  it('serves the OpenAPI document', async () => {
    const response = await contractFetch(`${twin.apiUrl}/openapi.json`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });
});
