import { LedgerService, requestHash } from '../../functions/domain/ledger-service';
import { Problem } from '../../functions/shared/problem';
import { fixedProgrammes, MemoryLedgerStore } from '../support/memory-ledger-store';

const clock = { now: () => new Date('2026-11-21T10:00:00Z') };
const idem = (key: string, body: unknown) => ({ key, requestHash: requestHash('POST', '/x', body) });

describe('LedgerService', () => {
  let store: MemoryLedgerStore;
  let service: LedgerService;
  let memberId: string;

  beforeEach(async () => {
    store = new MemoryLedgerStore();
    service = new LedgerService(store, fixedProgrammes(), clock);
    const enrolled = await service.enrol('t1', idem('enrol', { externalId: 'e1' }), { externalId: 'e1' });
    memberId = (enrolled.body as { memberId: string }).memberId;
  });

  it('replays the first response for a retried key and applies the change once', async () => {
    // Prepare
    const body = { amountPoints: 100, reason: 'stay' };

    // Act
    const first = await service.earn('t1', memberId, idem('k1', body), body);
    const retry = await service.earn('t1', memberId, idem('k1', body), body);

    // Assess
    expect(first.statusCode).toBe(201);
    expect(retry).toEqual({ ...first, replayed: true });
    expect((await service.getBalance('t1', memberId)).availablePoints).toBe(100);
    expect(store.events.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('rejects the same key with another body (409 idempotency_key_reused) and changes nothing', async () => {
    await service.earn('t1', memberId, idem('k1', { amountPoints: 100 }), { amountPoints: 100, reason: 'a' });
    await expect(service.earn('t1', memberId, idem('k1', { amountPoints: 5 }), { amountPoints: 5, reason: 'a' })).rejects.toMatchObject({
      code: 'idempotency_key_reused',
      status: 409,
    });
    expect((await service.getBalance('t1', memberId)).availablePoints).toBe(100);
  });

  it('remembers failures too: a retry of a request for an unknown member replays the 404', async () => {
    const body = { amountPoints: 1, reason: 'a' };
    const first = await service.earn('t1', 'mem_missing', idem('k2', body), body);
    expect(first.statusCode).toBe(404);
    expect(first.body).toMatchObject({ code: 'member_not_found' });
    expect(await service.earn('t1', 'mem_missing', idem('k2', body), body)).toMatchObject({ statusCode: 404, replayed: true });
  });

  it('plans again when another change wins the race, keeping seq gap-free', async () => {
    // Prepare: a concurrent earn commits between our read and our commit.
    const body = { amountPoints: 10, reason: 'a' };
    store.beforeCommit = () => {
      const b = store.balances.get(`t1/${memberId}`)!;
      store.balances.set(`t1/${memberId}`, { ...b, availablePoints: b.availablePoints + 5, seq: b.seq + 1, version: b.version + 1 });
    };

    // Act
    const outcome = await service.earn('t1', memberId, idem('k3', body), body);

    // Assess
    expect(outcome.statusCode).toBe(201);
    const balance = await service.getBalance('t1', memberId);
    expect(balance).toMatchObject({ availablePoints: 15, seq: 3 });
  });

  it('enrols idempotently by external id: a second enrolment returns the same member with 200', async () => {
    const again = await service.enrol('t1', idem('enrol-2', { externalId: 'e1' }), { externalId: 'e1' });
    expect(again.statusCode).toBe(200);
    expect((again.body as { memberId: string }).memberId).toBe(memberId);
  });

  it('throws member_not_found for reads of unknown members', async () => {
    await expect(service.getBalance('t1', 'nope')).rejects.toBeInstanceOf(Problem);
  });
});
