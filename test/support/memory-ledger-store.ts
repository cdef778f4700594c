import type {
  Balance,
  EntryState,
  LedgerEntry,
  MemberProfile,
  MemberStatus,
  Mutation,
} from '../../functions/domain/ledger';
import type {
  CommitGroup,
  CommitResult,
  EntryQuery,
  GroupCommitResult,
  IdempotencyRecord,
  LedgerStore,
  Page,
} from '../../functions/domain/ports';
import { defaultProgramme, type Programme, type ProgrammeSettings } from '../../functions/domain/programme';
import type { ProgrammeCache } from '../../functions/domain/ledger-service';
import type { HistoryLine } from '../../functions/domain/history';
import { keys } from '../../functions/domain/keys';
import { ACCOUNT_SHARDS, type AccountRef, type Redemption } from '../../functions/domain/rewards';
import { asPromise } from './as-promise';

const clone = <T>(value: T): T => structuredClone(value);

/** In-memory ledger store for domain unit tests: the same conflict rules as the DynamoDB adapter. */
export class MemoryLedgerStore implements LedgerStore {
  balances = new Map<string, Balance>();
  profiles = new Map<string, MemberProfile>();
  externalIds = new Map<string, string>();
  records = new Map<string, IdempotencyRecord>();
  entries = new Map<string, LedgerEntry>();
  states = new Map<string, EntryState>();
  transactions = new Set<string>();
  /** Imported history lines by `tenant/member/occurredAt#transactionId`. */
  history = new Map<string, HistoryLine>();
  redemptions = new Map<string, Redemption>();
  /** Shard balances by `tenant/kind/id`. */
  accounts = new Map<string, number[]>();
  /** Codes still in each reward's pool, by `tenant/rewardId`. */
  pools = new Map<string, string[]>();
  vouchers = new Map<string, { state: string; redemptionId: string }>();
  events: Mutation['events'] = [];
  /** Lets a test slip a concurrent change in before the next commit. */
  beforeCommit?: () => void;

  getBalance(t: string, m: string) {
    return asPromise(() => {
      const b = this.balances.get(`${t}/${m}`);
      return b ? clone(b) : null;
    });
  }
  async getBalances(t: string, memberIds: string[]) {
    const found = new Map<string, Balance>();
    for (const m of memberIds) {
      const b = await this.getBalance(t, m);
      if (b) found.set(m, b);
    }
    return found;
  }
  getProfile(t: string, m: string) {
    return asPromise(() => {
      const p = this.profiles.get(`${t}/${m}`);
      return p ? clone(p) : null;
    });
  }
  findMemberIdByExternalId(t: string, e: string) {
    return asPromise(() => this.externalIds.get(`${t}/${e}`) ?? null);
  }
  getIdempotencyRecord(t: string, k: string) {
    return asPromise(() => {
      const r = this.records.get(`${t}/${k}`);
      return r ? clone(r) : null;
    });
  }
  getEntry(t: string, m: string, seq: number) {
    return asPromise(() => {
      const entry = this.entries.get(`${t}/${m}/${seq}`);
      return entry ? { entry: clone(entry), state: clone(this.states.get(`${t}/${m}/${seq}`) ?? null) } : null;
    });
  }
  listEntries(t: string, m: string, query: EntryQuery): Promise<Page<LedgerEntry>> {
    return asPromise(() => {
      const all = [...this.entries.values()]
        .filter((e) => e.tenantId === t && e.memberId === m)
        .filter((e) => !query.types || query.types.includes(e.type))
        .filter((e) => (!query.from || e.createdAt >= query.from) && (!query.to || e.createdAt <= query.to))
        .sort((a, b) => (query.order === 'asc' ? a.seq - b.seq : b.seq - a.seq));
      const start = query.cursor ? all.findIndex((e) => String(e.seq) === query.cursor) + 1 : 0;
      const items = all.slice(start, start + query.limit);
      return {
        items,
        ...(start + query.limit < all.length ? { nextCursor: String(items[items.length - 1]!.seq) } : {}),
      };
    });
  }
  async lastEntryAt(t: string, m: string, at: string) {
    const page = await this.listEntries(t, m, { to: at, order: 'desc', limit: 1 });
    return page.items[0] ?? null;
  }
  /** Like the `members` index: member id order, the status filter, a cursor only when more follow. */
  listMembers(t: string, query: { limit: number; cursor?: string; status?: MemberStatus }) {
    return asPromise(() => {
      const all = [...this.profiles.values()]
        .filter((p) => p.tenantId === t && (!query.status || p.status === query.status))
        .filter((p) => !query.cursor || p.memberId > query.cursor)
        .sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
      const items = all.slice(0, query.limit).map(clone);
      return { items, ...(all.length > query.limit ? { nextCursor: items[items.length - 1]!.memberId } : {}) };
    });
  }
  /** Like the `due` index: only the members of this due shard, oldest dueAt first. */
  listDue(shard: number, now: string, limit: number) {
    return asPromise(() =>
      [...this.balances.values()]
        .filter(
          (b) => b.dueAt !== null && b.dueAt <= now && keys.dueShardOf(b.tenantId, b.memberId) === keys.dueShard(shard),
        )
        .sort((a, b) => (a.dueAt! < b.dueAt! ? -1 : a.dueAt! > b.dueAt! ? 1 : 0))
        .slice(0, limit)
        .map(({ tenantId, memberId }) => ({ tenantId, memberId })),
    );
  }
  saveIdempotencyRecord(r: IdempotencyRecord) {
    return asPromise(() => {
      if (this.records.has(`${r.tenantId}/${r.key}`)) return false;
      this.records.set(`${r.tenantId}/${r.key}`, clone(r));
      return true;
    });
  }
  queues = new Map<string, { next: number; serving: number; servedAt: string }>();
  takeTicket(t: string, m: string) {
    return asPromise(() => {
      const q = this.queues.get(`${t}/${m}`) ?? { next: 0, serving: 1, servedAt: new Date().toISOString() };
      q.next += 1;
      this.queues.set(`${t}/${m}`, q);
      return q.next;
    });
  }
  async queueState(t: string, m: string) {
    const q = this.queues.get(`${t}/${m}`);
    return {
      nowServing: q?.serving ?? 1,
      servedAt: q?.servedAt ?? new Date().toISOString(),
      balance: await this.getBalance(t, m),
    };
  }
  advanceQueue(t: string, m: string, ticket: number) {
    return asPromise(() => {
      const q = this.queues.get(`${t}/${m}`);
      if (q && q.serving === ticket) Object.assign(q, { serving: ticket + 1, servedAt: new Date().toISOString() });
    });
  }
  getRedemption(t: string, m: string, seq: number) {
    return asPromise(() => {
      const r = this.redemptions.get(`${t}/${m}/${seq}`);
      return r ? clone(r) : null;
    });
  }
  listRedemptions(t: string, m: string, query: { limit: number; cursor?: string }): Promise<Page<Redemption>> {
    return asPromise(() => {
      const all = [...this.redemptions.values()]
        .filter((r) => r.tenantId === t && r.memberId === m)
        .sort((a, b) => b.seq - a.seq);
      const start = query.cursor ? all.findIndex((r) => String(r.seq) === query.cursor) + 1 : 0;
      const items = all.slice(start, start + query.limit).map(clone);
      return {
        items,
        ...(start + query.limit < all.length ? { nextCursor: String(items[items.length - 1]!.seq) } : {}),
      };
    });
  }
  account(t: string, a: AccountRef): number[] {
    const key = `${t}/${a.kind}/${a.id}`;
    if (!this.accounts.has(key)) this.accounts.set(key, new Array<number>(ACCOUNT_SHARDS).fill(0));
    return this.accounts.get(key)!;
  }
  /** Always consistent: the option only matters where reads can lag. */
  accountBalances(t: string, a: AccountRef, _options?: { consistent: boolean }) {
    return asPromise(() => [...this.account(t, a)]);
  }
  rebalance(t: string, a: AccountRef, plan: { target: number; moves: { from: number; points: number }[] }) {
    return asPromise(() => {
      const shards = this.account(t, a);
      if (plan.moves.some((move) => shards[move.from]! < move.points)) return false;
      for (const move of plan.moves) {
        shards[move.from]! -= move.points;
        shards[plan.target]! += move.points;
      }
      return true;
    });
  }
  /** Test set-up: codes straight into a pool, stock with them. */
  addCodes(t: string, rewardId: string, codes: string[]) {
    const pool = this.pools.get(`${t}/${rewardId}`) ?? [];
    this.pools.set(`${t}/${rewardId}`, pool);
    for (const code of codes) {
      pool.push(code);
      this.account(t, { kind: 'stock', id: rewardId })[keys.voucherShardOf(code, ACCOUNT_SHARDS)]! += 1;
    }
  }
  poolCodes(t: string, rewardId: string, shard: number, limit: number) {
    return asPromise(() =>
      (this.pools.get(`${t}/${rewardId}`) ?? [])
        .filter((code) => keys.voucherShardOf(code, ACCOUNT_SHARDS) === shard)
        .slice(0, limit),
    );
  }
  /** Counts group commits, and the commands in each, so tests can see the grouping. */
  groups: number[] = [];
  /** Like the adapter: the records' keys first (all taken keys named), then the balance version. */
  commitGroup(group: CommitGroup): Promise<GroupCommitResult> {
    return asPromise(() => {
      this.beforeCommit?.();
      this.beforeCommit = undefined;
      const taken = group.records.filter((r) => this.records.has(`${r.tenantId}/${r.key}`)).map((r) => r.key);
      if (taken.length) return { ok: false, conflict: 'idempotency', keys: taken };
      const key = `${group.tenantId}/${group.memberId}`;
      const current = this.balances.get(key);
      const m = group.mutation;
      const seqTaken = m?.entries.some((entry) => this.entries.has(`${key}/${entry.seq}`));
      if (current?.version !== group.expectedVersion || seqTaken)
        return { ok: false, conflict: 'version', ...(current ? { current: clone(current) } : {}) };
      if (m) {
        this.balances.set(key, clone(m.balance));
        for (const entry of m.entries) this.entries.set(`${key}/${entry.seq}`, clone(entry));
        this.events.push(...clone(m.events));
      }
      for (const r of group.records) this.records.set(`${r.tenantId}/${r.key}`, clone(r));
      this.groups.push(group.records.length);
      return { ok: true };
    });
  }
  commitHistoryLine(line: HistoryLine, r: IdempotencyRecord): Promise<'ok' | 'idempotency' | 'member'> {
    return asPromise(() => {
      const balance = this.balances.get(`${line.tenantId}/${line.memberId}`);
      if (!balance || balance.status === 'erased') return 'member';
      const key = `${line.tenantId}/${line.memberId}/${line.occurredAt}#${line.transactionId}`;
      if (this.records.has(`${r.tenantId}/${r.key}`) || this.history.has(key)) return 'idempotency';
      this.history.set(key, clone(line));
      this.records.set(`${r.tenantId}/${r.key}`, clone(r));
      return 'ok';
    });
  }
  listHistory(t: string, m: string, query: { limit: number; order: 'asc' | 'desc' }): Promise<Page<HistoryLine>> {
    return asPromise(() => {
      const lines = [...this.history.entries()]
        .filter(([key]) => key.startsWith(`${t}/${m}/`))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, line]) => clone(line));
      if (query.order === 'desc') lines.reverse();
      return { items: lines.slice(0, query.limit) };
    });
  }
  /**
   * All or nothing, like the adapter's TransactWriteItems: every condition is checked before any
   * write, in the order of its actions (balance, profile, external id, transaction, entries,
   * events, account debits, voucher); a taken idempotency key wins over any other conflict.
   */
  commit(m: Mutation, r: IdempotencyRecord | null): Promise<CommitResult> {
    return asPromise(() => {
      this.beforeCommit?.();
      this.beforeCommit = undefined;
      const key = `${m.tenantId}/${m.memberId}`;
      if (r && this.records.has(`${r.tenantId}/${r.key}`)) return { ok: false, conflict: 'idempotency' };
      const current = this.balances.get(key);
      if (m.expectedVersion === null ? current : current?.version !== m.expectedVersion) {
        return {
          ok: false,
          conflict: m.expectedVersion === null ? 'member' : 'version',
          ...(current && m.expectedVersion !== null ? { current: clone(current) } : {}),
        };
      }
      if (m.profile?.create && this.profiles.has(key)) return { ok: false, conflict: 'member' };
      if (m.externalId && 'claim' in m.externalId && this.externalIds.has(`${m.tenantId}/${m.externalId.claim}`))
        return { ok: false, conflict: 'externalId' };
      if (m.transactionClaim && this.transactions.has(`${m.tenantId}/${m.transactionClaim}`))
        return { ok: false, conflict: 'transaction' };
      // Entries and events are written only if absent: a seq taken already means another writer won.
      if (m.entries.some((entry) => this.entries.has(`${key}/${entry.seq}`))) return { ok: false, conflict: 'version' };
      if (
        m.events.some((event) =>
          this.events.some((e) => e.tenantId === m.tenantId && e.memberId === m.memberId && e.seq === event.seq),
        )
      ) {
        return { ok: false, conflict: 'version' };
      }
      // Only a debit has a condition: the shard must stay non-negative.
      for (const change of m.accounts ?? []) {
        if (change.delta < 0 && this.account(m.tenantId, change.account)[change.shard]! + change.delta < 0)
          return { ok: false, conflict: change.account.kind };
      }
      const pool =
        m.voucher && 'claim' in m.voucher ? this.pools.get(`${m.tenantId}/${m.voucher.claim.rewardId}`) : undefined;
      if (m.voucher && 'claim' in m.voucher && !pool?.includes(m.voucher.claim.code))
        return { ok: false, conflict: 'voucher' };
      if (m.transactionClaim) this.transactions.add(`${m.tenantId}/${m.transactionClaim}`);
      for (const change of m.accounts ?? []) this.account(m.tenantId, change.account)[change.shard]! += change.delta;
      if (m.voucher) {
        const { rewardId, code, redemptionId } = 'claim' in m.voucher ? m.voucher.claim : m.voucher.void;
        if (pool) pool.splice(pool.indexOf(code), 1);
        this.vouchers.set(`${m.tenantId}/${rewardId}/${code}`, {
          state: 'claim' in m.voucher ? 'issued' : 'void',
          redemptionId,
        });
      }
      for (const redemption of m.redemptions ?? []) this.redemptions.set(`${key}/${redemption.seq}`, clone(redemption));
      this.balances.set(key, clone(m.balance));
      if (m.profile) this.profiles.set(key, clone(m.profile.value));
      if (m.externalId && 'claim' in m.externalId)
        this.externalIds.set(`${m.tenantId}/${m.externalId.claim}`, m.memberId);
      if (m.externalId && 'release' in m.externalId) this.externalIds.delete(`${m.tenantId}/${m.externalId.release}`);
      for (const entry of m.entries) this.entries.set(`${key}/${entry.seq}`, clone(entry));
      for (const state of m.entryStates) this.states.set(`${key}/${state.seq}`, clone(state));
      if (r) this.records.set(`${r.tenantId}/${r.key}`, clone(r));
      this.events.push(...clone(m.events));
      return { ok: true };
    });
  }
}

/** Fixed programme settings for tests. */
export function fixedProgrammes(settings: Partial<ProgrammeSettings> = {}): ProgrammeCache & { programme: Programme } {
  const programme = defaultProgramme('t1');
  programme.settings = { ...programme.settings, ...settings };
  return { programme, settings: () => Promise.resolve(programme.settings) };
}
