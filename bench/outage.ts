import { setting } from '../functions/composition/config';
import type { Twin } from '../local/twin';
import { accountForMissing } from './missing-messages';
import { accepted, committedIds, orderAndDuplicates, pool, sleep, type Arrival } from './harness';

/**
 * The outage scenario: one endpoint answers 500 to every delivery from before the earns are
 * posted until its circuit breaker has opened (and for at least `downSeconds`), then recovers.
 * Scripted by the breaker's state rather than by a count of failures, it takes the same path on
 * a quiet and on a loaded machine: failures open the breaker, the probe after the open period
 * succeeds, the backlog drains. The bench then waits until every message was delivered, or until
 * a bound the policy gives (the breaker's open period, the messages' next retries, the drain
 * ramp), and reads where each message still missing stands: waiting (pending), dead, or lost
 * only when neither the delivery log nor the queue and the parked chains account for it.
 */

export interface OutageSettings {
  earns: number;
  /** Members the earns are spread over (each member's earns are posted in order). */
  members: number;
  concurrency: number;
  /** The endpoint stays down at least this long, even after its breaker opened (0: it recovers once open). */
  downSeconds: number;
  /** Safety cap on the wait after the endpoint recovered, whatever the policy's bound says. */
  maxWaitMs: number;
}

export interface OutageContext {
  twin: Twin;
  headers: Record<string, string>;
  arrivals: Arrival[];
  members: string[];
  earn: (memberId: string, key: string, amountPoints: number) => Promise<{ status: number; eventId?: string }>;
  /** Every endpoint that receives the earns (name at the receiver → subscription id); the first one fails. */
  endpoints: { name: string; subscriptionId: string }[];
}

interface Health {
  state: 'closed' | 'open' | 'halfOpen';
  openUntil?: string;
  pauseUntil?: string;
}

interface LoggedMessage {
  eventId: string;
  nextAttemptAt?: string;
}

/** The deployed policy's figures the wait is bounded by (the bench sets no policy env, nor does the twin). */
const policy = () => ({
  breakerFailures: setting('WEBHOOK_BREAKER_FAILURES'),
  breakerOpenSeconds: setting('WEBHOOK_BREAKER_OPEN_SECONDS'),
  retrySchedule: setting('WEBHOOK_RETRY_SCHEDULE'),
  jitter: setting('WEBHOOK_RETRY_JITTER'),
  drainRampSeconds: setting('WEBHOOK_DRAIN_RAMP_SECONDS'),
  timeoutMs: setting('WEBHOOK_TIMEOUT_MS'),
});

/** After the drain ramp, time for the last messages to come back from their waits and be sent. */
const SETTLE_MS = 30_000;

export async function runOutage(context: OutageContext, settings: OutageSettings) {
  const { twin, headers, arrivals, endpoints } = context;
  const { apiUrl, receiver } = twin;
  const deployed = policy();
  const failing = endpoints[0]!;
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${apiUrl}/v1/webhooks/endpoints/${path}`, { headers });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const health = async () => (await api<{ health?: Health }>(failing.subscriptionId)).health ?? { state: 'closed' };
  /** Every page of an endpoint's list (messages or attempts) since the outage started. */
  const listAll = async <T>(subscriptionId: string, list: string, query: string): Promise<T[]> => {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const cursorQuery = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await api<{ items: T[]; nextCursor?: string }>(
        `${subscriptionId}/${list}?limit=100&${query}${cursorQuery}`,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };

  const from = arrivals.length;
  receiver.setFailure(failing.name, { status: 500 });
  const start = Date.now();
  const startIso = new Date(start - 1_000).toISOString();
  const run: { status: number; eventId?: string }[] = [];
  await pool(settings.members, settings.concurrency, async (m) => {
    for (let i = m; i < settings.earns; i += settings.members)
      run.push(await context.earn(context.members[m]!, `o${i}`, 1));
  });
  const eventIds = committedIds(run);

  // Down until the breaker opened (and at least `downSeconds`). Failing first attempts open it within
  // moments; if it has not opened once the first retries are spent, the endpoint recovers anyway.
  const downMs = settings.downSeconds * 1000;
  const firstRetryMs = (deployed.retrySchedule[0] ?? 0) * (1 + deployed.jitter) * 1000;
  const giveUpAt = Date.now() + Math.max(downMs, 2 * firstRetryMs + SETTLE_MS);
  let breakerOpenedAt: number | undefined;
  for (;;) {
    if (breakerOpenedAt === undefined && (await health()).state !== 'closed') breakerOpenedAt = Date.now();
    const downLongEnough = Date.now() - start >= downMs;
    if ((breakerOpenedAt !== undefined && downLongEnough) || Date.now() >= giveUpAt) break;
    await sleep(200);
  }
  receiver.setFailure(failing.name, null);
  const recoveredAt = Date.now();

  // The wait's bound, from where the breaker and the failing messages stand: the end of the open
  // period (it doubles when a probe fails), the latest retry due, then the drain ramp. Read again
  // every few seconds, so a probe that failed moves it; while messages still arrive (a long drain,
  // parked chains being woken), it stays ahead of the last one. Capped by `maxWaitMs`.
  const cap = recoveredAt + settings.maxWaitMs;
  let policyBound = cap;
  let boundReadAt = 0;
  const deadline = async () => {
    if (Date.now() - boundReadAt < 2_000) return Math.min(cap, policyBound);
    boundReadAt = Date.now();
    const now = Date.now();
    const standing = await health();
    const failingMessages = await listAll<LoggedMessage>(
      failing.subscriptionId,
      'messages',
      `status=failing&from=${encodeURIComponent(startIso)}`,
    );
    const due = [
      recoveredAt,
      standing.state === 'open' && standing.openUntil ? Date.parse(standing.openUntil) : 0,
      standing.state === 'halfOpen' ? now + deployed.timeoutMs : 0,
      standing.pauseUntil ? Date.parse(standing.pauseUntil) : 0,
      ...failingMessages.map((m) => (m.nextAttemptAt ? Date.parse(m.nextAttemptAt) : 0)),
    ];
    const lastAccepted = Math.max(0, ...arrivals.slice(from).flatMap((a) => (a.accepted ? [a.at] : [])));
    policyBound = Math.max(Math.max(...due) + deployed.drainRampSeconds * 1000, lastAccepted) + SETTLE_MS;
    return Math.min(cap, policyBound);
  };
  const outcome = await accepted(
    arrivals,
    endpoints.map((e) => e.name),
    eventIds,
    deadline,
  );
  const waitedMs = Date.now() - recoveredAt;

  const events = new Set(eventIds);
  const outageArrivals = arrivals.slice(from).filter((a) => events.has(a.eventId));
  const firstAcceptances = [...outcome.first.values()];
  const lastAt = (list: Arrival[]) => Math.max(0, ...list.map((a) => a.at));
  const atFailing = firstAcceptances.filter((a) => a.endpoint === failing.name);
  const failedAttempts = outageArrivals.filter((a) => a.endpoint === failing.name && !a.accepted).length;
  const attempts = outageArrivals.filter((a) => a.endpoint === failing.name).length;
  const { outOfOrder, duplicates } = orderAndDuplicates(outageArrivals);
  const probes = (
    await listAll<{ eventId: string; ok: boolean; probe?: boolean }>(
      failing.subscriptionId,
      'attempts',
      `from=${encodeURIComponent(startIso)}`,
    )
  ).filter((a) => a.probe && events.has(a.eventId));

  const { missing, held, latestRetry, pending, dead, lost } = await accountForMissing(
    twin,
    headers,
    endpoints,
    outcome,
  );
  const breakerAtEnd = pending ? await health() : undefined;
  const complete = outcome.first.size === outcome.wanted.size;

  const figures = {
    outage_recovery_ms: Math.max(start, lastAt(firstAcceptances)) - start,
    outage_failing_endpoint_recovery_ms: Math.max(start, lastAt(atFailing)) - start,
    outage_breaker_open_ms: breakerOpenedAt === undefined ? null : breakerOpenedAt - start,
    outage_endpoint_down_ms: recoveredAt - start,
    outage_back_to_delivered_ms: complete ? Math.max(recoveredAt, lastAt(atFailing)) - recoveredAt : null,
    outage_earns: eventIds.length,
    outage_failed_attempts: failedAttempts,
    outage_probes: probes.length,
    outage_failed_probes: probes.filter((p) => !p.ok).length,
    outage_order_held: outOfOrder === 0,
    outage_out_of_order: outOfOrder,
    outage_duplicates: duplicates,
    outage_pending: pending,
    outage_dead: dead,
    outage_lost: lost,
  };
  const missingView = JSON.stringify({
    ...missing,
    ...(held ? { queue_holds: held.queued, parked: held.parked } : {}),
  });
  const stillWaiting = breakerAtEnd
    ? ` ${missingView}, breaker ${breakerAtEnd.state}` +
      (breakerAtEnd.openUntil ? ` until ${breakerAtEnd.openUntil}` : '') +
      (latestRetry ? `, latest retry due ${latestRetry}` : '')
    : lost || dead
      ? ` ${missingView}`
      : '';
  const downFor = settings.downSeconds ? ` and ${settings.downSeconds} s had passed` : '';
  const opened =
    figures.outage_breaker_open_ms === null
      ? 'the breaker never opened'
      : `breaker open at ${figures.outage_breaker_open_ms} ms`;
  const line =
    `outage (${failing.name} answers 500 until its breaker opened${downFor}; deployed policy: ` +
    `${deployed.breakerFailures} failures open the breaker for ${deployed.breakerOpenSeconds} s, ` +
    `doubling on a failed probe): ` +
    `${eventIds.length}/${settings.earns} earns over ${settings.members} members; ${opened}, ` +
    `endpoint back at ${figures.outage_endpoint_down_ms} ms; ` +
    `${outcome.first.size}/${outcome.wanted.size} deliveries by ${figures.outage_recovery_ms} ms, ` +
    (figures.outage_back_to_delivered_ms === null
      ? 'not all delivered '
      : `the failing endpoint's last ${figures.outage_back_to_delivered_ms} ms after it came back `) +
    `(waited ${waitedMs} ms; the policy's bound ${policyBound - recoveredAt} ms, ` +
    `the cap ${settings.maxWaitMs} ms); ` +
    `${failedAttempts} failed of ${attempts} attempts there, ${probes.length} probes ` +
    `(${figures.outage_failed_probes} failed), order ${outOfOrder === 0 ? 'held' : `broken ${outOfOrder}×`}, ` +
    `${duplicates} duplicates, ${pending} pending, ${dead} dead, ${lost} lost${stillWaiting}`;
  return { figures, line };
}
