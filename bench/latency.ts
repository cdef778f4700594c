import { committedIds, percentile, sleep } from './harness';

/**
 * The latency scenario: earns sent at a steady rate below saturation (open loop: each on its own
 * timer, so a slow answer never delays the next request), each timed from the API's 2xx to its
 * webhook verified at the receiver. What a receiver sees in normal operation; the path is the
 * table's stream, the router, the FIFO delivery queue and the delivery function.
 */

export interface LatencySettings {
  events: number;
  ratePerS: number;
  timeoutMs: number;
}

export interface LatencyContext {
  members: string[];
  earn: (memberId: string, key: string, amountPoints: number) => Promise<{ status: number; eventId?: string }>;
  /** Waits for the deliveries of these events, then gives their latencies (API response → verified), sorted. */
  latencies: (eventIds: string[], timeoutMs: number) => Promise<number[]>;
}

export async function runLatency(context: LatencyContext, settings: LatencySettings) {
  const { events, ratePerS } = settings;
  const started = performance.now();
  const paced = await Promise.all(
    Array.from({ length: events }, async (_, i) => {
      await sleep((i * 1000) / ratePerS);
      return context.earn(context.members[i % context.members.length]!, `p${i}`, 1);
    }),
  );
  // The rate the requests were sent at, which a loaded machine may hold below the one asked for.
  const sentPerS = events / ((performance.now() - started) / 1000);
  const committed = committedIds(paced);
  const sorted = await context.latencies(committed, settings.timeoutMs);
  const figures = {
    webhook_latency_ms_p50: percentile(sorted, 50),
    webhook_latency_ms_p99: percentile(sorted, 99),
    webhook_latency_rate_per_s: ratePerS,
    webhook_latency_events: events,
    webhook_latency_delivered: sorted.length,
  };
  const lines = [
    `webhook commit→verified at ${ratePerS}/s: p50 ${figures.webhook_latency_ms_p50} ms, ` +
      `p99 ${figures.webhook_latency_ms_p99} ms (${sorted.length}/${committed.length} delivered of ${events} sent, ` +
      `sent at ${sentPerS.toFixed(1)}/s)`,
  ];
  return { figures, lines };
}
