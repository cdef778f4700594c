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
  check(balance.availablePoints >= 0, 'available_non_negative', () => `available ${balance.availablePoints}`);
  const lotPoints = sumPoints(balance.lots);
  check(balance.availablePoints === lotPoints, 'available_equals_lots', () => `available ${balance.availablePoints}, lots ${lotPoints}`);
  check(balance.pendingPoints >= 0, 'pending_non_negative', () => `pending ${balance.pendingPoints}`);
  const heldPoints = balance.pending.reduce((total, held) => total + held.points, 0);
  check(balance.pendingPoints === heldPoints, 'pending_equals_holds', () => `pending ${balance.pendingPoints}, holds ${heldPoints}`);

  events.forEach((event, index) => {
    check(event.seq === current.seq + index + 1, 'seq_gap_free', () => `event ${index} has seq ${event.seq}, expected ${current.seq + index + 1}`);
  });
  check(balance.seq === current.seq + events.length, 'seq_gap_free', () => `balance seq ${balance.seq} after ${events.length} event(s) from ${current.seq}`);
  const eventSeqs = new Set(events.map((event) => event.seq));
  let previousSeq = current.seq;
  for (const entry of entries) {
    check(entry.seq > previousSeq && eventSeqs.has(entry.seq), 'seq_gap_free', () => `entry ${entry.entryId} has seq ${entry.seq}`);
    previousSeq = entry.seq;
  }
  const last = entries[entries.length - 1];
  if (last) {
    const after = [last.availableAfter, last.pendingAfter, last.lifetimeAfter];
    const committed = [balance.availablePoints, balance.pendingPoints, balance.lifetimePoints];
    check(after.every((points, i) => points === committed[i]), 'entry_balance_after', () => `last entry ${after}, balance ${committed}`);
  }
  const keys = new Set(entries.flatMap((entry) => (entry.idempotencyKey ? [entry.idempotencyKey] : [])));
  check(keys.size <= 1, 'one_effect_per_key', () => `one change carries keys ${[...keys].join(', ')}`);
}

/** The change committed with a key's record carries no other key (one effect per idempotency key). */
export function assertOneEffectPerKey(mutation: Mutation, key: string): void {
  for (const entry of mutation.entries) {
    check(!entry.idempotencyKey || entry.idempotencyKey === key, 'one_effect_per_key', () => `entry ${entry.entryId} carries key ${entry.idempotencyKey}, the record ${key}`);
  }
}
