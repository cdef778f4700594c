import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { configureReceiver, receivedHooks, twinApi, type ReceivedHook } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * Webhook delivery under failure, on the local twin, with the retry schedule compressed to
 * seconds: an outage that recovers loses nothing and keeps each member's order; a poison
 * endpoint dead-letters after the schedule while others flow, and a redrive delivers it all;
 * a 410 disables the endpoint and announces it; a ping answers at once.
 */
const SETTINGS = {
  // 5 attempts a second apart; the breaker opens after 3 consecutive failures for 1 s.
  WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s,1s',
  WEBHOOK_RETRY_JITTER: '0',
  WEBHOOK_BREAKER_FAILURES: '3',
  WEBHOOK_BREAKER_OPEN_SECONDS: '1',
  WEBHOOK_BREAKER_MAX_OPEN_SECONDS: '1',
  WEBHOOK_DRAIN_RAMP_SECONDS: '2',
};
const ATTEMPTS = 5;

const twin = useTwin([], SETTINGS);
const api = twinApi(twin);

interface Endpoint {
  subscriptionId: string;
  secret: string;
}

/** An endpoint of the sample receiver, registered through the API, its secret handed to the receiver. */
async function endpoint(
  name: string,
  eventTypes: string[] = ['*'],
  failure?: { status: number; times?: number },
): Promise<Endpoint> {
  if (failure) await configureReceiver(twin, name, { failure });
  const created = await api<Endpoint>('/v1/webhooks/endpoints', {
    body: { url: `${twin.receiverUrl}/hooks/${name}`, eventTypes },
    idempotent: false,
  });
  expect(created.status).toBe(201);
  await configureReceiver(twin, name, { secrets: [created.body.secret] });
  return created.body;
}

/** Members with a few earnings each: returns every event id per member, in seq order. */
async function activity(members: number, earnings: number): Promise<Map<string, number>> {
  const seqs = new Map<string, number>();
  await Promise.all(
    Array.from({ length: members }, async (_, m) => {
      const enrol = await api<{ memberId: string }>('/v1/members', {
        body: { externalId: `wh-${Date.now()}-${m}-${Math.random()}` },
      });
      expect(enrol.status).toBe(201);
      for (let i = 0; i < earnings; i++) {
        expect(
          (
            await api(`/v1/members/${enrol.body.memberId}/points/earn`, {
              body: { amountPoints: 10 + i, reason: 'stay' },
            })
          ).status,
        ).toBe(201);
      }
      seqs.set(enrol.body.memberId, 1 + earnings);
    }),
  );
  return seqs;
}

/** Accepted (2xx) deliveries of the given members at one receiver endpoint. */
const accepted = (hooks: ReceivedHook[], members: Map<string, number>) =>
  hooks.filter((h) => h.answered < 300 && members.has(h.body?.memberId ?? ''));

/** Every member's events arrived, verified, exactly in seq order 1..n. */
function expectCompleteInOrder(hooks: ReceivedHook[], members: Map<string, number>) {
  for (const [memberId, last] of members) {
    const seqs = hooks.filter((h) => h.body?.memberId === memberId).map((h) => h.body!.seq);
    expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  }
  expect(hooks.every((h) => h.verified)).toBe(true);
}

describe('webhook delivery under failure on the local twin', () => {
  it('rides out an outage: all delivered, member order intact, 0 lost, retries keep the same webhook-id', async () => {
    // Four failures: three open the breaker, the probe after a second fails too, the next one recovers.
    const flaky = await endpoint('flaky', ['*'], { status: 500, times: 4 });
    const members = await activity(4, 3);
    const expected = [...members.values()].reduce((a, b) => a + b, 0);

    const hooks = await waitFor(
      async () => {
        const all = (await receivedHooks(twin, 'flaky')).filter((h) => members.has(h.body?.memberId ?? ''));
        return accepted(all, members).length >= expected ? all : undefined;
      },
      { timeoutMs: 60_000, what: `${expected} deliveries after the outage` },
    );

    const ok = accepted(hooks, members);
    const failed = hooks.filter((h) => h.answered >= 300);
    console.log(`outage: ${expected} events, ${failed.length} failed attempts, ${ok.length} delivered`);
    expect(failed).toHaveLength(4);
    expect(ok).toHaveLength(expected);
    expectCompleteInOrder(ok, members);
    // A failed attempt and its later success are the same message: same webhook-id.
    const delivered = new Set(ok.map((h) => h.webhookId));
    expect(failed.every((h) => delivered.has(h.webhookId))).toBe(true);

    // The attempt log tells the same story, and the breaker closed again.
    const retried = failed[0]!.webhookId;
    const message = await api<{ status: string; attempts: { ok: boolean; status: number; responseBody?: string }[] }>(
      `/v1/webhooks/endpoints/${flaky.subscriptionId}/messages/${retried}`,
    );
    expect(message.status).toBe(200);
    const detail = message.body;
    expect(detail.status).toBe('delivered');
    expect(detail.attempts.at(-1)).toMatchObject({ ok: true, status: 204 });
    expect(detail.attempts[0]).toMatchObject({ ok: false, status: 500, responseBody: 'simulated outage: 500' });
    const log = await api<{ items: { ok: boolean }[] }>(
      `/v1/webhooks/endpoints/${flaky.subscriptionId}/attempts?limit=100`,
    );
    expect(log.body.items.filter((a) => !a.ok)).toHaveLength(4);
    const health = await api<{ health: { state: string; consecutiveFailures: number } }>(
      `/v1/webhooks/endpoints/${flaky.subscriptionId}`,
    );
    expect(health.body.health).toMatchObject({ state: 'closed', consecutiveFailures: 0 });

    // Replay by time range: every message of the window again, oldest first, same webhook-ids.
    const from = new Date(Date.now() - 5 * 60_000).toISOString();
    const replay = await api<{ queued: number; skipped: number }>(
      `/v1/webhooks/endpoints/${flaky.subscriptionId}/replay`,
      {
        body: { from, to: new Date().toISOString() },
        idempotent: false,
      },
    );
    expect(replay).toMatchObject({ status: 202, body: { queued: expected, skipped: 0 } });
    const twice = await waitFor(
      async () => {
        const again = accepted(await receivedHooks(twin, 'flaky'), members);
        return again.length >= 2 * expected ? again : undefined;
      },
      { timeoutMs: 30_000, what: 'replayed deliveries' },
    );
    expect(
      twice
        .slice(expected)
        .map((h) => h.webhookId)
        .sort(),
    ).toEqual(ok.map((h) => h.webhookId).sort());
    expectCompleteInOrder(twice.slice(expected), members);
  }, 90_000);

  it('dead-letters a poison endpoint after its schedule, others flow; a redrive after a fix delivers all', async () => {
    const poison = await endpoint('poison', ['*'], { status: 400 });
    await endpoint('steady');
    const members = await activity(2, 1);
    const expected = [...members.values()].reduce((a, b) => a + b, 0);

    // The healthy endpoint gets everything, in order, while the poison one keeps failing.
    const steady = await waitFor(
      async () => {
        const ok = accepted(await receivedHooks(twin, 'steady'), members);
        return ok.length >= expected ? ok : undefined;
      },
      { timeoutMs: 20_000, what: 'the healthy endpoint' },
    );
    expectCompleteInOrder(steady, members);
    expect(accepted(await receivedHooks(twin, 'poison'), members)).toHaveLength(0);

    // Each poison message becomes a dead letter after its last scheduled attempt.
    const letters = await waitFor(
      async () => {
        const page = await api<{ items: { eventId: string; reason: string }[] }>(
          `/v1/webhooks/endpoints/${poison.subscriptionId}/dead-letters?limit=100`,
        );
        return page.body.items.length >= expected ? page.body.items : undefined;
      },
      { timeoutMs: 75_000, intervalMs: 500, what: 'dead letters' },
    );
    expect(letters.every((l) => l.reason === 'attempts_exhausted')).toBe(true);
    for (const letter of letters) {
      const message = await api<{ status: string; attempts: unknown[] }>(
        `/v1/webhooks/endpoints/${poison.subscriptionId}/messages/${letter.eventId}`,
      );
      expect(message.body).toMatchObject({ status: 'dead' });
      expect(message.body.attempts).toHaveLength(ATTEMPTS);
    }
    // …and is on the DLQ with its full payload.
    const sqs = new SQSClient({ endpoint: twin.endpoints.sqs, region: REGION, credentials: CREDENTIALS });
    // A FIFO queue hands out one group's next message only once the previous one is deleted: read
    // and delete (as an operator who redrives through the API purges the DLQ) until all are seen.
    type DlqBody = {
      subscriptionId: string;
      event: { id: string; data: unknown };
      deadLetter: { reason: string; attempts: number };
    };
    const dlqBodies = new Map<string, DlqBody>();
    for (
      let read = 0;
      read < 10 && [...dlqBodies.values()].filter((b) => b.subscriptionId === poison.subscriptionId).length < expected;
      read++
    ) {
      const onDlq = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: twin.queueUrls.webhookDeliveryDlq,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
          WaitTimeSeconds: 1,
        }),
      );
      for (const m of onDlq.Messages ?? []) {
        dlqBodies.set(m.MessageId!, JSON.parse(m.Body!) as DlqBody);
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: twin.queueUrls.webhookDeliveryDlq, ReceiptHandle: m.ReceiptHandle! }),
        );
      }
    }
    sqs.destroy();
    const ours = [...dlqBodies.values()].filter((b) => b.subscriptionId === poison.subscriptionId);
    expect(ours.map((b) => b.event.id).sort()).toEqual(letters.map((l) => l.eventId).sort());
    for (const body of ours) {
      expect(body).toMatchObject({ deadLetter: { reason: 'attempts_exhausted', attempts: ATTEMPTS } });
      expect(body.event.data).toBeDefined();
    }

    // The endpoint is fixed: a redrive delivers every dead letter, in order, same webhook-ids.
    await configureReceiver(twin, 'poison', { failure: null });
    const redrive = await api<{ queued: number; more: boolean }>(
      `/v1/webhooks/endpoints/${poison.subscriptionId}/dead-letters/redrive`,
      { body: {}, idempotent: false },
    );
    expect(redrive).toMatchObject({ status: 202, body: { queued: expected, more: false } });
    const after = await waitFor(
      async () => {
        const ok = accepted(await receivedHooks(twin, 'poison'), members);
        return ok.length >= expected ? ok : undefined;
      },
      { timeoutMs: 30_000, what: 'redriven deliveries' },
    );
    expectCompleteInOrder(after, members);
    expect(new Set(after.map((h) => h.webhookId))).toEqual(new Set(letters.map((l) => l.eventId)));
    const left = await api<{ items: unknown[] }>(`/v1/webhooks/endpoints/${poison.subscriptionId}/dead-letters`);
    expect(left.body.items).toHaveLength(0);

    // One message again, on request: same webhook-id, a new round.
    const replay = await api(`/v1/webhooks/endpoints/${poison.subscriptionId}/messages/${letters[0]!.eventId}/replay`, {
      body: {},
      idempotent: false,
    });
    expect(replay).toMatchObject({ status: 202, body: { queued: 1 } });
    await waitFor(
      async () =>
        (await receivedHooks(twin, 'poison')).filter((h) => h.webhookId === letters[0]!.eventId && h.answered < 300)
          .length >= 2
          ? true
          : undefined,
      {
        timeoutMs: 15_000,
        what: 'the replayed message',
      },
    );
  }, 150_000);

  it('disables an endpoint answering 410, announces it, parks its messages, delivers them on re-enable', async () => {
    await endpoint('ops', ['endpoint.*']);
    const gone = await endpoint('gone', ['points.*'], { status: 410 });
    const members = await activity(1, 2);
    const [memberId] = [...members.keys()];

    const announced = await waitFor(
      async () => {
        const hooks = (await receivedHooks(twin, 'ops')).filter(
          (h) =>
            h.body?.type === 'endpoint.disabled' &&
            (h.body as unknown as { endpointId: string }).endpointId === gone.subscriptionId,
        );
        return hooks.length > 0 ? hooks[0]! : undefined;
      },
      { timeoutMs: 20_000, what: 'endpoint.disabled' },
    );
    expect(announced.verified).toBe(true);
    expect(announced.body).toMatchObject({
      type: 'endpoint.disabled',
      seq: 1,
      data: { reason: 'gone', lastStatus: 410 },
    });

    const disabled = await api<{ enabled: boolean; disabledReason: string }>(
      `/v1/webhooks/endpoints/${gone.subscriptionId}`,
    );
    expect(disabled.body).toMatchObject({ enabled: false, disabledReason: 'gone' });
    // Both earnings are parked as dead letters: the one answered 410 and the one after it.
    const parked = await waitFor(
      async () => {
        const page = await api<{ items: { reason: string }[] }>(
          `/v1/webhooks/endpoints/${gone.subscriptionId}/dead-letters`,
        );
        return page.body.items.length >= 2 ? page.body.items : undefined;
      },
      { timeoutMs: 20_000, what: 'parked messages' },
    );
    expect(parked.every((l) => l.reason === 'endpoint_disabled')).toBe(true);
    expect(
      (await api(`/v1/webhooks/endpoints/${gone.subscriptionId}/dead-letters/redrive`, { body: {}, idempotent: false }))
        .body,
    ).toMatchObject({ code: 'endpoint_disabled' });

    await configureReceiver(twin, 'gone', { failure: null });
    expect(
      (
        await api(`/v1/webhooks/endpoints/${gone.subscriptionId}`, {
          method: 'PATCH',
          body: { enabled: true },
          idempotent: false,
        })
      ).status,
    ).toBe(200);
    expect(
      (await api(`/v1/webhooks/endpoints/${gone.subscriptionId}/dead-letters/redrive`, { body: {}, idempotent: false }))
        .body,
    ).toMatchObject({ queued: 2 });
    const delivered = await waitFor(
      async () => {
        const ok = (await receivedHooks(twin, 'gone')).filter((h) => h.answered < 300 && h.body?.memberId === memberId);
        return ok.length >= 2 ? ok : undefined;
      },
      { timeoutMs: 20_000, what: 'deliveries after enabling' },
    );
    expect(delivered.map((h) => h.body!.seq)).toEqual([2, 3]);
  }, 90_000);

  it('sends a digest endpoint one signed call per window carrying its events, in order', async () => {
    const created = await api<Endpoint>('/v1/webhooks/endpoints', {
      body: {
        url: `${twin.receiverUrl}/hooks/digest`,
        eventTypes: ['points.*', 'member.*'],
        digest: { intervalSeconds: 10 },
      },
      idempotent: false,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ digest: { intervalSeconds: 10 } });
    await configureReceiver(twin, 'digest', { secrets: [created.body.secret] });
    const members = await activity(2, 2);
    const expected = [...members.values()].reduce((a, b) => a + b, 0);

    type Digest = { type: string; id: string; data: { count: number; events: { memberId: string; seq: number }[] } };
    const digests = await waitFor(
      async () => {
        const calls = (await receivedHooks(twin, 'digest'))
          .filter((h) => h.answered < 300)
          .map((h) => h.body as unknown as Digest);
        const events = calls.flatMap((d) => d.data.events).filter((e) => members.has(e.memberId));
        return events.length >= expected ? calls : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500, what: 'digests' },
    );

    // A window's events arrive in one call (a burst of activity fits one or two windows), each digest verified.
    expect(digests.length).toBeLessThanOrEqual(2);
    expect(digests.every((d) => d.type === 'webhook.digest' && d.data.count === d.data.events.length)).toBe(true);
    expect((await receivedHooks(twin, 'digest')).every((h) => h.verified)).toBe(true);
    for (const [memberId, last] of members) {
      const seqs = digests
        .flatMap((d) => d.data.events)
        .filter((e) => e.memberId === memberId)
        .map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    }
    // The attempt log lists the digest as one message.
    const messages = await api<{ items: { eventType: string; status: string }[] }>(
      `/v1/webhooks/endpoints/${created.body.subscriptionId}/messages`,
    );
    expect(messages.body.items.map((m) => m.eventType)).toEqual(digests.map(() => 'webhook.digest'));
  }, 60_000);

  it('pings an endpoint with a signed test delivery and returns its answer', async () => {
    const target = await endpoint('pinged');
    const ping = await api<{ ok: boolean; status: number }>(`/v1/webhooks/endpoints/${target.subscriptionId}/ping`, {
      body: {},
      idempotent: false,
    });
    expect(ping).toMatchObject({ status: 200, body: { ok: true, status: 204 } });
    const hooks = await receivedHooks(twin, 'pinged');
    expect(hooks.at(-1)).toMatchObject({ verified: true, body: { type: 'webhook.ping' } });
  });
});
