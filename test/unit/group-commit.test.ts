import { groupableMutation, mergeMutations } from '../../functions/domain/group-commit';
import { planEarn, planRedeem, type Mutation } from '../../functions/domain/ledger';
import type { LedgerService } from '../../functions/domain/ledger-service';
import { defaultProgramme } from '../../functions/domain/programme';
import { Problem, problemHeaders } from '../../functions/shared/problem';
import { countCommits, FIXED_NOW, idem, memoryLedgerWithMember } from '../support/ledger-helpers';
import type { MemoryLedgerStore } from '../support/memory-ledger-store';

/** Group commit: one member's waiting commands planned in order and committed in one transaction. */
describe('group commit of one member', () => {
  let store: MemoryLedgerStore;
  let service: LedgerService;
  let memberId: string;

  beforeEach(async () => {
    ({ store, service, memberId } = await memoryLedgerWithMember());
    await service.earn('t1', memberId, idem('seed'), { amountPoints: 20, reason: 'seed' });
  });

  const redeem = (key: string, amountPoints = 1) =>
    service.redeem('t1', memberId, idem(key, { amountPoints }), { amountPoints, reason: 'r' });

  it('commits concurrent redemptions in a few transactions, each with its own entry, event and reply', async () => {
    // Prepare
    const counts = countCommits(store);

    // Act
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => redeem(`r${i}`)));

    // Assess
    expect(replies.filter((r) => r.statusCode === 201)).toHaveLength(20);
    expect(replies.filter((r) => (r.body as { code?: string }).code === 'insufficient_points')).toHaveLength(10);
    expect(counts.groups).toBeLessThan(5);
    expect(store.events.map((e) => e.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(store.balances.get(`t1/${memberId}`)).toMatchObject({ availablePoints: 0, seq: 22 });
    const entryIds = replies.flatMap((r) =>
      r.statusCode === 201 ? [(r.body as { entry: { entryId: string } }).entry.entryId] : [],
    );
    expect(new Set(entryIds).size).toBe(20);
    expect(await redeem('r7')).toEqual({ ...replies[7], replayed: true });
  });

  it('commits a duplicate key once, the copy replaying its reply', async () => {
    // Act
    const [first, copy] = await Promise.all([redeem('same'), redeem('same')]);

    // Assess
    expect(first.statusCode).toBe(201);
    expect(copy).toEqual({ ...first, replayed: true });
    expect(store.balances.get(`t1/${memberId}`)?.availablePoints).toBe(19);
  });

  it('plans the group again when another container changed the member first', async () => {
    // Prepare: another container redeems 5 points between the group's plan and its commit.
    let slipped = false;
    store.beforeCommit = () => {
      const b = store.balances.get(`t1/${memberId}`)!;
      const other = planRedeem(
        b,
        { amountPoints: 5, reason: 'other' },
        FIXED_NOW.now(),
        defaultProgramme('t1').settings,
      );
      store.balances.set(`t1/${memberId}`, other.balance);
      store.events.push(...other.events);
      slipped = true;
    };

    // Act
    const replies = await Promise.all(Array.from({ length: 16 }, (_, i) => redeem(`o${i}`)));

    // Assess: 15 of the 16 fit in what the other container left.
    expect(slipped).toBe(true);
    expect(replies.filter((r) => r.statusCode === 201)).toHaveLength(15);
    expect(store.balances.get(`t1/${memberId}`)?.availablePoints).toBe(0);
    expect(store.events.map((e) => e.seq)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
  });

  it('never keeps a refusal decided on a balance another container has changed since', async () => {
    // Prepare: the member has spent everything; another container credits 3 points just before the refusals commit.
    await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(`spend${i}`)));
    store.beforeCommit = () => {
      const b = store.balances.get(`t1/${memberId}`)!;
      const other = planEarn(b, { amountPoints: 3, reason: 'other' }, FIXED_NOW.now(), defaultProgramme('t1').settings);
      store.balances.set(`t1/${memberId}`, other.balance);
      store.events.push(...other.events);
    };

    // Act
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => redeem(`late${i}`)));

    // Assess: planned again on the credited balance, 3 are paid and only 2 refused.
    expect(replies.filter((r) => r.statusCode === 201)).toHaveLength(3);
    expect(replies.filter((r) => r.statusCode === 422)).toHaveLength(2);
    expect(store.balances.get(`t1/${memberId}`)?.availablePoints).toBe(0);
  });

  it('answers 409 concurrent_update with Retry-After once a waiter has spent its budget', async () => {
    // Prepare: another container wins every commit.
    const commitGroup = store.commitGroup.bind(store);
    store.commitGroup = (group) => {
      const b = store.balances.get(`t1/${memberId}`)!;
      store.balances.set(`t1/${memberId}`, { ...b, version: b.version + 1 });
      return commitGroup(group);
    };

    // Act
    const failure = await redeem('late').catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(Problem);
    expect((failure as Problem).code).toBe('concurrent_update');
    expect(problemHeaders('concurrent_update')).toEqual({ 'retry-after': '1' });
    expect(store.balances.get(`t1/${memberId}`)?.availablePoints).toBe(20);
  }, 30_000);
});

describe('mergeMutations', () => {
  it('writes the last balance once, version-checked on the first, with every entry and event in order', async () => {
    // Prepare
    const { store, memberId } = await memoryLedgerWithMember();
    const start = store.balances.get(`t1/${memberId}`)!;
    const now = FIXED_NOW.now();
    const settings = defaultProgramme('t1').settings;
    const a = planEarn(start, { amountPoints: 3, reason: 'a' }, now, settings);
    const b = planEarn(a.balance, { amountPoints: 4, reason: 'b' }, now, settings);

    // Act
    const merged = mergeMutations([a, b]);

    // Assess
    expect(merged.expectedVersion).toBe(start.version);
    expect(merged.balance).toEqual(b.balance);
    expect(merged.entries.map((e) => e.seq)).toEqual([2, 3]);
    expect(merged.events.map((e) => e.seq)).toEqual([2, 3]);
    expect(groupableMutation(a)).toBe(true);
  });

  it('keeps changes that claim or read items besides the balance out of groups', async () => {
    // Prepare
    const { store, memberId } = await memoryLedgerWithMember();
    const earn = planEarn(store.balances.get(`t1/${memberId}`)!, { amountPoints: 3, reason: 'a' }, FIXED_NOW.now(), {
      ...defaultProgramme('t1').settings,
    });
    const claimed: Mutation = { ...earn, transactionClaim: 'tx-1' };

    // Act / Assess
    expect(groupableMutation(claimed)).toBe(false);
    expect(groupableMutation({ ...earn, entryStates: [{ seq: 1 } as never] })).toBe(false);
    expect(() => mergeMutations([])).toThrow();
  });
});
