import { accepted, committedIds, pairKey, percentile, pool, sleep, type Arrival } from './harness';

/**
 * The fan-out scenario, on a tenant whose every earn goes to several endpoints (the demo one and
 * the bench's `points.*` ones), in two runs:
 * - paced: earns sent at `ratePerS` (80 % of the API's saturated rate; open loop, each on its own
 *   timer), each delivery timed from its event's commit (the body's `timestamp`, the event's
 *   `occurredAt`; one clock) to its acceptance at the receiver, all endpoints pooled. A delivery path
 *   that keeps up shows a flat figure; one that does not shows a backlog growing with the run.
 * - saturated: earns posted as fast as the API takes them, timed from the first request to the last
 *   of earns × endpoints deliveries accepted (signature verified, 2xx answered): the delivery path's
 *   throughput, with the commit → delivered figures of that backlog beside it.
 */

export interface FanoutSettings {
  earns: number;
  concurrency: number;
  /** The paced run's rate, and where it came from (the api scenario of this bench, or a burst of its own). */
  ratePerS: number;
  rateSource: string;
  timeoutMs: number;
}

type Earn = (memberId: string, key: string, amountPoints: number) => Promise<{ status: number; eventId?: string }>;

export interface FanoutContext {
  members: string[];
  earn: Earn;
  /** Every delivery the receiver saw since the endpoints were registered. */
  arrivals: Arrival[];
  /** The endpoints (names at the receiver) that each earn is delivered to. */
  endpoints: string[];
}

/**
 * The API's saturated earn rate from a short burst (`earns` calls, `concurrency` at a time), for a
 * bench that did not run the api scenario. Run before the fan-out endpoints exist, so the burst shares
 * the machine with as much delivery work as the api scenario's does.
 */
export async function saturatedEarnRate(
  context: { members: string[]; earn: Earn },
  earns: number,
  concurrency: number,
): Promise<number> {
  const started = performance.now();
  const burst = await pool(earns, concurrency, (i) =>
    context.earn(context.members[i % context.members.length]!, `rate${i}`, 1),
  );
  const succeeded = burst.filter((r) => r.status === 201).length;
  return succeeded / ((performance.now() - started) / 1000);
}

/** The accepted deliveries of these earns, and each delivery's commit → accepted time, sorted. */
async function deliveries(context: FanoutContext, eventIds: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const found = await accepted(context.arrivals, context.endpoints, eventIds, () => deadline);
  const commitToDelivered = [...found.first.values()]
    .filter((a) => a.committedAt !== undefined)
    .map((a) => Math.max(0, a.at - a.committedAt!))
    .sort((a, b) => a - b);
  const notAccepted = context.arrivals.filter(
    (a) => found.wanted.has(pairKey(a.endpoint, a.eventId)) && !a.accepted,
  ).length;
  return { ...found, commitToDelivered, notAccepted };
}

export async function runFanout(context: FanoutContext, settings: FanoutSettings) {
  const { earns, ratePerS } = settings;
  const { endpoints } = context;
  const member = (i: number) => context.members[i % context.members.length]!;

  const pacedStart = performance.now();
  const pacedRun = await Promise.all(
    Array.from({ length: earns }, async (_, i) => {
      await sleep((i * 1000) / ratePerS);
      return context.earn(member(i), `fp${i}`, 1);
    }),
  );
  const sentPerS = earns / ((performance.now() - pacedStart) / 1000);
  const pacedIds = committedIds(pacedRun);
  const paced = await deliveries(context, pacedIds, settings.timeoutMs);

  const fanoutStart = Date.now();
  const fanoutRun = await pool(earns, settings.concurrency, (i) => context.earn(member(i), `f${i}`, 1));
  const fanoutPostedMs = Date.now() - fanoutStart;
  const fanoutIds = committedIds(fanoutRun);
  const fanout = await deliveries(context, fanoutIds, settings.timeoutMs);
  const fanoutDelivered = fanout.first.size;
  const fanoutLastAt = Math.max(fanoutStart, ...[...fanout.first.values()].map((a) => a.at));
  const fanoutMs = fanoutLastAt - fanoutStart;

  const figures = {
    fanout_rate_per_s: Number(ratePerS.toFixed(1)),
    fanout_rate_source: settings.rateSource,
    commit_to_delivered_ms_p50: percentile(paced.commitToDelivered, 50),
    commit_to_delivered_ms_p99: percentile(paced.commitToDelivered, 99),
    fanout_paced_delivered: paced.first.size,
    fanout_paced_missing: paced.wanted.size - paced.first.size,
    delivery_fanout_per_s: Math.round(fanoutDelivered / (fanoutMs / 1000)),
    delivery_fanout_ms: fanoutMs,
    delivery_fanout_endpoints: endpoints.length,
    delivery_fanout_earns: fanoutIds.length,
    delivery_fanout_delivered: fanoutDelivered,
    delivery_fanout_missing: fanout.wanted.size - fanoutDelivered,
    commit_to_delivered_saturated_ms_p50: percentile(fanout.commitToDelivered, 50),
    commit_to_delivered_saturated_ms_p99: percentile(fanout.commitToDelivered, 99),
  };
  const lines = [
    `commit→delivered under fan-out at ${figures.fanout_rate_per_s} earns/s (80 % of the API's saturated rate, ` +
      `${settings.rateSource}; sent at ${sentPerS.toFixed(1)}/s): p50 ${figures.commit_to_delivered_ms_p50} ms, ` +
      `p99 ${figures.commit_to_delivered_ms_p99} ms (${paced.first.size}/${paced.wanted.size} delivered = ` +
      `${pacedIds.length}/${earns} earns × ${endpoints.length} endpoints, ${paced.notAccepted} not accepted)`,
    `delivery fan-out       ${figures.delivery_fanout_per_s}/s  (${fanoutDelivered}/${fanout.wanted.size} ` +
      `delivered = ${fanoutIds.length}/${earns} earns × ${endpoints.length} endpoints posted as fast as the API ` +
      `takes them, in ${fanoutMs} ms, earns posted in ${fanoutPostedMs} ms, ${figures.delivery_fanout_missing} ` +
      `missing, ${fanout.notAccepted} not accepted)`,
    `commit→delivered under saturated fan-out: p50 ${figures.commit_to_delivered_saturated_ms_p50} ms, ` +
      `p99 ${figures.commit_to_delivered_saturated_ms_p99} ms (${fanout.commitToDelivered.length} deliveries)`,
  ];
  return { figures, lines };
}
