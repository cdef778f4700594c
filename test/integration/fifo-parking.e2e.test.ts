import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoParkingStore } from '../../functions/adapters/dynamo-parking-store';
import { DynamoTenantStore } from '../../functions/adapters/dynamo-tenant-store';
import { TENANT_SCOPES } from '../../functions/api/operations';
import { newId } from '../../functions/shared/ids';
import { table } from '../../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { configureReceiver, receivedHooks, twinApi, type ReceivedHook } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';
import { ifStarted } from '../support/teardown';

/**
 * The noisy neighbour on the FIFO queue, on the local twin with SQS's in-flight cap scaled from
 * 120,000 down to 30 and the per-endpoint bound from 100 down to 5: one tenant's dead endpoint
 * with 100 member groups keeps at most 5 messages waiting in flight and parks the rest, so
 * another tenant's deliveries keep flowing; when the endpoint recovers, every parked message is
 * delivered, in order per member, none lost.
 */
const IN_FLIGHT_CAP = 30;
const MAX_WAITING = 5;
const SETTINGS = {
  TWIN_SQS_FIFO_IN_FLIGHT_CAP: String(IN_FLIGHT_CAP),
  WEBHOOK_MAX_WAITING_PER_ENDPOINT: String(MAX_WAITING),
  // Enough 1 s steps that the outage spends no message's schedule (probes count as attempts).
  WEBHOOK_RETRY_SCHEDULE: Array.from({ length: 30 }, () => '1s').join(','),
  WEBHOOK_RETRY_JITTER: '0',
  WEBHOOK_BREAKER_FAILURES: '3',
  WEBHOOK_BREAKER_OPEN_SECONDS: '1',
  WEBHOOK_BREAKER_MAX_OPEN_SECONDS: '2',
  WEBHOOK_DRAIN_RAMP_SECONDS: '2',
};
const MEMBERS = 100;

const twin = useTwin([], SETTINGS);
let sqs: SQSClient;
let dynamo: DynamoDBClient;
let parking: DynamoParkingStore;

beforeAll(() => {
  sqs = new SQSClient({ endpoint: twin.endpoints.sqs, region: REGION, credentials: CREDENTIALS });
  dynamo = new DynamoDBClient({ endpoint: twin.endpoints.dynamodb, region: REGION, credentials: CREDENTIALS });
  parking = new DynamoParkingStore(DynamoDBDocumentClient.from(dynamo), table.localName, 30);
});

afterAll(() => {
  ifStarted(sqs)?.destroy();
  ifStarted(dynamo)?.destroy();
});

type Api = ReturnType<typeof twinApi>;

/** A receiver endpoint registered by a tenant, its secret handed to the receiver. */
async function endpoint(api: Api, name: string, failure?: { status: number }): Promise<string> {
  if (failure) await configureReceiver(twin, name, { failure });
  const created = await api<{ subscriptionId: string; secret: string }>('/v1/webhooks/endpoints', {
    body: { url: `${twin.receiverUrl}/hooks/${name}`, eventTypes: ['member.*', 'points.*'] },
    idempotent: false,
  });
  expect(created.status).toBe(201);
  await configureReceiver(twin, name, { secrets: [created.body.secret] });
  return created.body.subscriptionId;
}

/** `count` members with one earning each (two events per member: enrolled, earned), ten at a time; their ids. */
async function members(api: Api, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let first = 0; first < count; first += 10) {
    const batch = Array.from({ length: Math.min(10, count - first) }, (_, i) => first + i);
    ids.push(
      ...(await Promise.all(
        batch.map(async (m) => {
          const enrol = await api<{ memberId: string }>('/v1/members', {
            body: { externalId: `park-${Date.now()}-${m}-${Math.random()}` },
          });
          expect(enrol.status).toBe(201);
          expect(
            (
              await api(`/v1/members/${enrol.body.memberId}/points/earn`, {
                body: { amountPoints: 10, reason: 'stay' },
              })
            ).status,
          ).toBe(201);
          return enrol.body.memberId;
        }),
      )),
    );
  }
  return ids;
}

const inFlight = async () => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: twin.queueUrls.webhookDelivery,
      AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
};

const accepted = (hooks: ReceivedHook[], ids: Set<string>) =>
  hooks.filter((h) => h.answered < 300 && ids.has(h.body?.memberId ?? ''));

describe('a dead endpoint with many members on the local twin (FIFO in-flight cap 30)', () => {
  it('parks what it cannot keep in flight, never delays other tenants, delivers all in order on recovery', async () => {
    // Prepare: tenant A (the demo tenant) has a dead endpoint and 100 members, 200 events.
    const apiA = twinApi(twin);
    const deadId = await endpoint(apiA, 'dead', { status: 500 });
    const tenantA = twin.demo.tenantId;
    const membersA = new Set(await members(apiA, MEMBERS));

    // Watch the queue and the endpoint's slots while the outage lasts.
    let watching = true;
    let maxInFlight = 0;
    let maxSlots = 0;
    // Called below, not an IIFE: inside an IIFE the checker takes `watching` as always true (it is cleared later).
    const watch = async () => {
      while (watching) {
        maxInFlight = Math.max(maxInFlight, await inFlight());
        maxSlots = Math.max(maxSlots, await parking.heldSlots(tenantA, deadId, new Date()));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const watcher = watch();
    const parkedAtOutage = await waitFor(
      async () => {
        const count = await parking.parkedCount(tenantA, deadId);
        return count.messages >= 2 * MEMBERS - 2 * MAX_WAITING ? count : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'the dead endpoint parking its backlog' },
    );

    // Act: tenant B, with a healthy endpoint, gets activity while A's endpoint is still dead.
    const tenantB = { tenantId: newId('ten'), name: 'Neighbour Inc', status: 'active' as const };
    const { apiKey } = await new DynamoTenantStore(
      DynamoDBDocumentClient.from(dynamo),
      table.localName,
    ).createTenantWithKey(tenantB, TENANT_SCOPES);
    const apiB = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, tenantId: tenantB.tenantId, apiKey } });
    await endpoint(apiB, 'neighbour');
    const startedMs = Date.now();
    const membersB = new Set(await members(apiB, 5));
    const neighbour = await waitFor(
      async () => {
        const ok = accepted(await receivedHooks(twin, 'neighbour'), membersB);
        return ok.length >= 2 * membersB.size ? ok : undefined;
      },
      { timeoutMs: 60_000, what: "the other tenant's deliveries" },
    );
    const latencyMs =
      Math.max(...neighbour.map((h) => Date.parse((h as ReceivedHook & { receivedAt: string }).receivedAt))) -
      startedMs;
    const during = await parking.parkedCount(tenantA, deadId);
    const deadAttempts = (await receivedHooks(twin, 'dead')).length;
    console.log(
      `noisy neighbour: tenant B's ${neighbour.length} deliveries all arrived ${latencyMs} ms after its first call; ` +
        `dead endpoint: ${during.messages} messages parked in ${during.chains} chains (${parkedAtOutage.messages} ` +
        `when B started), at most ${maxSlots} waiting in flight (bound ${MAX_WAITING}), ` +
        `${deadAttempts} attempts so far; ` +
        `queue in flight at most ${maxInFlight} (cap ${IN_FLIGHT_CAP})`,
    );

    // Assess: B was served while A's backlog stayed parked, and A never held more than its bound.
    expect(neighbour.every((h) => h.verified)).toBe(true);
    expect(accepted(await receivedHooks(twin, 'dead'), membersA)).toHaveLength(0);
    expect(maxSlots).toBeLessThanOrEqual(MAX_WAITING);
    expect(during.messages).toBeGreaterThanOrEqual(2 * MEMBERS - 2 * MAX_WAITING);

    // Act: the dead endpoint recovers.
    await configureReceiver(twin, 'dead', { failure: null });
    const recovered = await waitFor(
      async () => {
        const ok = accepted(await receivedHooks(twin, 'dead'), membersA);
        return new Set(ok.map((h) => h.webhookId)).size >= 2 * MEMBERS ? ok : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'every parked message delivered after recovery' },
    );
    watching = false;
    await watcher;

    // Assess: all 200 delivered, each member's events in seq order (enrolled, earned), none lost, nothing left parked.
    const after = await parking.parkedCount(tenantA, deadId);
    const duplicates = recovered.length - new Set(recovered.map((h) => h.webhookId)).size;
    console.log(
      `recovery: ${recovered.length} deliveries (${duplicates} repeated), ${after.messages} still parked; queue in ` +
        `flight at most ${maxInFlight}`,
    );
    for (const memberId of membersA) {
      const seqs = recovered.filter((h) => h.body?.memberId === memberId).map((h) => h.body!.seq);
      expect([...new Set(seqs)]).toEqual([1, 2]);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(recovered.every((h) => h.verified)).toBe(true);
    expect(after).toEqual({ chains: 0, messages: 0 });
    expect(maxSlots).toBeLessThanOrEqual(MAX_WAITING);
  }, 300_000);
});
