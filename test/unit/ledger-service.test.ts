import { LedgerService, requestHash } from '../../functions/domain/ledger-service';
import type { Balance, MemberProfile, Mutation } from '../../functions/domain/ledger';
import type { CommitResult, IdempotencyRecord, LedgerStore } from '../../functions/domain/ports';
import { Problem } from '../../functions/shared/problem';

/** In-memory ledger store for domain unit tests: same conflict rules as the DynamoDB adapter. */
class MemoryLedgerStore implements LedgerStore {
  balances = new Map<string, Balance>();
  profiles = new Map<string, MemberProfile>();
  externalIds = new Map<string, string>();
  records = new Map<string, IdempotencyRecord>();
  events: Mutation['event'][] = [];
  /** Lets a test slip a concurrent change in before the next commit. */
  beforeCommit?: () => void;

  async getBalance(t: string, m: string) {
    const b = this.balances.get(`${t}/${m}`);
    return b ? { ...b } : null;
  }
  async getProfile(t: string, m: string) {
    return this.profiles.get(`${t}/${m}`) ?? null;
  }
  async findMemberIdByExternalId(t: string, e: string) {
    return this.externalIds.get(`${t}/${e}`) ?? null;
  }
  async getIdempotencyRecord(t: string, k: string) {
    return this.records.get(`${t}/${k}`) ?? null;
  }
  async saveIdempotencyRecord(r: IdempotencyRecord) {
    if (this.records.has(`${r.tenantId}/${r.key}`)) return false;
    this.records.set(`${r.tenantId}/${r.key}`, r);
    return true;
  }
  async commit(m: Mutation, r: IdempotencyRecord): Promise<CommitResult> {
    this.beforeCommit?.();
    this.beforeCommit = undefined;
    const key = `${m.tenantId}/${m.memberId}`;
    if (this.records.has(`${r.tenantId}/${r.key}`)) return { ok: false, conflict: 'idempotency' };
    const current = this.balances.get(key);
    if (m.expectedVersion === null ? current : current?.version !== m.expectedVersion) return { ok: false, conflict: 'version' };
    if (m.profile && this.externalIds.has(`${m.tenantId}/${m.profile.externalId}`)) return { ok: false, conflict: 'externalId' };
    this.balances.set(key, m.balance);
    if (m.profile) {
      this.profiles.set(key, m.profile);
      this.externalIds.set(`${m.tenantId}/${m.profile.externalId}`, m.memberId);
    }
    this.records.set(`${r.tenantId}/${r.key}`, r);
    this.events.push(m.event);
    return { ok: true };
  }
}

const clock = { now: () => new Date('2026-11-21T10:00:00Z') };
const idem = (key: string, body: unknown) => ({ key, requestHash: requestHash('POST', '/x', body) });

describe('LedgerService', () => {
  let store: MemoryLedgerStore;
  let service: LedgerService;
  let memberId: string;

  beforeEach(async () => {
    store = new MemoryLedgerStore();
    service = new LedgerService(store, clock);
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
