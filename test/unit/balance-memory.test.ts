import { ledgerReplies } from '../../functions/api/ledger-views';
import { LedgerService } from '../../functions/domain/ledger-service';
import type { Clock } from '../../functions/shared/clock';
import { countCommits, enrolMember, FIXED_NOW, idem } from '../support/ledger-helpers';
import { fixedProgrammes, MemoryLedgerStore } from '../support/memory-ledger-store';

/**
 * A container plans a member's next commands on the balance it last committed: one read less per
 * request, and a stale balance (another container wrote since) costs a retry, never a wrong commit.
 */
describe('balance memory of a container', () => {
  let store: MemoryLedgerStore;
  let memberId: string;
  let reads: number;
  let waitMs: number;
  const waitClock: Clock = { now: () => new Date(waitMs) };
  /** A container's ledger service on the shared store (each has its own memory). */
  const container = (balanceMemoryMs = 60_000) =>
    new LedgerService(store, fixedProgrammes(), FIXED_NOW, ledgerReplies, { balanceMemoryMs, waitClock });
  const earn = (service: LedgerService, key: string, amountPoints: number) =>
    service.earn('t1', memberId, idem(key, { amountPoints }), { amountPoints, reason: 'r' });
  const redeem = (service: LedgerService, key: string, amountPoints: number) =>
    service.redeem('t1', memberId, idem(key, { amountPoints }), { amountPoints, reason: 'r' });
  const balance = () => store.balances.get(`t1/${memberId}`)!;
  /** Lets the member's lane finish draining: what the next command finds is the container's memory alone. */
  const drained = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(async () => {
    waitMs = Date.parse('2026-11-21T10:00:00Z');
    store = new MemoryLedgerStore();
    memberId = await enrolMember(container(0), 't1', 'e1', 'enrol');
    reads = 0;
    const getBalance = store.getBalance.bind(store);
    store.getBalance = (tenantId, id) => {
      reads += 1;
      return getBalance(tenantId, id);
    };
  });

  it("plans a member's next earn on the balance it committed, without reading it", async () => {
    // Prepare
    const service = container();
    await earn(service, 'a', 10);
    await drained();
    const readsAfterFirst = reads;

    // Act
    const second = await earn(service, 'b', 5);

    // Assess
    expect(readsAfterFirst).toBe(1);
    expect(second.statusCode).toBe(201);
    expect(reads).toBe(1);
    expect(balance()).toMatchObject({ availablePoints: 15, seq: 3 });
  });

  it('retries at once on a balance another container changed, and commits on the current one', async () => {
    // Prepare: container A remembers the balance; container B commits after it.
    const [a, b] = [container(), container()];
    await earn(a, 'a1', 10);
    await earn(b, 'b1', 5);
    await drained();
    const counts = countCommits(store);

    // Act
    const reply = await earn(a, 'a2', 7);

    // Assess: one failed attempt on the stale balance, no queue ticket, nothing lost or doubled.
    expect(reply.statusCode).toBe(201);
    expect(counts.attempts).toBe(2);
    expect(counts.tickets).toBe(0);
    expect(balance()).toMatchObject({ availablePoints: 22, seq: 4 });
    expect(store.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it('never keeps a refusal decided on a stale balance', async () => {
    // Prepare: A spent everything and remembers 0 points; B then credits 5.
    const [a, b] = [container(), container()];
    await earn(a, 'a1', 3);
    await redeem(a, 'a2', 3);
    await earn(b, 'b1', 5);
    await drained();

    // Act
    const reply = await redeem(a, 'a3', 4);

    // Assess
    expect(reply.statusCode).toBe(201);
    expect(balance()).toMatchObject({ availablePoints: 1 });
  });

  it('reads the balance again once the memory has expired', async () => {
    // Prepare
    const service = container(5_000);
    await earn(service, 'a', 10);
    await drained();
    waitMs += 5_001;

    // Act
    await earn(service, 'b', 5);

    // Assess
    expect(reads).toBe(2);
  });

  it('reads the balance for every command when the memory is off', async () => {
    // Prepare
    const service = container(0);
    await earn(service, 'a', 10);
    await drained();

    // Act
    await earn(service, 'b', 5);

    // Assess
    expect(reads).toBe(2);
  });
});
