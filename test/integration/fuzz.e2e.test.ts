import { DynamoDBClient, paginateScan, type AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { table } from '../../functions/declaration/topology';
import { checkContract, ContractViolation } from '../support/api-contract';
import { requestArb, routesOf, type FuzzRequest, type FuzzRoute } from '../support/fuzz-requests';
import { rawRequest, type RawAnswer } from '../support/raw-http';
import { twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * Hostile input on every route of `/openapi.json`: malformed requests (wrong types, missing and
 * unknown fields, huge strings, `1e309`, negative and fractional points, invalid JSON, wrong
 * content type, 1.5 MB bodies, `../` and unicode in path parameters, junk query strings, bad
 * credentials) must never answer 5xx or 2xx, every answer is a problem+json its route documents,
 * and the table is item for item what it was before.
 */
const twin = useTwin();

/** Fixed, so a failure is reproduced by running the test again (FUZZ_SEED overrides it to explore). */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);
const MIN_REQUESTS = 2_000;
const PARALLEL = 4;

/**
 * Items that change with no request: the housekeeping job's lease (`JOB#…`), taken and released by
 * the twin's scheduler every few seconds whatever the API is asked.
 */
const changesWithoutRequests = (pk: string) => pk.startsWith('JOB#');

/** Every item of the table, by key, as DynamoDB Local holds it (attribute values compared exactly). */
async function snapshot(): Promise<Map<string, string>> {
  const client = new DynamoDBClient({ endpoint: twin.endpoints.dynamodb, region: REGION, credentials: CREDENTIALS });
  const items = new Map<string, string>();
  try {
    for await (const page of paginateScan({ client }, { TableName: table.localName, ConsistentRead: true })) {
      for (const item of page.Items ?? []) {
        const key = `${item.pk?.S}|${item.sk?.S}`;
        // A key's last use is the authorizer's to record (at most once a minute), whatever the request then is.
        const { lastUsedAt: _lastUsedAt, ...state } = item;
        if (!changesWithoutRequests(item.pk?.S ?? ''))
          items.set(key, canonical(item.kind?.S === 'apiKey' ? state : item));
      }
    }
  } finally {
    client.destroy();
  }
  return items;
}

const canonical = (item: Record<string, AttributeValue>) =>
  JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))));

function differences(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].flatMap((key) => {
    if (before.get(key) === after.get(key)) return [];
    if (!before.has(key)) return [`added ${key}: ${after.get(key)!.slice(0, 300)}`];
    if (!after.has(key)) return [`removed ${key}`];
    return [`changed ${key}: ${before.get(key)!.slice(0, 300)} → ${after.get(key)!.slice(0, 300)}`];
  });
}

/** Real data the path parameters can name: one of each resource, and an event delivered to the demo endpoint. */
async function prepareIds(): Promise<Record<string, string>> {
  const api = twinApi(twin);
  const ok = <T>(answer: { status: number; body: T }, what: string) => {
    if (answer.status >= 300) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const run = `${process.pid}`;
  const enrolled = await api<{ memberId: string }>('/v1/members', { body: { externalId: `fuzz-${run}` } });
  const { memberId } = ok(enrolled, 'enrol');
  const earned = ok(
    await api<{ entry: { entryId: string } }>(`/v1/members/${memberId}/points/earn`, {
      body: { amountPoints: 500, reason: 'fuzz', holdDays: 0 },
    }),
    'earn',
  );
  ok(await api('/v1/campaigns/fuzz-campaign', { method: 'PUT', body: { name: 'Fuzz campaign' } }), 'campaign');
  const window = { startsAt: '2020-01-01T00:00:00Z', endsAt: '2099-01-01T00:00:00Z' };
  ok(await api('/v1/offers/fuzz-offer', { method: 'PUT', body: { name: 'Fuzz offer', ...window } }), 'offer');
  const reward = { name: 'Fuzz reward', pointsCost: 10, fulfilment: 'manual', unlimitedStock: true };
  ok(await api('/v1/rewards/fuzz-reward', { method: 'PUT', body: reward }), 'reward');
  const redeemed = ok(
    await api<{ redemption: { redemptionId: string } }>(`/v1/members/${memberId}/redemptions`, {
      body: { rewardId: 'fuzz-reward' },
    }),
    'redemption',
  );
  const subscriptionId = twin.demo.subscriptionId;
  const eventId = await waitFor(
    async () => {
      const { body } = await api<{ items: { eventId: string }[] }>(`/v1/webhooks/endpoints/${subscriptionId}/messages`);
      return body.items[0]?.eventId;
    },
    { timeoutMs: 30_000, what: 'a message on the demo endpoint' },
  );
  return {
    memberId,
    entryId: earned.entry.entryId,
    offerId: 'fuzz-offer',
    rewardId: 'fuzz-reward',
    campaignId: 'fuzz-campaign',
    redemptionId: redeemed.redemption.redemptionId,
    subscriptionId,
    eventId,
  };
}

/** The table once deliveries, routers and health updates of the prepared data have finished: two equal scans. */
async function settledSnapshot(): Promise<Map<string, string>> {
  let previous = await snapshot();
  return waitFor(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const next = await snapshot();
      const settled = differences(previous, next).length === 0;
      previous = next;
      return settled ? next : undefined;
    },
    { timeoutMs: 60_000, what: 'the table to settle after the prepared data' },
  );
}

/** Runs `work` over `items`, `parallel` at a time. */
async function pool<T>(items: T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

const shown = (request: FuzzRequest, answer?: RawAnswer) =>
  `${request.malformation}: ${request.method} ${request.path.slice(0, 200)}\n` +
  `  headers: ${JSON.stringify(request.headers).slice(0, 200)}\n` +
  `  body: ${(request.body ?? '').slice(0, 200)}${(request.body?.length ?? 0) > 200 ? '…' : ''}` +
  (answer ? `\n  answer: ${answer.status} ${answer.headers['content-type']} ${answer.body.slice(0, 300)}` : '');

/** What is wrong with an answer to a malformed request, if anything. */
function faultOf(request: FuzzRequest, answer: RawAnswer): string | undefined {
  if (answer.status >= 500) return 'a 5xx answer';
  if (answer.status < 400) return `a ${answer.status} answer to a malformed request`;
  if (answer.headers['content-type']?.split(';')[0] !== 'application/problem+json') return 'not problem+json';
  try {
    checkContract({
      method: request.method,
      // The gateway routes on the path with its dot segments (`..`, `%2e%2e`) resolved; so is the contract checked.
      path: new URL(request.path, 'http://gateway').pathname,
      status: answer.status,
      contentType: answer.headers['content-type'] ?? null,
      text: answer.body,
    });
  } catch (error) {
    if (error instanceof ContractViolation) return `outside its contract: ${error.message.split('\n')[0]}`;
    throw error;
  }
  return undefined;
}

describe('the API under malformed requests', () => {
  it('answers every one with a documented 4xx problem and changes nothing in the table', async () => {
    // Prepare: the routes the API documents, real ids for their parameters, the table at rest.
    const document = (await (await fetch(`${twin.apiUrl}/openapi.json`)).json()) as Parameters<typeof routesOf>[0];
    const routes: FuzzRoute[] = routesOf(document);
    const ids = await prepareIds();
    const perRoute = Math.ceil(MIN_REQUESTS / routes.length) + 4;
    const requests = routes.flatMap((route, i) =>
      fc.sample(requestArb(route, { apiKey: twin.demo.apiKey, ids }), { seed: SEED + i, numRuns: perRoute }),
    );
    const before = await settledSnapshot();
    expect([...before.keys()].filter((key) => key.includes(`#MEMBER#${ids.memberId!}`)).length).toBeGreaterThan(2);

    // Act
    const started = Date.now();
    const faults: string[] = [];
    const faultKinds = new Map<string, number>();
    const byStatus = new Map<number, number>();
    const byMalformation = new Map<string, number>();
    const count = <K>(counts: Map<K, number>, key: K) => counts.set(key, (counts.get(key) ?? 0) + 1);
    await pool(requests, PARALLEL, async (request) => {
      const answer = await rawRequest(twin.apiUrl, request);
      count(byStatus, answer.status);
      count(byMalformation, request.malformation);
      const fault = faultOf(request, answer);
      if (fault) {
        faults.push(`${fault}\n${shown(request, answer)}`);
        count(faultKinds, fault);
      }
    });
    const durationS = (Date.now() - started) / 1000;
    const changes = differences(before, await snapshot());

    // Assess
    const statuses = [...byStatus].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
    const kinds = [...byMalformation].sort().map(([kind, n]) => `${kind}: ${n}`);
    console.log(
      `fuzz: ${requests.length} requests over ${routes.length} routes in ${durationS.toFixed(1)} s ` +
        `(seed ${SEED}), ${faults.length} failures\n  by status: ${statuses.join(', ')}\n` +
        `  by malformation: ${kinds.join(', ')}` +
        `\n  table: ${changes.length} items changed` +
        [...faultKinds].map(([fault, n]) => `\n  ${n} × ${fault}`).join(''),
    );
    expect(requests.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
    const covered = new Set(requests.map((request) => request.route.operationId));
    expect(covered.size).toBe(routes.length);
    expect(faults.slice(0, 20)).toEqual([]);
    expect(changes.slice(0, 20)).toEqual([]);
  }, 600_000);
});
