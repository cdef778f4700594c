import { functions } from '../functions/declaration/topology';
import { IMPORT_CONCURRENCY } from '../functions/domain/imports';
import { startTwin } from '../local/twin';
import { runApi } from './api';
import { runBatches } from './batches';
import { runColdStart } from './cold-start';
import { runCost } from './cost';
import { runFanout, saturatedEarnRate } from './fanout';
import { runFeed } from './feed';
import { goalTable } from './goals';
import { runHandlerCpu } from './handler-cpu';
import { runHotMember } from './hot-member';
import { runHotPartition } from './hot-partition';
import { runImports } from './imports';
import { enrolMembers, muteStdout, pool, raiseDemoTenantLimits, recordArrivals, sleep } from './harness';
import { runLake } from './lake';
import { runLatency } from './latency';
import { runOutage } from './outage';

/**
 * `npm run bench`: measures the slice on the local twin and prints figures, then one JSON line.
 * Scenarios (all by default; `BENCH_ONLY=outage` or `npm run bench -- outage` runs only the named
 * ones, comma- or space-separated, and the JSON line then holds only their figures):
 * - api: api_earn_per_s, earn calls over HTTP (API Gateway stand-in → authorizer → handler → DynamoDB), against
 *   raw_earn_per_s (one consistent GetItem and one TransactWriteItems of the same four items straight to DynamoDB
 *   Local at the same concurrency: api_vs_raw_ratio) and raw_transact_per_s (the transaction alone:
 *   api_vs_transact_ratio); earn_latency_ms_p50/p99 at half the saturated rate (BENCH_API_PACED_EARNS calls) beside
 *   raw_earn_latency_ms_p50/p99 at the same rate; webhook_latency_saturated_ms while saturated; the saturated runs
 *   interleave in BENCH_API_ROUNDS (4) rounds; see `api.ts`
 * - latency: webhook_latency_ms, earns sent at BENCH_PACED_RATE (50/s) below saturation, each timed from the API's
 *   response to its webhook verified at the receiver; see `latency.ts`
 * - hot: hot_member_ms, concurrent earns on one member (serial by design: gap-free seq)
 * - hotmember: hot_member_commits_per_s and hot_member_vs_serial_ratio, BENCH_HOT_MEMBER_REDEMPTIONS (1,000)
 *   concurrent redemptions of 1 point on a member with 500 points against the same member's serial rate;
 *   see `hot-member.ts`
 * - fanout: 3 more endpoints (`points.*`) registered through the API next to the demo one (`*`); after
 *   the consumers' endpoint cache has expired, commit_to_delivered_ms (event commit → accepted at the
 *   receiver, endpoints pooled) with earns sent at fanout_rate_per_s, 80 % of the API's saturated rate
 *   (api_earn_per_s when the api scenario ran, else a burst of BENCH_FANOUT_RATE_EARNS of its own), then
 *   delivery_fanout_per_s with earns posted as fast as the API takes them; see `fanout.ts`
 * - outage: one of those endpoints fails until its breaker has opened, under the deployed delivery
 *   policy (the bench sets no policy env); see `outage.ts`
 * - feed: feed_read_events_per_s and page latency reading committed earns back through GET /v1/events,
 *   and feed_tail_ms: commit → seen by a long-polling tail reader; see `feed.ts`
 * - lake: lake_commit_to_file_ms, commit → the event in a lake file, with the twin's lake buffer at
 *   BENCH_LAKE_BUFFER_S; see `lake.ts`
 * - coldstart: each function bundled as CDK bundles it and imported in fresh processes, with tracing off and on
 *   and without the tracer, against the cold-start budget (BENCH_COLDSTART_RUNS imports each); needs no twin,
 *   see `cold-start.ts`
 * - partitions: hot_partition_share, the busiest partition key of the table and of every index as a share of one
 *   partition's limits, for one tenant at BENCH_PARTITION_EARN_RATE earns/s over BENCH_PARTITION_MEMBERS members plus
 *   a tenth of that redeeming one reward (a recorded sample of the API handler's real calls on its own DynamoDB
 *   Local; needs no twin); hot_partition_share_with_webhook adds the delivery function's calls for one endpoint
 *   subscribed to every event, see `hot-partition.ts`
 * - cost: usd_per_million_earn and usd_per_million_deliveries at AWS list prices (bench/prices/), metered on a twin of
 *   its own at the production log level (BENCH_COST_EARNS at BENCH_COST_RATE per second); see `cost.ts`
 * - handlercpu: handler_cpu_ratio, CPU per earn through the API handler (prod settings, AWS SDK stubbed at its HTTP
 *   handler) over a bare function making the same SDK calls, with where the handler's CPU goes (BENCH_HANDLER_CPU_EARNS
 *   earns a round); needs no twin, see `handler-cpu.ts`
 * - batches: batch_commands_per_s, BENCH_BATCHES batches of BENCH_BATCH_COMMANDS earns posted to POST /v1/batches until
 *   every one reads completed, against raw_batch_commands_per_s (the same items straight to DynamoDB Local, as many
 *   in flight as the batch worker's trigger runs at once): batch_vs_raw_ratio; see `batches.ts`
 * - imports: import_rows_per_s, a generated file of BENCH_IMPORT_MEMBERS members, their opening balances and history
 *   (BENCH_IMPORT_MEMBERS_ONLY=true: member rows only) imported at BENCH_IMPORT_RATE rows/s until it reads
 *   completed, against raw_import_rows_per_s (as many enrol transactions straight to DynamoDB Local, the runner's
 *   concurrency in flight): import_vs_raw_ratio, with the rows rejected; see `imports.ts`
 */
const SCENARIOS = [
  'api',
  'latency',
  'hot',
  'hotmember',
  'fanout',
  'outage',
  'feed',
  'lake',
  'coldstart',
  'partitions',
  'cost',
  'handlercpu',
  'batches',
  'imports',
] as const;
/** Scenarios that bring their own stand-ins or their own twin, and need no shared twin. */
const WITHOUT_TWIN = new Set<string>(['coldstart', 'partitions', 'cost', 'handlercpu']);
type Scenario = (typeof SCENARIOS)[number];
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const EARNS = Number(process.env.BENCH_EARNS ?? 800);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 40);
const API_PACED = Number(process.env.BENCH_API_PACED_EARNS ?? 300);
const API_ROUNDS = Math.max(1, Number(process.env.BENCH_API_ROUNDS ?? 4));
const PACED = Number(process.env.BENCH_PACED_EARNS ?? 500);
const RATE = Number(process.env.BENCH_PACED_RATE ?? 50);
const HOT = Number(process.env.BENCH_HOT_MEMBER_EARNS ?? 20);
const HOT_MEMBER_REDEMPTIONS = Number(process.env.BENCH_HOT_MEMBER_REDEMPTIONS ?? 1_000);
const HOT_MEMBER_POINTS = Number(process.env.BENCH_HOT_MEMBER_POINTS ?? 500);
const HOT_MEMBER_SERIAL = Number(process.env.BENCH_HOT_MEMBER_SERIAL ?? 100);
const FANOUT = Number(process.env.BENCH_FANOUT_EARNS ?? 300);
const FANOUT_ENDPOINTS = Math.max(1, Number(process.env.BENCH_FANOUT_ENDPOINTS ?? 3));
/** The fan-out's paced run sends earns at this share of the API's saturated rate. */
const FANOUT_RATE_SHARE = 0.8;
const FANOUT_RATE_EARNS = Number(process.env.BENCH_FANOUT_RATE_EARNS ?? 200);
const OUTAGE = Number(process.env.BENCH_OUTAGE_EARNS ?? 40);
/** Members the outage earns are spread over (each member's earns are posted in order). */
const OUTAGE_MEMBERS = Math.min(MEMBERS, Number(process.env.BENCH_OUTAGE_MEMBERS ?? 20));
const OUTAGE_DOWN_SECONDS = Number(process.env.BENCH_OUTAGE_DOWN_S ?? 0);
const FANOUT_TIMEOUT_MS = Number(process.env.BENCH_FANOUT_TIMEOUT_S ?? 120) * 1000;
const OUTAGE_MAX_WAIT_MS = Number(process.env.BENCH_OUTAGE_MAX_WAIT_S ?? 900) * 1000;
const FEED_EVENTS = Number(process.env.BENCH_FEED_EVENTS ?? 2_000);
const FEED_READ_PASSES = Number(process.env.BENCH_FEED_READ_PASSES ?? 5);
const FEED_TAIL_EVENTS = Number(process.env.BENCH_FEED_TAIL_EVENTS ?? 200);
const FEED_TAIL_RATE = Number(process.env.BENCH_FEED_TAIL_RATE ?? 20);
const LAKE_EVENTS = Number(process.env.BENCH_LAKE_EVENTS ?? 200);
const LAKE_RATE = Number(process.env.BENCH_LAKE_RATE ?? 20);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 4);
const BATCH_COMMANDS = Number(process.env.BENCH_BATCH_COMMANDS ?? 500);
const IMPORT_MEMBERS = Number(process.env.BENCH_IMPORT_MEMBERS ?? 400);
const IMPORT_MEMBERS_ONLY = process.env.BENCH_IMPORT_MEMBERS_ONLY === 'true';
const IMPORT_RATE = Number(process.env.BENCH_IMPORT_RATE ?? 1_000);
/** The twin's lake buffer: its stand-in flushes every 250 ms, so a second is about as short as it measures well. */
const LAKE_BUFFER_S = Number(process.env.BENCH_LAKE_BUFFER_S ?? 1);
/** New endpoints reach the consumers once their endpoint cache has expired (the twin's setting, 5 s by default). */
const CACHE_WAIT_MS = Number(process.env.SUBSCRIPTION_CACHE_TTL_MS ?? 5_000) + 1_000;
const COLDSTART_RUNS = Number(process.env.BENCH_COLDSTART_RUNS ?? 15);
const PARTITION_EARN_RATE = Number(process.env.BENCH_PARTITION_EARN_RATE ?? 10_000);
const PARTITION_MEMBERS = Number(process.env.BENCH_PARTITION_MEMBERS ?? 1_000_000);
const PARTITION_SAMPLE_EARNS = Number(process.env.BENCH_PARTITION_SAMPLE_EARNS ?? 500);
const PARTITION_SAMPLE_REDEMPTIONS = Number(process.env.BENCH_PARTITION_SAMPLE_REDEMPTIONS ?? 250);

/** The scenarios asked for: argv, else BENCH_ONLY, else all. */
function chosenScenarios(): Set<Scenario> {
  const asked = (process.argv.slice(2).join(',') || process.env.BENCH_ONLY || '').split(/[\s,]+/).filter(Boolean);
  const unknown = asked.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`Unknown bench scenario ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  return new Set(asked.length ? (asked as Scenario[]) : SCENARIOS);
}
const chosen = chosenScenarios();

const benchStart = Date.now();
// The functions' log and EMF lines (thousands a scenario) would bury the figures, printed at the end.
const unmute = muteStdout();
const result: Record<string, unknown> = {};
const lines: string[] = [];
/** A scenario's figures join the JSON line, its lines the printout. */
const report = (outcome: { figures: Record<string, unknown>; lines: string[] }) => {
  Object.assign(result, outcome.figures);
  lines.push(...outcome.lines);
};
// Before the twin starts: the imports are timed on a machine doing nothing else of the bench's.
if (chosen.has('coldstart')) {
  const coldStart = await runColdStart({ runs: COLDSTART_RUNS });
  report(coldStart);
}
if (chosen.has('partitions')) {
  const partitions = await runHotPartition({
    scenario: { earnPerS: PARTITION_EARN_RATE, members: PARTITION_MEMBERS, redeemShare: 0.1 },
    sampleEarns: PARTITION_SAMPLE_EARNS,
    sampleRedemptions: PARTITION_SAMPLE_REDEMPTIONS,
    concurrency: CONCURRENCY,
  });
  report(partitions);
}
if (chosen.has('cost')) {
  const cost = await runCost({
    earns: Number(process.env.BENCH_COST_EARNS ?? 150),
    ratePerS: Number(process.env.BENCH_COST_RATE ?? 5),
    members: 20,
    warmupEarns: 40,
    timeoutMs: 120_000,
  });
  report(cost);
}
if (chosen.has('handlercpu')) {
  const earns = Number(process.env.BENCH_HANDLER_CPU_EARNS ?? 400);
  report(await runHandlerCpu({ earns, members: Math.ceil(earns / 2), warmupEarns: earns, rounds: 5 }));
}
if (SCENARIOS.some((scenario) => !WITHOUT_TWIN.has(scenario) && chosen.has(scenario))) await onTwin();
unmute();
for (const line of [...lines, ...goalTable(result)]) console.log(line);
console.log(`bench: ${[...chosen].join(', ')} in ${Math.round((Date.now() - benchStart) / 1000)} s`);
console.log(JSON.stringify(result));

/** The scenarios that run on the twin; their figures and lines join `result` and `lines`. */
async function onTwin() {
  const twin = await startTwin({ inMemory: true, apiPort: 0, receiverPort: 0, lakeBufferSeconds: LAKE_BUFFER_S });
  try {
    const headers = { 'x-api-key': twin.demo.apiKey, 'content-type': 'application/json' };
    await raiseDemoTenantLimits(twin, 'bench');
    const run = Date.now();
    const members = await enrolMembers(twin, MEMBERS + 1, CONCURRENCY, `bench-${run}`);
    const hotMember = members.pop()!;

    // Both ends of each delivery, matched by event id (a webhook may arrive before the client has read the response).
    const committedAt = new Map<string, number>();
    const receivedAt = new Map<string, number>();
    let unverified = 0;
    const stopCounting = twin.receiver.onReceive((hook) => {
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
      while (eventIds.some((id) => !receivedAt.has(id)) && Date.now() < deadline) await sleep(100);
      return eventIds
        .filter((id) => receivedAt.has(id))
        .map((id) => Math.max(0, receivedAt.get(id)! - committedAt.get(id)!))
        .sort((a, b) => a - b);
    };

    // Warm up the handlers and connections.
    await pool(CONCURRENCY * 2, CONCURRENCY, async (i) =>
      fetch(`${twin.apiUrl}/v1/members/${members[i % MEMBERS]}/balance`, { headers }).then((r) => r.arrayBuffer()),
    );

    if (chosen.has('api')) {
      const api = await runApi(
        { dynamodbEndpoint: twin.endpoints.dynamodb, members, earn, latencies },
        { earns: EARNS, concurrency: CONCURRENCY, members: MEMBERS, pacedEarns: API_PACED, rounds: API_ROUNDS, run },
      );
      report(api);
    }

    if (chosen.has('latency')) {
      const latency = await runLatency(
        { members, earn, latencies },
        { events: PACED, ratePerS: RATE, timeoutMs: 30_000 },
      );
      report(latency);
      result.webhooks_delivered = Number(result.webhooks_delivered ?? 0) + latency.figures.webhook_latency_delivered;
    }

    if (chosen.has('hot')) {
      // One member written by many callers at once: each commit must win the member's version.
      const hotStart = performance.now();
      const hotRun = await Promise.all(Array.from({ length: HOT }, (_, i) => earn(hotMember, `h${i}`, 1)));
      const hotMs = Math.round(performance.now() - hotStart);
      const hotCommitted = hotRun.filter((r) => r.status === 201).length;
      Object.assign(result, { hot_member_earns: HOT, hot_member_committed: hotCommitted, hot_member_ms: hotMs });
      lines.push(`one member, ${HOT} concurrent earns: ${hotCommitted} committed in ${hotMs} ms`);
    }
    // The figures above are complete: what follows adds endpoints, which would change what they see.
    stopCounting();
    if (chosen.has('hotmember')) {
      const hotMember = await runHotMember(
        { apiUrl: twin.apiUrl, headers },
        { serial: HOT_MEMBER_SERIAL, concurrent: HOT_MEMBER_REDEMPTIONS, points: HOT_MEMBER_POINTS },
      );
      report(hotMember);
    }
    if (chosen.has('api') || chosen.has('latency') || chosen.has('hot')) {
      result.webhooks_unverified = unverified;
      lines.push(`webhooks not verified at the receiver: ${unverified}`);
    }

    // Before the fan-out endpoints are added: every earn would then be delivered four times more.
    if (chosen.has('feed')) {
      const feed = await runFeed(
        { apiUrl: twin.apiUrl, headers, members, earn },
        {
          events: FEED_EVENTS,
          readPasses: FEED_READ_PASSES,
          tailEvents: FEED_TAIL_EVENTS,
          tailRatePerS: FEED_TAIL_RATE,
          concurrency: CONCURRENCY,
        },
      );
      report(feed);
    }

    if (chosen.has('lake')) {
      const lake = await runLake(
        { lakeDir: twin.lakeDir, members, earn },
        { events: LAKE_EVENTS, ratePerS: LAKE_RATE, bufferSeconds: LAKE_BUFFER_S, timeoutMs: 60_000 },
      );
      report(lake);
    }

    if (chosen.has('batches')) {
      const batches = await runBatches(
        { apiUrl: twin.apiUrl, headers, members, dynamodbEndpoint: twin.endpoints.dynamodb },
        {
          batches: BATCHES,
          commandsPerBatch: BATCH_COMMANDS,
          workerConcurrency: functions.batchWorker.trigger.maxConcurrency,
          timeoutMs: 600_000,
          run,
        },
      );
      report(batches);
    }

    if (chosen.has('imports')) {
      const imports = await runImports(
        { apiUrl: twin.apiUrl, apiKey: twin.demo.apiKey, dynamodbEndpoint: twin.endpoints.dynamodb },
        {
          members: IMPORT_MEMBERS,
          membersOnly: IMPORT_MEMBERS_ONLY,
          rowsPerSecond: IMPORT_RATE,
          concurrency: IMPORT_CONCURRENCY,
          run,
        },
      );
      report(imports);
    }

    // The API's saturated rate, which the fan-out paces its earns at a share of: the api scenario's, else a burst.
    let fanoutRate: { perS: number; source: string } | undefined;
    if (chosen.has('fanout')) {
      fanoutRate =
        typeof result.api_earn_per_s === 'number'
          ? { perS: result.api_earn_per_s, source: 'api_earn_per_s of this bench' }
          : {
              perS: await saturatedEarnRate({ members, earn }, FANOUT_RATE_EARNS, CONCURRENCY),
              source: `a saturated burst of ${FANOUT_RATE_EARNS} earns`,
            };
    }

    if (chosen.has('fanout') || chosen.has('outage')) {
      const arrivals = recordArrivals(twin.receiver);
      // More endpoints on the same tenant, each with its secret at the receiver.
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
      await sleep(CACHE_WAIT_MS);

      if (fanoutRate) {
        const fanout = await runFanout(
          { members, earn, arrivals, endpoints: deliveryEndpoints },
          {
            earns: FANOUT,
            concurrency: CONCURRENCY,
            ratePerS: FANOUT_RATE_SHARE * fanoutRate.perS,
            rateSource: `from ${fanoutRate.source}`,
            timeoutMs: FANOUT_TIMEOUT_MS,
          },
        );
        report(fanout);
      }

      if (chosen.has('outage')) {
        const outage = await runOutage(
          {
            twin,
            headers,
            arrivals,
            members,
            earn,
            endpoints: [...fanoutEndpoints, { name: 'demo', subscriptionId: twin.demo.subscriptionId }],
          },
          {
            earns: OUTAGE,
            members: OUTAGE_MEMBERS,
            concurrency: CONCURRENCY,
            downSeconds: OUTAGE_DOWN_SECONDS,
            maxWaitMs: OUTAGE_MAX_WAIT_MS,
          },
        );
        Object.assign(result, outage.figures);
        lines.push(outage.line);
      }
    }

    Object.assign(result, { concurrency: CONCURRENCY, earns: EARNS, members: MEMBERS });
  } finally {
    await twin.stop();
  }
}
