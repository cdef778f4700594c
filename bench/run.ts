import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/domain/keys';
import { programmeSettings } from '../functions/domain/programme';
import { balanceItem } from '../functions/adapters/dynamo-ledger-store';
import { planEarn, planEnrol } from '../functions/domain/ledger';
import { table } from '../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../local/aws-local';
import { startTwin } from '../local/twin';

/**
 * `npm run bench`: measures the slice on the local twin and prints figures, then one JSON line.
 * - api_earn_per_s: earn calls over HTTP (API Gateway stand-in → authorizer → handler → one transaction)
 * - raw_transact_per_s: the same four items written straight to DynamoDB Local at the same concurrency
 * - webhook_latency_ms: API response (the commit is done) → signature verified at the receiver,
 *   at a steady rate and while the API is saturated
 * - hot_member_ms: concurrent earns on one member (serial by design: gap-free seq)
 * - delivery_fanout_per_s: 3 more endpoints (`points.*`) registered through the API next to the
 *   demo one (`*`); after the consumers' endpoint cache has expired, earns are posted as fast as the
 *   API takes them, timed from the first request to the last of earns × endpoints deliveries
 *   verified (signature checked, 2xx answered) at the receiver; with the total and the missing
 * - commit_to_delivered_ms: under that load, receipt at the receiver minus the event's commit time
 *   (the body's `timestamp`, which is the event's `occurredAt`; one clock), all endpoints pooled
 * - outage_recovery: one of those endpoints answers 500 to its next 20 deliveries while earns are
 *   posted (a few per member, so order matters): time until every earn reached every endpoint,
 *   failed attempts, per-member seq order of the accepted deliveries, and what never arrived (lost,
 *   must be 0). Measured under the deployed delivery policy (the bench sets no policy env): retries
 *   at 5 s, then 5 min; the breaker opens after 10 consecutive failures for 30 s, and after the
 *   probe succeeds the backlog drains at a rate ramping from 1/s over 60 s.
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const EARNS = Number(process.env.BENCH_EARNS ?? 800);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 40);
const PACED = Number(process.env.BENCH_PACED_EARNS ?? 200);
const RATE = Number(process.env.BENCH_PACED_RATE ?? 20);
const HOT = Number(process.env.BENCH_HOT_MEMBER_EARNS ?? 20);
const FANOUT = Number(process.env.BENCH_FANOUT_EARNS ?? 300);
const FANOUT_ENDPOINTS = Number(process.env.BENCH_FANOUT_ENDPOINTS ?? 3);
const OUTAGE = Number(process.env.BENCH_OUTAGE_EARNS ?? 40);
/** Members the outage earns are spread over (each member's earns are posted in order). */
const OUTAGE_MEMBERS = Math.min(MEMBERS, Number(process.env.BENCH_OUTAGE_MEMBERS ?? 20));
const OUTAGE_FAILURES = Number(process.env.BENCH_OUTAGE_FAILURES ?? 20);
const FANOUT_TIMEOUT_MS = Number(process.env.BENCH_FANOUT_TIMEOUT_S ?? 120) * 1000;
const OUTAGE_TIMEOUT_MS = Number(process.env.BENCH_OUTAGE_TIMEOUT_S ?? 150) * 1000;
/** New endpoints reach the consumers once their endpoint cache has expired (the twin's setting, 5 s by default). */
const CACHE_WAIT_MS = Number(process.env.SUBSCRIPTION_CACHE_TTL_MS ?? 5_000) + 1_000;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

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
    const response = await fetch(`${twin.apiUrl}/v1/members`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `bench-${run}-m${i}` },
      body: JSON.stringify({ externalId: `bench-${run}-${i}` }),
    });
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
    while (eventIds.some((id) => !receivedAt.has(id)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
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
    new DynamoDBClient({ endpoint: twin.endpoints.dynamodb, region: REGION, credentials: CREDENTIALS }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const rawBalances = Array.from(
    { length: MEMBERS },
    () => planEnrol('bench-raw', { externalId: 'x' }, new Date()).balance,
  );
  const rawStart = performance.now();
  await pool(EARNS, CONCURRENCY, async (i) => {
    const slot = i % MEMBERS;
    // Each slot is written by one writer at a time (same contention profile as the API run).
    const current = rawBalances[slot]!;
    const plan = planEarn(
      current,
      { amountPoints: 10, reason: 'bench', idempotencyKey: `raw-${i}` },
      new Date(),
      programmeSettings.parse({}),
    );
    const [entry, event] = [plan.entries[0]!, plan.events[0]!];
    rawBalances[slot] = plan.balance;
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table.localName, Item: balanceItem(plan.balance) } },
          {
            Put: {
              TableName: table.localName,
              Item: {
                ...keys.entry('bench-raw', current.memberId, entry.seq),
                kind: 'entry',
                lsi1sk: keys.entryTime(entry.createdAt, entry.seq),
                ...entry,
              },
            },
          },
          {
            Put: {
              TableName: table.localName,
              Item: { ...keys.event('bench-raw', current.memberId, event.seq), kind: 'bench-event', ...event },
            },
          },
          {
            Put: {
              TableName: table.localName,
              Item: {
                ...keys.idempotency('bench-raw', `raw-${run}-${i}`),
                kind: 'idempotency',
                requestHash: 'h',
                statusCode: 201,
                body: '{}',
              },
            },
          },
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
  // The figures above are complete: what follows adds endpoints, which would change what they see.
  const webhooksUnverified = unverified;

  // Every delivery from here on, as the receiver saw it.
  interface Arrival {
    endpoint: string;
    eventId: string;
    at: number;
    accepted: boolean;
    answered: number;
    memberId?: string;
    seq?: number;
    committedAt?: number;
  }
  const arrivals: Arrival[] = [];
  twin.receiver.onReceive((hook) => {
    const body = hook.body ?? {};
    // Events carry their commit time as an ISO string.
    const stamp = body.occurredAt ?? body.timestamp;
    const committed = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
    arrivals.push({
      endpoint: hook.endpoint,
      eventId: hook.webhookId,
      at: Date.now(),
      accepted: hook.verified && hook.answered >= 200 && hook.answered < 300,
      answered: hook.answered,
      ...(typeof body.memberId === 'string' ? { memberId: body.memberId } : {}),
      ...(typeof body.seq === 'number' ? { seq: body.seq } : {}),
      ...(Number.isFinite(committed) ? { committedAt: committed } : {}),
    });
  });
  const pairKey = (endpoint: string, eventId: string) => `${endpoint}\n${eventId}`;
  /** Waits until each event was accepted by each endpoint (or the deadline); gives the first acceptance of each pair. */
  const accepted = async (endpoints: string[], eventIds: string[], deadline: number) => {
    const wanted = new Set(endpoints.flatMap((endpoint) => eventIds.map((id) => pairKey(endpoint, id))));
    const first = new Map<string, Arrival>();
    let seen = 0;
    for (;;) {
      for (; seen < arrivals.length; seen++) {
        const arrival = arrivals[seen]!;
        const key = pairKey(arrival.endpoint, arrival.eventId);
        if (arrival.accepted && wanted.has(key) && !first.has(key)) first.set(key, arrival);
      }
      if (first.size === wanted.size || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { first, wanted };
  };

  // Delivery fan-out: more endpoints on the same tenant, each with its secret at the receiver.
  const fanoutEndpoints: { name: string; subscriptionId: string }[] = [];
  for (let e = 1; e <= FANOUT_ENDPOINTS; e++) {
    const name = `bench-fanout-${e}`;
    const response = await fetch(`${twin.apiUrl}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        url: `${twin.receiverUrl}/hooks/${name}`,
        eventTypes: ['points.*'],
        description: `bench fan-out ${e}`,
      }),
    });
    const body = (await response.json()) as { subscriptionId?: string; secret?: string };
    if (response.status !== 201 || !body.secret || !body.subscriptionId)
      throw new Error(`Registering endpoint ${name} failed: ${response.status} ${JSON.stringify(body)}`);
    twin.receiver.setSecrets(name, [body.secret]);
    fanoutEndpoints.push({ name, subscriptionId: body.subscriptionId });
  }
  // The demo endpoint takes every event type, so it receives these earns too.
  const deliveryEndpoints = ['demo', ...fanoutEndpoints.map((e) => e.name)];
  await new Promise((r) => setTimeout(r, CACHE_WAIT_MS));

  const fanoutStart = Date.now();
  const fanoutRun = await pool(FANOUT, CONCURRENCY, (i) => earn(members[i % MEMBERS]!, `f${i}`, 1));
  const fanoutPostedMs = Date.now() - fanoutStart;
  const fanoutIds = committedIds(fanoutRun);
  const fanout = await accepted(deliveryEndpoints, fanoutIds, Date.now() + FANOUT_TIMEOUT_MS);
  const fanoutDelivered = fanout.first.size;
  const fanoutLastAt = Math.max(fanoutStart, ...[...fanout.first.values()].map((a) => a.at));
  const fanoutMs = fanoutLastAt - fanoutStart;
  const fanoutPerS = fanoutDelivered / (fanoutMs / 1000);
  const commitToDelivered = [...fanout.first.values()]
    .filter((a) => a.committedAt !== undefined)
    .map((a) => Math.max(0, a.at - a.committedAt!))
    .sort((a, b) => a - b);
  const fanoutUnverified = arrivals.filter(
    (a) => fanout.wanted.has(pairKey(a.endpoint, a.eventId)) && !a.accepted,
  ).length;

  // Outage: one endpoint fails its next deliveries while earns arrive; a few per member, each member's in order.
  const failing = fanoutEndpoints[0]!.name;
  const outageFrom = arrivals.length;
  twin.receiver.setFailure(failing, { status: 500, times: OUTAGE_FAILURES });
  const outageStart = Date.now();
  const outageRun: { status: number; eventId?: string }[] = [];
  await pool(OUTAGE_MEMBERS, CONCURRENCY, async (m) => {
    for (let i = m; i < OUTAGE; i += OUTAGE_MEMBERS) outageRun.push(await earn(members[m]!, `o${i}`, 1));
  });
  const outageIds = committedIds(outageRun);
  const outage = await accepted(deliveryEndpoints, outageIds, Date.now() + OUTAGE_TIMEOUT_MS);
  twin.receiver.setFailure(failing, null);
  const outageEvents = new Set(outageIds);
  const outageArrivals = arrivals.slice(outageFrom).filter((a) => outageEvents.has(a.eventId));
  const outageMs = Math.max(outageStart, ...[...outage.first.values()].map((a) => a.at)) - outageStart;
  const outageFailingMs =
    Math.max(outageStart, ...[...outage.first.values()].filter((a) => a.endpoint === failing).map((a) => a.at)) -
    outageStart;
  const outageFailedAttempts = outageArrivals.filter((a) => a.endpoint === failing && !a.accepted).length;
  const outageAttempts = outageArrivals.filter((a) => a.endpoint === failing).length;
  // Order: per endpoint and member, each accepted delivery carries a higher seq than the one accepted before it.
  const lastSeq = new Map<string, number>();
  const acceptedOnce = new Set<string>();
  let outOfOrder = 0;
  let duplicates = 0;
  for (const a of outageArrivals.filter((x) => x.accepted)) {
    const key = pairKey(a.endpoint, a.eventId);
    if (acceptedOnce.has(key)) {
      duplicates++;
      continue;
    }
    acceptedOnce.add(key);
    const group = pairKey(a.endpoint, a.memberId ?? '?');
    if (a.seq === undefined || a.seq <= (lastSeq.get(group) ?? 0)) outOfOrder++;
    lastSeq.set(group, Math.max(a.seq ?? 0, lastSeq.get(group) ?? 0));
  }
  const outageLost = outage.wanted.size - outage.first.size;
  // Whatever did not arrive: where the platform says it stands (still retrying, or dead).
  const missingStatus: Record<string, number> = {};
  for (const key of outage.wanted) {
    if (outage.first.has(key)) continue;
    const [endpoint, eventId] = key.split('\n') as [string, string];
    const subscriptionId =
      endpoint === 'demo' ? twin.demo.subscriptionId : fanoutEndpoints.find((e) => e.name === endpoint)!.subscriptionId;
    const response = await fetch(`${twin.apiUrl}/v1/webhooks/endpoints/${subscriptionId}/messages/${eventId}`, {
      headers,
    });
    const status = response.ok ? ((await response.json()) as { status: string }).status : `http_${response.status}`;
    missingStatus[status] = (missingStatus[status] ?? 0) + 1;
  }

  const result = {
    api_earn_per_s: Math.round(apiEarnPerS),
    raw_transact_per_s: Math.round(rawPerS),
    api_vs_raw_ratio: Number((apiEarnPerS / rawPerS).toFixed(2)),
    webhook_latency_ms_p50: percentile(paced, 50),
    webhook_latency_ms_p99: percentile(paced, 99),
    webhook_latency_saturated_ms_p50: percentile(saturated, 50),
    webhook_latency_saturated_ms_p99: percentile(saturated, 99),
    webhooks_delivered: saturated.length + paced.length,
    webhooks_unverified: webhooksUnverified,
    earn_failures: failures,
    hot_member_earns: HOT,
    hot_member_committed: hotCommitted,
    hot_member_ms: hotMs,
    delivery_fanout_per_s: Math.round(fanoutPerS),
    delivery_fanout_ms: fanoutMs,
    delivery_fanout_endpoints: deliveryEndpoints.length,
    delivery_fanout_earns: fanoutIds.length,
    delivery_fanout_delivered: fanoutDelivered,
    delivery_fanout_missing: fanout.wanted.size - fanoutDelivered,
    commit_to_delivered_ms_p50: percentile(commitToDelivered, 50),
    commit_to_delivered_ms_p99: percentile(commitToDelivered, 99),
    outage_recovery_ms: outageMs,
    outage_failing_endpoint_recovery_ms: outageFailingMs,
    outage_earns: outageIds.length,
    outage_failed_attempts: outageFailedAttempts,
    outage_order_held: outOfOrder === 0,
    outage_out_of_order: outOfOrder,
    outage_duplicates: duplicates,
    outage_lost: outageLost,
    concurrency: CONCURRENCY,
    earns: EARNS,
    members: MEMBERS,
  };
  console.log(
    `earn over HTTP         ${result.api_earn_per_s}/s  (${EARNS} calls, ${CONCURRENCY} concurrent, ${failures} failed)`,
  );
  console.log(`raw TransactWriteItems ${result.raw_transact_per_s}/s  (same 4 items, same concurrency)`);
  console.log(`API / raw              ${result.api_vs_raw_ratio}`);
  console.log(
    `webhook commit→verified at ${RATE}/s: p50 ${result.webhook_latency_ms_p50} ms, p99 ${result.webhook_latency_ms_p99} ms (${paced.length}/${PACED} delivered)`,
  );
  console.log(
    `webhook commit→verified while saturated: p50 ${result.webhook_latency_saturated_ms_p50} ms, p99 ${result.webhook_latency_saturated_ms_p99} ms (${saturated.length}/${EARNS - failures} delivered, ${unverified} unverified)`,
  );
  console.log(`one member, ${HOT} concurrent earns: ${hotCommitted} committed in ${hotMs} ms`);
  console.log(
    `delivery fan-out       ${result.delivery_fanout_per_s}/s  (${fanoutDelivered}/${fanout.wanted.size} delivered = ${fanoutIds.length}/${FANOUT} earns × ${deliveryEndpoints.length} endpoints in ${fanoutMs} ms, earns posted in ${fanoutPostedMs} ms, ${result.delivery_fanout_missing} missing, ${fanoutUnverified} not accepted)`,
  );
  console.log(
    `commit→delivered under fan-out: p50 ${result.commit_to_delivered_ms_p50} ms, p99 ${result.commit_to_delivered_ms_p99} ms (${commitToDelivered.length} deliveries, endpoints pooled)`,
  );
  console.log(
    `outage (${failing} answers 500 to its next ${OUTAGE_FAILURES}; deployed retry/breaker policy): ${outageIds.length}/${OUTAGE} earns over ${OUTAGE_MEMBERS} members, all ${outage.first.size}/${outage.wanted.size} deliveries in ${outageMs} ms (failing endpoint ${outageFailingMs} ms), ${outageFailedAttempts} failed of ${outageAttempts} attempts there, order ${outOfOrder === 0 ? 'held' : `broken ${outOfOrder}×`}, ${duplicates} duplicates, ${outageLost} lost${outageLost ? ` ${JSON.stringify(missingStatus)}` : ''}`,
  );
  console.log(JSON.stringify(result));
} finally {
  await twin.stop();
}
