import { ledgerReplies } from '../../functions/api/ledger-views';
import { requestHash } from '../../functions/api/request-hash';
import type { IdempotencyContext, Reply } from '../../functions/domain/idempotency';
import { LedgerService } from '../../functions/domain/ledger-service';
import type { LedgerStore } from '../../functions/domain/ports';
import type { Clock } from '../../functions/shared/clock';
import { fixedProgrammes, MemoryLedgerStore } from './memory-ledger-store';

/** Helpers shared by the ledger's unit and integration tests. */

/** A clock stopped at one instant, for tests whose expectations depend on "now". */
export const FIXED_NOW: Clock = { now: () => new Date('2026-11-21T10:00:00Z') };

/** An Idempotency-Key bound to a POST of `body` (to a placeholder path: only the hash matters). */
export const idem = (key: string, body: unknown = {}): IdempotencyContext => ({
  key,
  requestHash: requestHash('POST', '/x', body),
});

/** The id of the redemption a redeemReward reply made. */
export const redemptionIdOf = (reply: Reply): string =>
  (reply.body as { redemption: { redemptionId: string } }).redemption.redemptionId;

/** Enrols a member (key `enrol-<externalId>` unless given) and returns its memberId. */
export async function enrolMember(
  service: LedgerService,
  tenantId: string,
  externalId: string,
  key = `enrol-${externalId}`,
): Promise<string> {
  const outcome = await service.enrol(tenantId, idem(key, { externalId }), { externalId });
  return (outcome.body as { memberId: string }).memberId;
}

/** The unit tests' usual start: a service on an in-memory store at FIXED_NOW, with member `e1` of t1 enrolled. */
export async function memoryLedgerWithMember() {
  const store = new MemoryLedgerStore();
  const service = new LedgerService(store, fixedProgrammes(), FIXED_NOW, ledgerReplies);
  const memberId = await enrolMember(service, 't1', 'e1', 'enrol');
  return { store, service, memberId };
}

/**
 * Counts what a store is asked to do: commit attempts (a group commit counts once), queue tickets taken (writers
 * that lost a race and queued), commits that lost a unit of stock or a voucher code to another writer, and group
 * commits with the commands they carried.
 */
export function countCommits(store: LedgerStore) {
  const counts = { attempts: 0, tickets: 0, stockOrVoucherConflicts: 0, groups: 0, grouped: 0 };
  const commit = store.commit.bind(store);
  const commitGroup = store.commitGroup.bind(store);
  const takeTicket = store.takeTicket.bind(store);
  // A group commit is one attempt, whatever the number of commands it carries.
  store.commitGroup = async (group) => {
    counts.attempts += 1;
    counts.groups += 1;
    counts.grouped += group.records.length;
    return commitGroup(group);
  };
  store.commit = async (mutation, record) => {
    counts.attempts += 1;
    const result = await commit(mutation, record);
    if (!result.ok && (result.conflict === 'stock' || result.conflict === 'voucher'))
      counts.stockOrVoucherConflicts += 1;
    return result;
  };
  store.takeTicket = (tenantId, memberId) => {
    counts.tickets += 1;
    return takeTicket(tenantId, memberId);
  };
  return counts;
}
