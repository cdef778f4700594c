import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/domain/keys';
import { planEarn, planEnrol } from '../functions/domain/ledger';
import { table } from '../lib/topology';
import { startTwin } from '../local/twin';

/**
 * `npm run bench`: measures the slice on the local twin and prints figures, then one JSON line.
 * - api_earn_per_s: earn calls over HTTP (API Gateway stand-in → authorizer → handler → one transaction)
 * - raw_transact_per_s: the same four items written straight to DynamoDB Local at the same concurrency
 * - webhook_latency_ms: API response (commit) → signature verified at the receiver
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const EARNS = Number(process.env.BENCH_EARNS ?? 800);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 40);

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
  const members = await pool(MEMBERS, CONCURRENCY, async (i) => {
    const response = await fetch(`${twin.apiUrl}/v1/members`, { method: 'POST', headers: { ...headers, 'idempotency-key': `bench-${run}-m${i}` }, body: JSON.stringify({ externalId: `bench-${run}-${i}` }) });
    return ((await response.json()) as { memberId: string }).memberId;
  });

  // Webhook latency: API response time (the commit is done) → verified delivery at the receiver.
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  let unverified = 0;
  twin.receiver.onReceive((hook) => {
    if (!hook.verified) unverified++;
    const at = committedAt.get(hook.webhookId);
    if (at !== undefined) latencies.push(Date.now() - at);
  });

  // Warm up the handlers and connections, then measure.
  await pool(CONCURRENCY * 2, CONCURRENCY, async (i) =>
    fetch(`${twin.apiUrl}/v1/members/${members[i % MEMBERS]}/balance`, { headers }).then((r) => r.arrayBuffer()),
  );
  const apiStart = performance.now();
  const statuses = await pool(EARNS, CONCURRENCY, async (i) => {
    const response = await fetch(`${twin.apiUrl}/v1/members/${members[i % MEMBERS]}/points/earn`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `bench-${run}-e${i}` },
      body: JSON.stringify({ amountPoints: 10, reason: 'bench' }),
    });
    const body = (await response.json()) as { eventId?: string };
    if (body.eventId) committedAt.set(body.eventId, Date.now());
    return response.status;
  });
  const apiSeconds = (performance.now() - apiStart) / 1000;
  const apiEarnPerS = EARNS / apiSeconds;
  const failures = statuses.filter((s) => s !== 201).length;

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
    const plan = planEarn(current, { amountPoints: 10, reason: 'bench', idempotencyKey: `raw-${i}` }, new Date());
    rawBalances[slot] = plan.balance;
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table.localName, Item: { ...keys.balance('bench-raw', current.memberId), kind: 'balance', ...plan.balance } } },
          { Put: { TableName: table.localName, Item: { ...keys.entry('bench-raw', current.memberId, plan.entry!.seq), kind: 'entry', ...plan.entry } } },
          { Put: { TableName: table.localName, Item: { ...keys.event('bench-raw', current.memberId, plan.event.seq), kind: 'bench-event', ...plan.event } } },
          { Put: { TableName: table.localName, Item: { ...keys.idempotency('bench-raw', `raw-${run}-${i}`), kind: 'idempotency', requestHash: 'h', statusCode: 201, body: '{}' } } },
        ],
      }),
    );
  });
  const rawPerS = EARNS / ((performance.now() - rawStart) / 1000);
  documents.destroy();

  // Wait for the webhooks of the measured earnings.
  let deadline = Date.now() + 60_000;
  while (latencies.length < EARNS - failures && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const saturated = [...latencies].sort((a, b) => a - b);

  // Latency at a steady rate below saturation (what a receiver sees in normal operation).
  const PACED = Number(process.env.BENCH_PACED_EARNS ?? 200);
  const RATE = Number(process.env.BENCH_PACED_RATE ?? 20);
  latencies.length = 0;
  const pacedStart = Date.now();
  await Promise.all(
    Array.from({ length: PACED }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * 1000) / RATE));
      const response = await fetch(`${twin.apiUrl}/v1/members/${members[i % MEMBERS]}/points/earn`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': `bench-${run}-p${i}` },
        body: JSON.stringify({ amountPoints: 1, reason: 'bench-paced' }),
      });
      const body = (await response.json()) as { eventId?: string };
      if (body.eventId) committedAt.set(body.eventId, Date.now());
    }),
  );
  deadline = Date.now() + 30_000;
  while (latencies.length < PACED && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const sorted = [...latencies].sort((a, b) => a - b);
  const pacedSeconds = (Date.now() - pacedStart) / 1000;

  const result = {
    api_earn_per_s: Math.round(apiEarnPerS),
    raw_transact_per_s: Math.round(rawPerS),
    api_vs_raw_ratio: Number((apiEarnPerS / rawPerS).toFixed(2)),
    webhook_latency_ms_p50: percentile(sorted, 50),
    webhook_latency_ms_p99: percentile(sorted, 99),
    webhook_latency_saturated_ms_p50: percentile(saturated, 50),
    webhook_latency_saturated_ms_p99: percentile(saturated, 99),
    webhooks_delivered: saturated.length + latencies.length,
    webhooks_unverified: unverified,
    earn_failures: failures,
    concurrency: CONCURRENCY,
    earns: EARNS,
    members: MEMBERS,
  };
  console.log(`earn over HTTP        ${result.api_earn_per_s}/s  (${EARNS} calls, ${CONCURRENCY} concurrent, ${failures} failed)`);
  console.log(`raw TransactWriteItems ${result.raw_transact_per_s}/s  (same 4 items, same concurrency)`);
  console.log(`API / raw              ${result.api_vs_raw_ratio}`);
  console.log(`webhook commit→verified at ${RATE}/s: p50 ${result.webhook_latency_ms_p50} ms, p99 ${result.webhook_latency_ms_p99} ms (${latencies.length}/${PACED} in ${pacedSeconds.toFixed(1)} s)`);
  console.log(`webhook commit→verified while saturated: p50 ${result.webhook_latency_saturated_ms_p50} ms, p99 ${result.webhook_latency_saturated_ms_p99} ms (${saturated.length} delivered, ${unverified} unverified)`);
  console.log(JSON.stringify(result));
} finally {
  await twin.stop();
}
