import { ledgerReplies } from '../../functions/api/ledger-views';
import { LedgerService } from '../../functions/domain/ledger-service';
import { Problem } from '../../functions/shared/problem';
import { enrolMember, FIXED_NOW, idem, memoryLedgerWithMember } from '../support/ledger-helpers';
import { fixedProgrammes, type MemoryLedgerStore } from '../support/memory-ledger-store';

describe('LedgerService', () => {
  let store: MemoryLedgerStore;
  let service: LedgerService;
  let memberId: string;

  beforeEach(async () => {
    ({ store, service, memberId } = await memoryLedgerWithMember());
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
    await expect(
      service.earn('t1', memberId, idem('k1', { amountPoints: 5 }), { amountPoints: 5, reason: 'a' }),
    ).rejects.toMatchObject({
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
    expect(await service.earn('t1', 'mem_missing', idem('k2', body), body)).toMatchObject({
      statusCode: 404,
      replayed: true,
    });
  });

  it('plans again when another change wins the race, keeping seq gap-free', async () => {
    // Prepare: a concurrent earn (5 points, in a lot of their own) commits between our read and our commit.
    const body = { amountPoints: 10, reason: 'a' };
    store.beforeCommit = () => {
      const b = store.balances.get(`t1/${memberId}`)!;
      const lots = [...b.lots, { expiresAt: null, points: 5 }];
      store.balances.set(`t1/${memberId}`, {
        ...b,
        availablePoints: b.availablePoints + 5,
        lots,
        seq: b.seq + 1,
        version: b.version + 1,
      });
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
    const read = service.getBalance('t1', 'nope');
    await expect(read).rejects.toBeInstanceOf(Problem);
    await expect(read).rejects.toMatchObject({ code: 'member_not_found' });
  });

  it('replays a member response from the member as it is now, so an erased member stays erased', async () => {
    // Prepare
    const body = { externalId: 'e2', email: 'pat@example.com' };
    const first = await service.enrol('t1', idem('enrol-pat', body), body);
    const patId = (first.body as { memberId: string }).memberId;
    await service.erase('t1', patId, idem('erase-pat', {}));

    // Act
    const retry = await service.enrol('t1', idem('enrol-pat', body), body);

    // Assess
    expect(first.body).toMatchObject({ email: 'pat@example.com' });
    expect(retry).toMatchObject({
      statusCode: 201,
      replayed: true,
      body: { memberId: patId, status: 'erased', externalId: '' },
    });
    expect(JSON.stringify([...store.records.values()])).not.toContain('pat@example.com');
  });

  it('answers entry_not_found for an entry of another member, and remembers it', async () => {
    const otherId = await enrolMember(service, 't1', 'o', 'enrol-o');
    const earned = await service.earn('t1', otherId, idem('k-o', { a: 1 }), { amountPoints: 5, reason: 'a' });
    const entryId = (earned.body as { entry: { entryId: string } }).entry.entryId;
    const outcome = await service.reverse('t1', memberId, entryId, idem('rev-x', {}), { reason: 'x' });
    expect(outcome).toMatchObject({ statusCode: 404, body: { code: 'entry_not_found' } });
    // Remembered: a retry with the same key replays the 404 from its idempotency record.
    const retry = await service.reverse('t1', memberId, entryId, idem('rev-x', {}), { reason: 'x' });
    expect(retry).toEqual({ ...outcome, replayed: true });
    expect(retry).toMatchObject({ statusCode: 404, replayed: true });
  });

  it('runs due housekeeping from the due index until nothing is left', async () => {
    // Prepare: points that expired an hour ago.
    await service.earn('t1', memberId, idem('k-exp', { e: 1 }), {
      amountPoints: 30,
      reason: 'a',
      expiresAt: '2026-11-21T09:00:00.000Z',
    });

    // Act
    const totals = await service.runDue({ budgetMs: 1_000 });

    // Assess
    expect(totals).toEqual({ members: 1, events: 1, failures: 0 });
    expect(await service.getBalance('t1', memberId)).toMatchObject({ availablePoints: 0, lots: [] });
    expect(store.events.at(-1)).toMatchObject({ type: 'points.expired', data: { amountPoints: 30 } });
    expect(await service.runDue({ budgetMs: 1_000 })).toEqual({ members: 0, events: 0, failures: 0 });
  });

  it('queues a writer that lost a race and hands the turn on when it is done', async () => {
    // Prepare: a concurrent change wins the first commit.
    store.beforeCommit = () => {
      const b = store.balances.get(`t1/${memberId}`)!;
      store.balances.set(`t1/${memberId}`, { ...b, seq: b.seq + 1, version: b.version + 1 });
    };

    // Act
    const outcome = await service.earn('t1', memberId, idem('k-q', { q: 1 }), { amountPoints: 7, reason: 'q' });

    // Assess
    expect(outcome.statusCode).toBe(201);
    expect(await store.queueState('t1', memberId)).toMatchObject({ nowServing: 2 });
  });

  describe('business transactions', () => {
    const rules = {
      currencies: [{ currency: 'EUR', pointsPerUnit: 2 }],
      multipliers: [{ name: 'spa x3', when: { categories: ['spa'] }, multiplier: 3 }],
      caps: { perPeriod: { period: 'month' as const, maxPoints: 500 } },
    };
    const tx = (transactionId: string, amount: number, category?: string) => ({
      transactionId,
      type: 'stay' as const,
      amount,
      currency: 'EUR',
      occurredAt: '2026-11-21T09:00:00.000Z',
      ...(category ? { category } : {}),
    });

    beforeEach(() => {
      service = new LedgerService(store, fixedProgrammes({ earningRules: rules }), FIXED_NOW, ledgerReplies);
    });

    it('earns by the rules, counts toward the period cap and earns once per transaction id', async () => {
      // Act
      const spa = await service.postTransaction('t1', memberId, idem('tx-1', { t: 1 }), tx('pms-1', 50, 'spa'));
      const again = await service.postTransaction('t1', memberId, idem('tx-3', { t: 3 }), tx('pms-1', 50, 'spa'));
      const capped = await service.postTransaction('t1', memberId, idem('tx-2', { t: 2 }), tx('pms-2', 400));

      // Assess
      expect(spa).toMatchObject({
        statusCode: 201,
        body: {
          transactionId: 'pms-1',
          earning: { points: 300, basePoints: 100 },
          entry: { transactionId: 'pms-1', amountPoints: 300 },
        },
      });
      expect(capped).toMatchObject({ statusCode: 201, body: { earning: { points: 200, capped: true } } });
      expect(again).toMatchObject({ statusCode: 409, body: { code: 'transaction_already_posted' } });
      expect((await service.getBalance('t1', memberId)).availablePoints).toBe(500);
      expect(store.balances.get(`t1/${memberId}`)!.ruleEarnings).toEqual({ periodKey: '2026-11', points: 500 });
    });

    it('records nothing when the rules give no points, and previews without recording', async () => {
      const preview = await service.previewTransaction('t1', memberId, tx('pos-9', 10, 'spa'));
      expect(preview).toMatchObject({ transactionId: 'pos-9', earning: { points: 60 } });
      const usd = await service.postTransaction('t1', memberId, idem('tx-usd', { t: 'usd' }), {
        ...tx('pos-10', 10),
        currency: 'USD',
      });
      expect(usd).toMatchObject({ statusCode: 200, body: { earning: { points: 0 } } });
      expect(store.events.map((e) => e.type)).toEqual(['member.enrolled']);
    });
  });
});
