import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setting } from '../functions/composition/config';
import { queues } from '../functions/declaration/topology';
import { runDynamoStop } from './dynamo-stop';
import { runFlaky } from './flaky';
import { runKill } from './kill';
import { runOutage } from './outage';
import type { ScenarioResult } from './report';
import { runStorm } from './storm';

/**
 * `npm run chaos`: fault runs on the local twin, each on a twin of its own, each printing sent,
 * committed, delivered (distinct `webhook-id`), duplicates, lost and per-member order inversions,
 * and exiting non-zero on any loss, inversion or broken invariant. All scenarios by default;
 * `npm run chaos -- flaky storm` runs the named ones. Results go to the screen and to
 * chaos-results/<timestamp>.json. Scenarios:
 * - flaky: the receiver answers 5 % errors and holds 5 % past the delivery timeout, at random,
 *   while CHAOS_EVENTS (10,000) earns flow; see `flaky.ts`
 * - storm: CHAOS_STORM_REDEMPTIONS (1,000) concurrent 1-point redemptions on one member holding half as many
 *   points, with poison requests among them; see `storm.ts`
 * - outage: every delivery answered 503 for the breaker's open period and CHAOS_OUTAGE_EXTRA_S (20) more while
 *   CHAOS_OUTAGE_EVENTS (1,000) earns flow, then recovery; see `outage.ts`
 * - dynamo-stop: DynamoDB Local stopped for 10 s (CHAOS_DYNAMO_DOWN_S) under load, then started again on its data;
 *   see `dynamo-stop.ts`
 * - kill: the twin (`npm start` on a data dir) killed with SIGKILL under load and started again on its data, its
 *   deliveries going to a receiver in this process; see `kill.ts`
 */
const SCENARIOS = ['flaky', 'storm', 'outage', 'dynamo-stop', 'kill'] as const;
type Scenario = (typeof SCENARIOS)[number];

// Shorter than deployed, so a run ends in minutes: the delivery timeout, and the retry schedule (deployed 5 s, 5 min,
// 30 min, …: one message failing three times in a row would hold the run for half an hour). Env overrides both.
process.env.WEBHOOK_TIMEOUT_MS ??= '1000';
process.env.WEBHOOK_RETRY_SCHEDULE ??= '1s,2s,5s,10s,30s,1m,5m';

// The functions' metric lines (EMF, which the twin's status page reads) would bury the figures and the progress line.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  const kept = text
    .split('\n')
    .filter((line) => !line.startsWith('{"_aws":'))
    .join('\n');
  return kept.trim() ? write(kept, ...rest) : true;
};

const EVENTS = Number(process.env.CHAOS_EVENTS ?? 10_000);
const MEMBERS = Number(process.env.CHAOS_MEMBERS ?? 100);
const CONCURRENCY = Number(process.env.CHAOS_CONCURRENCY ?? 8);
const STORM_REDEMPTIONS = Number(process.env.CHAOS_STORM_REDEMPTIONS ?? 1_000);
const OUTAGE_EVENTS = Number(process.env.CHAOS_OUTAGE_EVENTS ?? 1_000);
const OUTAGE_EXTRA_S = Number(process.env.CHAOS_OUTAGE_EXTRA_S ?? 20);
const DYNAMO_DOWN_S = Number(process.env.CHAOS_DYNAMO_DOWN_S ?? 10);
/** Waits for deliveries end when none arrived for this long. */
const STALL_MS = Number(process.env.CHAOS_STALL_S ?? 120) * 1000;
/**
 * After a fault that interrupts deliveries (the table gone, the twin killed), messages in flight then stay invisible
 * for the delivery queue's visibility timeout, as after a crashed Lambda, holding their members' later messages: the
 * wait outlasts it.
 */
const IN_FLIGHT_STALL_MS = Math.max(STALL_MS, (queues.webhookDelivery.visibilityTimeoutSeconds + 60) * 1000);

const asked = process.argv
  .slice(2)
  .join(',')
  .split(/[\s,]+/)
  .filter(Boolean);
const unknown = asked.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
if (unknown.length) {
  console.error(`Unknown chaos scenario ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const chosen = asked.length ? (asked as Scenario[]) : [...SCENARIOS];

const runners: Record<Scenario, () => Promise<ScenarioResult>> = {
  flaky: () =>
    runFlaky({
      events: EVENTS,
      members: MEMBERS,
      concurrency: CONCURRENCY,
      errorRate: 0.05,
      timeoutRate: 0.05,
      hangMs: Number(process.env.WEBHOOK_TIMEOUT_MS) + 500,
      stallMs: STALL_MS,
    }),
  storm: () => runStorm({ opening: Math.floor(STORM_REDEMPTIONS / 2), redemptions: STORM_REDEMPTIONS, poison: 40 }),
  outage: () => {
    const breakerOpenSeconds = setting('WEBHOOK_BREAKER_OPEN_SECONDS');
    return runOutage({
      events: OUTAGE_EVENTS,
      members: MEMBERS,
      concurrency: CONCURRENCY,
      downMs: (breakerOpenSeconds + OUTAGE_EXTRA_S) * 1000,
      breakerOpenSeconds,
      // Longer than the longest retry step (with its jitter), so a message waiting it out is not taken for lost.
      stallMs: Math.max(STALL_MS, (Math.max(...setting('WEBHOOK_RETRY_SCHEDULE')) * 1.2 + 30) * 1000),
    });
  },
  'dynamo-stop': () =>
    runDynamoStop({
      members: Math.min(MEMBERS, 20),
      loadMs: 10_000,
      downMs: DYNAMO_DOWN_S * 1000,
      stallMs: IN_FLIGHT_STALL_MS,
    }),
  kill: () =>
    runKill({
      members: Math.min(MEMBERS, 20),
      loadMs: 10_000,
      stallMs: IN_FLIGHT_STALL_MS,
    }),
};

const startedAt = new Date();
const results: Record<string, ScenarioResult & { ms: number }> = {};
for (const name of chosen) {
  const start = Date.now();
  let result: ScenarioResult;
  try {
    result = await runners[name]();
  } catch (error) {
    // One scenario's crash fails the run, not the scenarios after it.
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    result = { figures: {}, lines: [`${name}: did not complete: ${message}`], failures: ['did not complete'] };
  }
  results[name] = { ...result, ms: Date.now() - start };
  for (const line of result.lines) console.log(line);
  console.log(`${name}: ${result.failures.length ? `FAILED (${result.failures.join('; ')})` : 'passed'}`);
}

const failed = Object.entries(results).filter(([, r]) => r.failures.length > 0);
const dir = resolve(import.meta.dirname, '..', 'chaos-results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
const settings = {
  events: EVENTS,
  members: MEMBERS,
  concurrency: CONCURRENCY,
  webhookTimeoutMs: Number(process.env.WEBHOOK_TIMEOUT_MS),
  retrySchedule: process.env.WEBHOOK_RETRY_SCHEDULE,
};
writeFileSync(file, JSON.stringify({ startedAt: startedAt.toISOString(), settings, results }, null, 2));
console.log(
  `chaos: ${chosen.join(', ')} in ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s; ` +
    `${failed.length ? `FAILED: ${failed.map(([name]) => name).join(', ')}` : 'all passed'}; results in ${file}`,
);
process.exitCode = failed.length ? 1 : 0;
