import {
  assertChangeInvariants,
  assertOneEffectPerKey,
  LedgerInvariantError,
} from '../../functions/domain/ledger-invariants';
import { planEarn, planEnrol, planRedeem, type Balance, type Mutation } from '../../functions/domain/ledger';
import { programmeSettings } from '../../functions/domain/programme';
import { idem, memoryLedgerWithMember } from '../support/ledger-helpers';

const now = new Date('2026-11-21T10:00:00.000Z');
const settings = programmeSettings.parse({ pointsExpiry: { afterDays: 365 } });

/** A member with 100 points in one lot, and a valid change on it: 30 points redeemed. */
function validChange(): { current: Balance; mutation: Mutation } {
  const enrolled = planEnrol('t1', { externalId: 'x' }, now).balance;
  const current = planEarn(
    enrolled,
    { amountPoints: 100, reason: 'stay', idempotencyKey: 'k0' },
    now,
    settings,
  ).balance;
  const redeemed = planRedeem(current, { amountPoints: 30, reason: 'spa', idempotencyKey: 'k1' }, now, settings);
  return { current, mutation: structuredClone(redeemed) };
}

/** Adds a second, well-numbered entry and event to a change, under `key`. */
function addEntry(mutation: Mutation, key: string): void {
  const seq = mutation.balance.seq + 1;
  mutation.events.push({ ...mutation.events[mutation.events.length - 1]!, seq });
  mutation.entries.push({ ...mutation.entries[0]!, seq, idempotencyKey: key });
  mutation.balance.seq = seq;
}

/** The invariant a corrupted change violates, or null when the assertion lets it through. */
function violated(current: Balance, mutation: Mutation): string | null {
  try {
    assertChangeInvariants(current, mutation);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(LedgerInvariantError);
    return (error as LedgerInvariantError).invariant;
  }
}

describe('ledger invariants, asserted where a change is built', () => {
  it('let a change the planner built through, and one with two entries under the same key', () => {
    // Prepare
    const { current, mutation } = validChange();
    const twoEntries = structuredClone(mutation);
    addEntry(twoEntries, 'k1');

    // Act
    const results = [violated(current, mutation), violated(current, twoEntries)];

    // Assess
    expect(results).toEqual([null, null]);
  });

  it.each([
    [
      'available_non_negative',
      (m: Mutation) => Object.assign(m.balance, { availablePoints: -5, lots: [{ expiresAt: null, points: -5 }] }),
    ],
    [
      'available_equals_lots',
      (m: Mutation) => Object.assign(m.balance, { availablePoints: m.balance.availablePoints + 1 }),
    ],
    [
      'pending_non_negative',
      (m: Mutation) =>
        Object.assign(m.balance, {
          pendingPoints: -1,
          pending: [{ entryId: 'e', points: -1, activatesAt: 'x', expiresAt: null }],
        }),
    ],
    ['pending_equals_holds', (m: Mutation) => Object.assign(m.balance, { pendingPoints: 7 })],
    ['seq_gap_free', (m: Mutation) => Object.assign(m.events[0]!, { seq: m.events[0]!.seq + 1 })],
    ['seq_gap_free', (m: Mutation) => Object.assign(m.balance, { seq: m.balance.seq + 1 })],
    ['seq_gap_free', (m: Mutation) => Object.assign(m.entries[0]!, { seq: m.entries[0]!.seq + 1 })],
    ['entry_balance_after', (m: Mutation) => Object.assign(m.entries[0]!, { availableAfter: 71 })],
    [
      'one_effect_per_key',
      (m: Mutation) => {
        addEntry(m, 'another');
      },
    ],
  ])('throw %s on a change corrupted that way', (invariant, corrupt) => {
    // Prepare
    const { current, mutation } = validChange();
    corrupt(mutation);

    // Act
    const result = violated(current, mutation);

    // Assess
    expect(result).toBe(invariant);
  });

  it('throw one_effect_per_key when a change carries another key than the record it commits with', () => {
    // Prepare
    const { mutation } = validChange();

    // Act
    const commit = () => {
      assertOneEffectPerKey(mutation, 'k-other');
    };

    // Assess
    expect(commit).toThrow(LedgerInvariantError);
    expect(() => {
      assertOneEffectPerKey(mutation, 'k1');
    }).not.toThrow();
  });

  it('stop a corrupted change before the commit: an internal error (a bug), never a remembered 4xx', async () => {
    // Prepare: a stored balance whose points no lot holds; any change built on it breaks the invariant.
    const { store, service, memberId } = await memoryLedgerWithMember();
    const key = `t1/${memberId}`;
    store.balances.set(key, { ...store.balances.get(key)!, availablePoints: 50 });
    const eventsBefore = store.events.length;
    const body = { amountPoints: 10, reason: 'stay' };

    // Act
    const earning = service.earn('t1', memberId, idem('k-bug', body), body);

    // Assess
    await expect(earning).rejects.toBeInstanceOf(LedgerInvariantError);
    await expect(earning).rejects.toMatchObject({ invariant: 'available_equals_lots' });
    expect(store.events).toHaveLength(eventsBefore);
    expect(store.records.has(`t1/k-bug`)).toBe(false);
  });
});
