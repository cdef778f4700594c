import type { Twin } from '../local/twin';
import type { WebhookReceiver } from '../local/webhook-receiver';

/** What the bench's scenarios share: small helpers, and the deliveries the receiver saw. */

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops this process's stdout while a twin's functions run: their log and EMF lines (thousands a scenario) would
 * bury the bench's figures. The figures are printed after; errors still reach stderr. Returns the undo.
 */
export function muteStdout(): () => void {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  return () => {
    process.stdout.write = write;
  };
}

/** Runs `count` tasks, at most `concurrency` at a time; results in task order. */
export async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
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

export const committedIds = (results: { eventId?: string }[]) => results.flatMap((r) => (r.eventId ? [r.eventId] : []));

/** One delivery as the receiver saw it. */
export interface Arrival {
  endpoint: string;
  eventId: string;
  at: number;
  accepted: boolean;
  answered: number;
  memberId?: string;
  seq?: number;
  committedAt?: number;
}

/** Records every delivery from now on. */
export function recordArrivals(receiver: WebhookReceiver): Arrival[] {
  const arrivals: Arrival[] = [];
  receiver.onReceive((hook) => {
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
  return arrivals;
}

export const pairKey = (endpoint: string, eventId: string) => `${endpoint}\n${eventId}`;

/**
 * Waits until each event was accepted by each endpoint, or `deadline()` (asked again at each
 * look, so a caller may move it) has passed; gives the first acceptance of each pair.
 */
export async function accepted(
  arrivals: Arrival[],
  endpoints: string[],
  eventIds: string[],
  deadline: () => number | Promise<number>,
) {
  const wanted = new Set(endpoints.flatMap((endpoint) => eventIds.map((id) => pairKey(endpoint, id))));
  const first = new Map<string, Arrival>();
  let seen = 0;
  for (;;) {
    for (; seen < arrivals.length; seen++) {
      const arrival = arrivals[seen]!;
      const key = pairKey(arrival.endpoint, arrival.eventId);
      if (arrival.accepted && wanted.has(key) && !first.has(key)) first.set(key, arrival);
    }
    if (first.size === wanted.size || Date.now() >= (await deadline())) break;
    await sleep(50);
  }
  return { first, wanted };
}

/**
 * Per endpoint and member, each accepted delivery must carry a higher seq than the one accepted
 * before it; a second acceptance of the same event at the same endpoint is a duplicate.
 */
export function orderAndDuplicates(arrivals: Arrival[]) {
  const lastSeq = new Map<string, number>();
  const acceptedOnce = new Set<string>();
  let outOfOrder = 0;
  let duplicates = 0;
  for (const a of arrivals.filter((x) => x.accepted)) {
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
  return { outOfOrder, duplicates };
}

/**
 * The demo tenant's limits raised well above any run's load, as an operator gives a large tenant: the runs measure
 * the platform, not a tenant's throttle (the default, 50/s, would answer part of the load with 429).
 */
export async function raiseDemoTenantLimits(twin: Twin, idempotencyKey: string): Promise<void> {
  const answer = await fetch(`${twin.apiUrl}/admin/tenants/${twin.demo.tenantId}`, {
    method: 'PATCH',
    headers: {
      'x-api-key': twin.demo.operatorKey,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify({ limits: { requestsPerSecond: 10_000, burst: 20_000 } }),
  });
  if (!answer.ok) throw new Error(`raising the demo tenant's limits answered ${answer.status}`);
}

/** `count` members of the demo tenant enrolled through the API, `concurrency` at a time; their ids in order. */
export async function enrolMembers(twin: Twin, count: number, concurrency: number, prefix: string): Promise<string[]> {
  return await pool(count, concurrency, async (i) => {
    const response = await fetch(`${twin.apiUrl}/v1/members`, {
      method: 'POST',
      headers: {
        'x-api-key': twin.demo.apiKey,
        'content-type': 'application/json',
        'idempotency-key': `${prefix}-m${i}`,
      },
      body: JSON.stringify({ externalId: `${prefix}-${i}` }),
    });
    if (response.status !== 201) throw new Error(`enrolling a member answered ${response.status}`);
    return ((await response.json()) as { memberId: string }).memberId;
  });
}
