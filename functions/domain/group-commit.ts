import type { Mutation } from './ledger';
import type { IdempotencyRecord } from './ports';

/**
 * Group commit (as TigerBeetle batches): the commands of one member waiting in a container are
 * planned one after another, each on the balance the previous one left, and committed in one
 * transaction. The member's commit rate then grows with its queue instead of collapsing under it.
 * Each command keeps its own entries, events (the seq stays gap-free: each plan starts where the
 * previous ended) and idempotency record; the balance is written once, version-checked against
 * the balance the first plan started from.
 */

/** DynamoDB's TransactWriteItems limits: 100 actions and 4 MB; a margin stays for item overheads. */
export const GROUP_MAX_ITEMS = 100;
export const GROUP_MAX_BYTES = 3_500_000;

/**
 * A change that touches only the member's balance and its own new items can join a group. Others
 * (a profile, an external id, a transaction id, entry states, reward stock, budgets, vouchers, redemptions)
 * read or claim items besides the balance, which a plan made on a not yet committed balance cannot
 * rely on: they commit on their own.
 */
export function groupableMutation(mutation: Mutation): boolean {
  return (
    mutation.expectedVersion !== null &&
    !mutation.profile &&
    !mutation.externalId &&
    !mutation.transactionClaim &&
    mutation.entryStates.length === 0 &&
    !mutation.redemptions?.length &&
    !mutation.accounts?.length &&
    !mutation.voucher
  );
}

/** The items a command adds to its group's transaction (the balance is counted once for the group). */
export function groupItems(mutation: Mutation | undefined): number {
  return 1 + (mutation ? mutation.entries.length + mutation.events.length : 0);
}

/** A generous estimate of the bytes a command adds (DynamoDB counts names and values; JSON is close). */
export function groupBytes(mutation: Mutation | undefined, record: IdempotencyRecord): number {
  const written = mutation ? [mutation.entries, mutation.events] : [];
  return JSON.stringify([record, ...written]).length * 2;
}

/** One mutation writing a group's changes, planned in order, each on the balance the previous one left. */
export function mergeMutations(changes: Mutation[]): Mutation {
  const first = changes[0];
  const last = changes[changes.length - 1];
  if (!first || !last) throw new Error('A group needs at least one change');
  return {
    tenantId: first.tenantId,
    memberId: first.memberId,
    expectedVersion: first.expectedVersion,
    balance: last.balance,
    entries: changes.flatMap((change) => change.entries),
    events: changes.flatMap((change) => change.events),
    entryStates: [],
  };
}
