/**
 * What a fault run counts, from what was sent and what the receiver saw: pure, so the counting
 * itself is tested (test/unit/chaos-tally.test.ts) and a run's verdict cannot pass by a bug in it.
 */

/** One event the API acknowledged (answered with its id). */
export interface Committed {
  eventId: string;
  memberId: string;
}

/** One delivery attempt as the receiver saw it, in arrival order. */
export interface Delivery {
  endpoint: string;
  /** The `webhook-id` header: the event's id. */
  webhookId: string;
  memberId?: string;
  seq?: number;
  /** Signature verified and answered 2xx: the attempt the sender counts as delivered. */
  accepted: boolean;
}

export interface Tally {
  sent: number;
  committed: number;
  /** Distinct (endpoint, `webhook-id`) pairs of committed events accepted at least once. */
  delivered: number;
  /** Acceptances beyond the first of the same event at the same endpoint (at-least-once allows them). */
  duplicates: number;
  /** Committed events, per endpoint, never accepted there. */
  lost: number;
  /** Per endpoint and member, first acceptances carrying a lower `seq` than one accepted before them. */
  inversions: number;
}

/**
 * Counts a run: `sent` requests, the events they committed, the endpoints each event must reach,
 * and every delivery attempt seen (deliveries of other events are ignored).
 * @example tally({ sent: 2, committed, endpoints: ['demo'], deliveries: receiver.received.map(toDelivery) })
 */
export function tally(input: {
  sent: number;
  committed: Committed[];
  endpoints: string[];
  deliveries: Delivery[];
}): Tally {
  const wanted = new Set(input.committed.map((c) => c.eventId));
  const firstAccepted = new Set<string>();
  const lastSeq = new Map<string, number>();
  let duplicates = 0;
  let inversions = 0;
  for (const delivery of input.deliveries) {
    if (!delivery.accepted || !wanted.has(delivery.webhookId) || !input.endpoints.includes(delivery.endpoint)) continue;
    const pair = `${delivery.endpoint}\n${delivery.webhookId}`;
    if (firstAccepted.has(pair)) {
      duplicates++;
      continue;
    }
    firstAccepted.add(pair);
    const member = `${delivery.endpoint}\n${delivery.memberId ?? '?'}`;
    const seq = delivery.seq ?? Number.NaN;
    const before = lastSeq.get(member);
    // A missing seq cannot be placed: it counts as out of order rather than passing unseen.
    if (Number.isNaN(seq) || (before !== undefined && seq < before)) inversions++;
    if (!Number.isNaN(seq)) lastSeq.set(member, Math.max(seq, before ?? seq));
  }
  const delivered = firstAccepted.size;
  return {
    sent: input.sent,
    committed: wanted.size,
    delivered,
    duplicates,
    lost: wanted.size * input.endpoints.length - delivered,
    inversions,
  };
}

/** Why a tally fails the run (empty: it passes). Duplicates are reported, not failed: delivery is at-least-once. */
export function tallyFailures(t: Tally): string[] {
  return [...(t.lost > 0 ? [`${t.lost} lost`] : []), ...(t.inversions > 0 ? [`${t.inversions} order inversions`] : [])];
}

/** One answer of the conflict storm. */
export interface Answer {
  status: number;
  /** The problem's `code` when the answer is a problem. */
  code?: string;
}

export interface StormVerdict {
  /** `status` or `status code` → how many answers. */
  histogram: Record<string, number>;
  succeeded: number;
  /** Debits the ledger holds though their answer was no success (a 5xx or a dropped connection after the commit). */
  committedUnacknowledged: number;
  refused: number;
  serverErrors: number;
  failures: string[];
}

/**
 * Judges a storm of `cost`-point debits on one balance that started at `opening`: exactly the
 * affordable number succeed, the rest are refused `insufficient_points`, none is a 5xx; the ledger
 * holds every acknowledged debit (`committed`: the storm's debit entries) and no more than were
 * affordable, and the balance read afterwards equals the opening less those debits and the sum of
 * the member's entries. An ambiguous answer (5xx, no answer) may have committed: it is counted,
 * not failed, beyond the 5xx itself.
 */
export function judgeStorm(input: {
  answers: Answer[];
  opening: number;
  cost: number;
  balance: number;
  entriesSum: number;
  committed: number;
}): StormVerdict {
  const histogram: Record<string, number> = {};
  for (const a of input.answers) {
    const key = a.code ? `${a.status} ${a.code}` : String(a.status);
    histogram[key] = (histogram[key] ?? 0) + 1;
  }
  const succeeded = input.answers.filter((a) => a.status >= 200 && a.status < 300).length;
  const refused = input.answers.filter((a) => a.code === 'insufficient_points').length;
  const serverErrors = input.answers.filter((a) => a.status >= 500).length;
  const affordable = Math.min(input.answers.length, Math.floor(input.opening / input.cost));
  const others = input.answers.length - succeeded - refused;
  const expectedBalance = input.opening - input.committed * input.cost;
  const failures = [
    ...(succeeded !== affordable ? [`${succeeded} succeeded, ${affordable} affordable`] : []),
    ...(input.committed > affordable ? [`${input.committed} debits committed, ${affordable} affordable`] : []),
    ...(succeeded > input.committed ? [`${succeeded} succeeded, ${input.committed} in the ledger`] : []),
    ...(others > 0 ? [`${others} answers neither success nor insufficient_points`] : []),
    ...(serverErrors > 0 ? [`${serverErrors} answered 5xx`] : []),
    ...(input.balance !== expectedBalance ? [`balance ${input.balance}, expected ${expectedBalance}`] : []),
    ...(input.balance !== input.entriesSum ? [`balance ${input.balance} ≠ sum of entries ${input.entriesSum}`] : []),
    ...(input.balance < 0 ? [`negative balance ${input.balance}`] : []),
  ];
  const committedUnacknowledged = Math.max(0, input.committed - succeeded);
  return { histogram, succeeded, committedUnacknowledged, refused, serverErrors, failures };
}
