import { readdirSync, readFileSync } from 'node:fs';
import { percentile, pool, sleep } from './harness';
import { rawEarns } from './raw-transact';

/**
 * The API scenario: earns over HTTP (API Gateway stand-in → authorizer → handler → DynamoDB through
 * the IAM proxy) against the least DynamoDB work an earn needs, on the same items at the same
 * concurrency, written straight to DynamoDB Local:
 * - saturated: `earns` calls with `concurrency` in flight give `api_earn_per_s`; the webhooks they
 *   cause give `webhook_latency_saturated_ms` (commit done → signature verified at the receiver);
 * - raw: one strongly consistent GetItem of the balance and one TransactWriteItems of the same four
 *   items (balance, entry, event, idempotency record) give `raw_earn_per_s`, the transaction alone
 *   `raw_transact_per_s`; `api_vs_raw_ratio` and `api_vs_transact_ratio` divide by them;
 * - paced: `pacedEarns` calls sent at half the saturated rate (open loop: each at its time, whatever
 *   the others do) give `earn_latency_ms_p50/p99`, the raw read and transaction at the same rate
 *   `raw_earn_latency_ms_p50/p99`.
 * The saturated runs go in `rounds` (API, transaction, raw earn, then again), the webhook backlog drained
 * before each raw run, so the raw figures do not share the machine with it.
 */

export interface ApiSettings {
  earns: number;
  concurrency: number;
  /** Members the earns are spread over (each written by one caller at a time). */
  members: number;
  /** Calls of the paced run (at half the saturated rate) at most. */
  pacedEarns: number;
  /** Rounds the saturated runs are cut into, each round running the API, the transaction and the raw earn. */
  rounds: number;
  run: number;
}

export interface ApiContext {
  /** DynamoDB Local itself (not the functions' IAM proxy). */
  dynamodbEndpoint: string;
  members: string[];
  earn(memberId: string, key: string, amountPoints: number): Promise<{ status: number; eventId?: string }>;
  /** Waits for these events' deliveries; gives their commit → verified latencies, sorted. */
  latencies(eventIds: string[], timeoutMs: number): Promise<number[]>;
}

/** Calls `call(i)` at `ratePerS`, each at its own time; gives each call's duration in ms, sorted. */
async function paced(count: number, ratePerS: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const start = performance.now();
  const durations = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await sleep(Math.max(0, start + (i * 1000) / ratePerS - performance.now()));
      const sent = performance.now();
      await call(i);
      return performance.now() - sent;
    }),
  );
  return durations.map(Math.round).sort((a, b) => a - b);
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

/** Linux's clock ticks per second (`getconf CLK_TCK`), the unit of /proc's CPU times. */
const CLOCK_TICKS_PER_S = 100;

/**
 * CPU time used so far by the whole platform on this machine, in ms: this process (the bench's client, the twin and
 * its functions' threads, the SQS and S3 stand-in) and its child processes (DynamoDB Local's JVM), read from /proc;
 * undefined where there is no /proc. On a machine others share, this moves less than the rates: it counts what the
 * work costs, not how long it waited for a core.
 */
function platformCpuMs(): number | undefined {
  const own = process.cpuUsage();
  let children = 0;
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      } catch {
        continue;
      }
      // Fields after the command's closing parenthesis: state, ppid, ..., utime (14th field), stime (15th).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      children += ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
    }
  } catch {
    return undefined;
  }
  return (own.user + own.system) / 1000 + children;
}

export async function runApi(context: ApiContext, settings: ApiSettings) {
  const { earns, concurrency, members, pacedEarns, rounds, run } = settings;
  const memberOf = (i: number) => context.members[i % members]!;
  const committed = (results: { eventId?: string }[]) => results.flatMap((r) => (r.eventId ? [r.eventId] : []));

  // Rounds interleave the three runs, so a shared machine's load changes weigh on each alike.
  const perRound = Math.ceil(earns / rounds);
  const ms = { api: 0, transact: 0, earn: 0 };
  const cpuMs = { api: 0, transact: 0, earn: 0 };
  /** Times `work` (and counts the CPU it used, `settle` included: an earn's webhook is part of its cost). */
  const timed = async <T>(kind: keyof typeof ms, work: () => Promise<T>, settle?: (r: T) => Promise<void>) => {
    const cpu = platformCpuMs();
    const start = performance.now();
    const result = await work();
    ms[kind] += performance.now() - start;
    await settle?.(result);
    const used = platformCpuMs();
    cpuMs[kind] += used === undefined || cpu === undefined ? NaN : used - cpu;
    return result;
  };
  const raw = await rawEarns({ endpoint: context.dynamodbEndpoint, members, concurrency, run });
  try {
    const saturatedRun: { status: number; eventId?: string }[] = [];
    const saturated: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const offset = round * perRound;
      // The webhook backlog drains before the raw runs, so they do not share the machine with it.
      const results = await timed(
        'api',
        () => pool(perRound, concurrency, (i) => context.earn(memberOf(offset + i), `e${offset + i}`, 10)),
        async (done) => {
          saturated.push(...(await context.latencies(committed(done), 60_000)));
        },
      );
      saturatedRun.push(...results);
      // Each first in turn: what the drain leaves behind (the delivery log's writes) falls on both alike.
      const rawRuns = [
        () => timed('transact', () => raw.saturated(perRound, { read: false })),
        () => timed('earn', () => raw.saturated(perRound, { read: true })),
      ];
      for (const rawRun of round % 2 ? rawRuns.reverse() : rawRuns) await rawRun();
    }
    saturated.sort((a, b) => a - b);
    const total = perRound * rounds;
    const perS = (elapsedMs: number) => total / (elapsedMs / 1000);
    const [apiEarnPerS, rawTransactPerS, rawEarnPerS] = [perS(ms.api), perS(ms.transact), perS(ms.earn)];
    const failures = saturatedRun.filter((r) => r.status !== 201).length;
    const cpuPerEarn = (kind: keyof typeof cpuMs) =>
      Number.isNaN(cpuMs[kind]) ? null : Number((cpuMs[kind] / total).toFixed(1));

    const rate = apiEarnPerS / 2;
    // About 20 s at that rate, at most `pacedEarns` calls (a loaded machine's low rate would take minutes).
    const pacedCount = Math.max(20, Math.min(pacedEarns, Math.round(rate * 20)));
    const pacedFailures: number[] = [];
    const pacedIds: string[] = [];
    const apiLatency = await paced(pacedCount, rate, async (i) => {
      const { status, eventId } = await context.earn(memberOf(i), `l${i}`, 1);
      if (status !== 201) pacedFailures.push(i);
      if (eventId) pacedIds.push(eventId);
    });
    // The paced run's webhooks drain before the raw one.
    await context.latencies(pacedIds, 30_000);
    const rawLatency = await paced(pacedCount, rate, (i) => raw.earn(i));

    const figures = {
      api_earn_per_s: Math.round(apiEarnPerS),
      raw_earn_per_s: Math.round(rawEarnPerS),
      raw_transact_per_s: Math.round(rawTransactPerS),
      api_vs_raw_ratio: ratio(apiEarnPerS, rawEarnPerS),
      api_vs_transact_ratio: ratio(apiEarnPerS, rawTransactPerS),
      api_cpu_ms_per_earn: cpuPerEarn('api'),
      raw_earn_cpu_ms_per_earn: cpuPerEarn('earn'),
      raw_transact_cpu_ms_per_earn: cpuPerEarn('transact'),
      earn_latency_rate_per_s: Math.round(rate),
      earn_latency_calls: pacedCount,
      earn_latency_ms_p50: percentile(apiLatency, 50),
      earn_latency_ms_p99: percentile(apiLatency, 99),
      raw_earn_latency_ms_p50: percentile(rawLatency, 50),
      raw_earn_latency_ms_p99: percentile(rawLatency, 99),
      webhook_latency_saturated_ms_p50: percentile(saturated, 50),
      webhook_latency_saturated_ms_p99: percentile(saturated, 99),
      earn_failures: failures + pacedFailures.length,
      webhooks_delivered: saturated.length,
    };
    const lines = [
      `earn over HTTP         ${figures.api_earn_per_s}/s  ` +
        `(${total} calls, ${concurrency} concurrent, ${rounds} rounds, ${failures} failed)`,
      `raw earn               ${figures.raw_earn_per_s}/s  (consistent GetItem + TransactWriteItems, same 4 items, ` +
        `same concurrency)`,
      `raw TransactWriteItems ${figures.raw_transact_per_s}/s  (the transaction alone)`,
      `API / raw earn         ${figures.api_vs_raw_ratio}   API / transaction ${figures.api_vs_transact_ratio}`,
      `CPU per earn, all processes: API ${figures.api_cpu_ms_per_earn} ms (its webhook included), ` +
        `raw earn ${figures.raw_earn_cpu_ms_per_earn} ms, transaction ${figures.raw_transact_cpu_ms_per_earn} ms`,
      `earn latency at ${figures.earn_latency_rate_per_s}/s (half saturated, ${pacedCount} calls): ` +
        `p50 ${figures.earn_latency_ms_p50} ms, p99 ${figures.earn_latency_ms_p99} ms over HTTP ` +
        `(${pacedFailures.length} failed); raw p50 ${figures.raw_earn_latency_ms_p50} ms, ` +
        `p99 ${figures.raw_earn_latency_ms_p99} ms`,
      `webhook commit→verified while saturated: p50 ${figures.webhook_latency_saturated_ms_p50} ms, ` +
        `p99 ${figures.webhook_latency_saturated_ms_p99} ms (${saturated.length}/${total - failures} delivered)`,
    ];
    return { figures, lines };
  } finally {
    raw.close();
  }
}
