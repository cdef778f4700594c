import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/domain/keys';
import { programmeSettings } from '../functions/domain/programme';
import { balanceItem } from '../functions/adapters/dynamo-ledger-store';
import { planEarn, planEnrol } from '../functions/domain/ledger';
import { table } from '../lib/topology';
import { startTwin } from '../local/twin';

/**
 * `npm run bench`: measures the slice on the local twin and prints figures, then one JSON line.
 * - api_earn_per_s: earn calls over HTTP (API Gateway stand-in → authorizer → handler → one transaction)
 * - raw_transact_per_s: the same four items written straight to DynamoDB Local at the same concurrency
 * - webhook_latency_ms: API response (the commit is done) → signature verified at the receiver,
 *   at a steady rate and while the API is saturated
 * - hot_member_ms: concurrent earns on one member (serial by design: gap-free seq)
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const EARNS = Number(process.env.BENCH_EARNS ?? 800);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 40);
const PACED = Number(process.env.BENCH_PACED_EARNS ?? 200);
const RATE = Number(process.env.BENCH_PACED_RATE ?? 20);
const HOT = Number(process.env.BENCH_HOT_MEMBER_EARNS ?? 20);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

const twin = await startTwin({ inMemory: true, apiPort: 0, receiverPort: 0, lakeBufferSeconds: 5 });
try {
  const headers = { 'x-api-key': twin.demo.apiKey, 'content-type': 'application/json' };
  const run = Date.now();
  const members = await pool(MEMBERS + 1, CONCURRENCY, async (i) => {
    const response = await fetch(`${twin.apiUrl}/v1/members`, { method: 'POST', headers: { ...headers, 'idempotency-key': `bench-${run}-m${i}` }, body: JSON.stringify({ externalId: `bench-${run}-${i}` }) });
    return ((await response.json()) as { memberId: string }).memberId;
  });
  const hotMember = members.pop()!;

  // Both ends of each delivery, matched by event id (a webhook may arrive before the client has read the response).
  const committedAt = new Map<string, number>();
  const receivedAt = new Map<string, number>();
  let unverified = 0;
  twin.receiver.onReceive((hook) => {
    if (!hook.verified) unverified++;
    receivedAt.set(hook.webhookId, Date.now());
  });
  const earn = async (memberId: string, key: string, amountPoints: number) => {
    const response = await fetch(`${twin.apiUrl}/v1/members/${memberId}/points/earn`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `bench-${run}-${key}` },
      body: JSON.stringify({ amountPoints, reason: 'bench' }),
    });
    const body = (await response.json()) as { eventId?: string };
    if (body.eventId) committedAt.set(body.eventId, Date.now());
    return { status: response.status, eventId: body.eventId };
  };
  /** Waits for the deliveries of these events, then gives their latencies, sorted. */
  const latencies = async (eventIds: string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (eventIds.some((id) => !receivedAt.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return eventIds
      .filter((id) => receivedAt.has(id))
      .map((id) => Math.max(0, receivedAt.get(id)! - committedAt.get(id)!))
      .sort((a, b) => a - b);
  };
  const committedIds = (results: { eventId?: string }[]) => results.flatMap((r) => (r.eventId ? [r.eventId] : []));

  // Warm up the handlers and connections, then saturate the API.
  await pool(CONCURRENCY * 2, CONCURRENCY, async (i) =>
    fetch(`${twin.apiUrl}/v1/members/${members[i % MEMBERS]}/balance`, { headers }).then((r) => r.arrayBuffer()),
  );
  const apiStart = performance.now();
  const saturatedRun = await pool(EARNS, CONCURRENCY, (i) => earn(members[i % MEMBERS]!, `e${i}`, 10));
  const apiEarnPerS = EARNS / ((performance.now() - apiStart) / 1000);
  const failures = saturatedRun.filter((r) => r.status !== 201).length;
  // Drain the webhook backlog before the raw run, so the raw figure does not share the machine with it.
  const saturated = await latencies(committedIds(saturatedRun), 60_000);

  // Raw: the same four items per change, straight to DynamoDB Local, same concurrency, own members.
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: twin.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const rawBalances = Array.from({ length: MEMBERS }, () => planEnrol('bench-raw', { externalId: 'x' }, new Date()).balance);
  const rawStart = performance.now();
  await pool(EARNS, CONCURRENCY, async (i) => {
    const slot = i % MEMBERS;
    // Each slot is written by one writer at a time (same contention profile as the API run).
    const current = rawBalances[slot]!;
    const plan = planEarn(current, { amountPoints: 10, reason: 'bench', idempotencyKey: `raw-${i}` }, new Date(), programmeSettings.parse({}));
    const [entry, event] = [plan.entries[0]!, plan.events[0]!];
    rawBalances[slot] = plan.balance;
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table.localName, Item: balanceItem(plan.balance) } },
          { Put: { TableName: table.localName, Item: { ...keys.entry('bench-raw', current.memberId, entry.seq), kind: 'entry', lsi1sk: keys.entryTime(entry.createdAt, entry.seq), ...entry } } },
          { Put: { TableName: table.localName, Item: { ...keys.event('bench-raw', current.memberId, event.seq), kind: 'bench-event', ...event } } },
          { Put: { TableName: table.localName, Item: { ...keys.idempotency('bench-raw', `raw-${run}-${i}`), kind: 'idempotency', requestHash: 'h', statusCode: 201, body: '{}' } } },
        ],
      }),
    );
  });
  const rawPerS = EARNS / ((performance.now() - rawStart) / 1000);
  documents.destroy();

  // Latency at a steady rate below saturation (what a receiver sees in normal operation).
  const pacedRun = await Promise.all(
    Array.from({ length: PACED }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * 1000) / RATE));
      return earn(members[i % MEMBERS]!, `p${i}`, 1);
    }),
  );
  const paced = await latencies(committedIds(pacedRun), 30_000);

  // One member written by many callers at once: each commit must win the member's version.
  const hotStart = performance.now();
  const hotRun = await Promise.all(Array.from({ length: HOT }, (_, i) => earn(hotMember, `h${i}`, 1)));
  const hotMs = Math.round(performance.now() - hotStart);
  const hotCommitted = hotRun.filter((r) => r.status === 201).length;

  const result = {
    api_earn_per_s: Math.round(apiEarnPerS),
    raw_transact_per_s: Math.round(rawPerS),
    api_vs_raw_ratio: Number((apiEarnPerS / rawPerS).toFixed(2)),
    webhook_latency_ms_p50: percentile(paced, 50),
    webhook_latency_ms_p99: percentile(paced, 99),
    webhook_latency_saturated_ms_p50: percentile(saturated, 50),
    webhook_latency_saturated_ms_p99: percentile(saturated, 99),
    webhooks_delivered: saturated.length + paced.length,
    webhooks_unverified: unverified,
    earn_failures: failures,
    hot_member_earns: HOT,
    hot_member_committed: hotCommitted,
    hot_member_ms: hotMs,
    concurrency: CONCURRENCY,
    earns: EARNS,
    members: MEMBERS,
  };
  console.log(`earn over HTTP         ${result.api_earn_per_s}/s  (${EARNS} calls, ${CONCURRENCY} concurrent, ${failures} failed)`);
  console.log(`raw TransactWriteItems ${result.raw_transact_per_s}/s  (same 4 items, same concurrency)`);
  console.log(`API / raw              ${result.api_vs_raw_ratio}`);
  console.log(`webhook commit→verified at ${RATE}/s: p50 ${result.webhook_latency_ms_p50} ms, p99 ${result.webhook_latency_ms_p99} ms (${paced.length}/${PACED} delivered)`);
  console.log(`webhook commit→verified while saturated: p50 ${result.webhook_latency_saturated_ms_p50} ms, p99 ${result.webhook_latency_saturated_ms_p99} ms (${saturated.length}/${EARNS - failures} delivered, ${unverified} unverified)`);
  console.log(`one member, ${HOT} concurrent earns: ${hotCommitted} committed in ${hotMs} ms`);
  console.log(JSON.stringify(result));
} finally {
  await twin.stop();
}
