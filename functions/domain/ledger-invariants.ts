import type { Balance, Mutation } from './ledger';
import { sumPoints } from './lots';

/**
 * A change that breaks one of the ledger's invariants: a bug in the planner, never the caller's
 * fault. It is thrown before anything is committed and surfaces as an internal error (500).
 */
export class LedgerInvariantError extends Error {
  readonly invariant: string;

  constructor(invariant: string, detail: string) {
    super(`Ledger invariant violated (${invariant}): ${detail}`);
    this.name = 'LedgerInvariantError';
    this.invariant = invariant;
  }
}

function check(holds: boolean, invariant: string, detail: () => string): void {
  if (!holds) throw new LedgerInvariantError(invariant, detail());
}

/**
 * Asserts what every change must keep, where the change is built (TigerBeetle style), so a planner
 * bug stops at the member it would corrupt:
 * - available points = sum of the lots, and never negative;
 * - pending points = sum of the holds, and never negative;
 * - seq is gap-free: events take `current.seq + 1, + 2, …` in order, the balance ends on the last,
 *   and each entry shares the seq of the event that announces it;
 * - each entry records the balance as it stood after it, the last one the balance the change commits;
 * - one effect per idempotency key: a change carries at most one key.
 */
export function assertChangeInvariants(current: Balance, mutation: Mutation): void {
  const { balance, events, entries } = mutation;
  const { availablePoints: available, pendingPoints: pending } = balance;
  check(available >= 0, 'available_non_negative', () => `available ${available}`);
  const lotPoints = sumPoints(balance.lots);
  check(available === lotPoints, 'available_equals_lots', () => `available ${available}, lots ${lotPoints}`);
  check(pending >= 0, 'pending_non_negative', () => `pending ${pending}`);
  const heldPoints = sumPoints(balance.pending);
  check(pending === heldPoints, 'pending_equals_holds', () => `pending ${pending}, holds ${heldPoints}`);

  events.forEach((event, index) => {
    const expected = current.seq + index + 1;
    check(event.seq === expected, 'seq_gap_free', () => `event ${index} has seq ${event.seq}, expected ${expected}`);
  });
  const lastSeq = current.seq + events.length;
  check(balance.seq === lastSeq, 'seq_gap_free', () => `balance seq ${balance.seq}, its last event's ${lastSeq}`);
  const eventSeqs = new Set(events.map((event) => event.seq));
  let previousSeq = current.seq;
  for (const entry of entries) {
    const numbered = entry.seq > previousSeq && eventSeqs.has(entry.seq);
    check(numbered, 'seq_gap_free', () => `entry ${entry.entryId} has seq ${entry.seq}`);
    previousSeq = entry.seq;
  }
  const last = entries[entries.length - 1];
  if (last) {
    const after = [last.availableAfter, last.pendingAfter, last.lifetimeAfter];
    const committed = [balance.availablePoints, balance.pendingPoints, balance.lifetimePoints];
    const agree = after.every((points, i) => points === committed[i]);
    check(agree, 'entry_balance_after', () => `last entry ${after.join(',')}, balance ${committed.join(',')}`);
  }
  const keys = new Set(entries.flatMap((entry) => (entry.idempotencyKey ? [entry.idempotencyKey] : [])));
  check(keys.size <= 1, 'one_effect_per_key', () => `one change carries keys ${[...keys].join(', ')}`);
}

/** The change committed with a key's record carries no other key (one effect per idempotency key). */
export function assertOneEffectPerKey(mutation: Mutation, key: string): void {
  for (const entry of mutation.entries) {
    const ownKey = !entry.idempotencyKey || entry.idempotencyKey === key;
    const detail = () => `entry ${entry.entryId} carries key ${entry.idempotencyKey}, the record ${key}`;
    check(ownKey, 'one_effect_per_key', detail);
  }
}
