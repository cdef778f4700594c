import type { Balance, EntryState, LedgerEntry, MemberProfile, Mutation } from '../../functions/domain/ledger';
import type { CommitResult, EntryQuery, IdempotencyRecord, LedgerStore, Page } from '../../functions/domain/ports';
import { defaultProgramme, type Programme, type ProgrammeSettings } from '../../functions/domain/programme';
import type { ProgrammeCache } from '../../functions/domain/ledger-service';

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
  events: Mutation['events'] = [];
  /** Lets a test slip a concurrent change in before the next commit. */
  beforeCommit?: () => void;

  async getBalance(t: string, m: string) {
    const b = this.balances.get(`${t}/${m}`);
    return b ? clone(b) : null;
  }
  async getBalances(t: string, memberIds: string[]) {
    const found = new Map<string, Balance>();
    for (const m of memberIds) {
      const b = await this.getBalance(t, m);
      if (b) found.set(m, b);
    }
    return found;
  }
  async getProfile(t: string, m: string) {
    const p = this.profiles.get(`${t}/${m}`);
    return p ? clone(p) : null;
  }
  async findMemberIdByExternalId(t: string, e: string) {
    return this.externalIds.get(`${t}/${e}`) ?? null;
  }
  async getIdempotencyRecord(t: string, k: string) {
    return this.records.get(`${t}/${k}`) ?? null;
  }
  async getEntry(t: string, m: string, seq: number) {
    const entry = this.entries.get(`${t}/${m}/${seq}`);
    return entry ? { entry: clone(entry), state: clone(this.states.get(`${t}/${m}/${seq}`) ?? null) } : null;
  }
  async listEntries(t: string, m: string, query: EntryQuery): Promise<Page<LedgerEntry>> {
    const all = [...this.entries.values()]
      .filter((e) => e.tenantId === t && e.memberId === m)
      .filter((e) => !query.types || query.types.includes(e.type))
      .filter((e) => (!query.from || e.createdAt >= query.from) && (!query.to || e.createdAt <= query.to))
      .sort((a, b) => (query.order === 'asc' ? a.seq - b.seq : b.seq - a.seq));
    const start = query.cursor ? all.findIndex((e) => String(e.seq) === query.cursor) + 1 : 0;
    const items = all.slice(start, start + query.limit);
    return { items, ...(start + query.limit < all.length ? { nextCursor: String(items[items.length - 1]!.seq) } : {}) };
  }
  async lastEntryAt(t: string, m: string, at: string) {
    const page = await this.listEntries(t, m, { to: at, order: 'desc', limit: 1 });
    return page.items[0] ?? null;
  }
  async listMembers(t: string, query: { limit: number; cursor?: string }) {
    const all = [...this.profiles.values()].filter((p) => p.tenantId === t).sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    const items = all.filter((p) => !query.cursor || p.memberId > query.cursor).slice(0, query.limit);
    return { items, ...(items.length === query.limit ? { nextCursor: items[items.length - 1]!.memberId } : {}) };
  }
  async listDue(_shard: number, now: string, limit: number) {
    return [...this.balances.values()]
      .filter((b) => b.dueAt !== null && b.dueAt <= now)
      .slice(0, limit)
      .map(({ tenantId, memberId }) => ({ tenantId, memberId }));
  }
  async saveIdempotencyRecord(r: IdempotencyRecord) {
    if (this.records.has(`${r.tenantId}/${r.key}`)) return false;
    this.records.set(`${r.tenantId}/${r.key}`, r);
    return true;
  }
  queues = new Map<string, { next: number; serving: number; servedAt: string }>();
  async takeTicket(t: string, m: string) {
    const q = this.queues.get(`${t}/${m}`) ?? { next: 0, serving: 1, servedAt: new Date().toISOString() };
    q.next += 1;
    this.queues.set(`${t}/${m}`, q);
    return q.next;
  }
  async queueState(t: string, m: string) {
    const q = this.queues.get(`${t}/${m}`);
    return { nowServing: q?.serving ?? 1, servedAt: q?.servedAt ?? new Date().toISOString(), balance: await this.getBalance(t, m) };
  }
  async advanceQueue(t: string, m: string, ticket: number) {
    const q = this.queues.get(`${t}/${m}`);
    if (q && q.serving === ticket) Object.assign(q, { serving: ticket + 1, servedAt: new Date().toISOString() });
  }
  async commit(m: Mutation, r: IdempotencyRecord | null): Promise<CommitResult> {
    this.beforeCommit?.();
    this.beforeCommit = undefined;
    const key = `${m.tenantId}/${m.memberId}`;
    if (r && this.records.has(`${r.tenantId}/${r.key}`)) return { ok: false, conflict: 'idempotency' };
    const current = this.balances.get(key);
    if (m.expectedVersion === null ? current : current?.version !== m.expectedVersion) {
      return { ok: false, conflict: m.expectedVersion === null ? 'member' : 'version', ...(current && m.expectedVersion !== null ? { current: clone(current) } : {}) };
    }
    if (m.externalId && 'claim' in m.externalId && this.externalIds.has(`${m.tenantId}/${m.externalId.claim}`)) return { ok: false, conflict: 'externalId' };
    if (m.transactionClaim && this.transactions.has(`${m.tenantId}/${m.transactionClaim}`)) return { ok: false, conflict: 'transaction' };
    if (m.transactionClaim) this.transactions.add(`${m.tenantId}/${m.transactionClaim}`);
    this.balances.set(key, clone(m.balance));
    if (m.profile) this.profiles.set(key, clone(m.profile.value));
    if (m.externalId && 'claim' in m.externalId) this.externalIds.set(`${m.tenantId}/${m.externalId.claim}`, m.memberId);
    if (m.externalId && 'release' in m.externalId) this.externalIds.delete(`${m.tenantId}/${m.externalId.release}`);
    for (const entry of m.entries) this.entries.set(`${key}/${entry.seq}`, clone(entry));
    for (const state of m.entryStates) this.states.set(`${key}/${state.seq}`, clone(state));
    if (r) this.records.set(`${r.tenantId}/${r.key}`, r);
    this.events.push(...clone(m.events));
    return { ok: true };
  }
}

/** Fixed programme settings for tests. */
export function fixedProgrammes(settings: Partial<ProgrammeSettings> = {}): ProgrammeCache & { programme: Programme } {
  const programme = defaultProgramme('t1');
  programme.settings = { ...programme.settings, ...settings };
  return { programme, settings: async () => programme.settings };
}
