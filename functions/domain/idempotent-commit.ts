import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import { idempotencyRecord, matchingRecord } from './idempotency';
import type { IdempotencyContext, RecordedBody, Reply } from './idempotency';
import {
  GROUP_MAX_BYTES,
  GROUP_MAX_ITEMS,
  groupableMutation,
  groupBytes,
  groupItems,
  mergeMutations,
} from './group-commit';
import type { Balance, Mutation } from './ledger';
import { recordLedgerFigures } from './ledger-figures';
import { assertOneEffectPerKey } from './ledger-invariants';
import { withCorrelationId } from './outbox';
import type { LedgerOutcome, LedgerReplies } from './ledger-outcomes';
import { backoff, MemberQueue } from './member-contention';
import type { IdempotencyRecord, LedgerStore } from './ports';

/** What one attempt of a command decided: a change to commit with its outcome, or an outcome alone. */
export type CommandStep =
  { kind: 'change'; mutation: Mutation; outcome: LedgerOutcome } | { kind: 'answer'; outcome: LedgerOutcome };

/** Decides a step; it may start from the balance a lost race returned instead of reading it again. */
export type StepSource = (current?: Balance) => Promise<CommandStep>;

/** Optimistic concurrency on one member: re-plan on conflict, within a budget below the API timeout. */
const MAX_COMMIT_ATTEMPTS = 200;
export const COMMIT_BUDGET_MS = 20_000;

export interface IdempotentCommitOptions {
  /** How long one request may spend winning its member's commit (queueing included). */
  commitBudgetMs?: number;
  /**
   * The clock that deadlines and queue leases are measured by: real time, the one the store stamps
   * its queue with, even when the business clock is set (tests that move "now" forward).
   */
  waitClock: Clock;
  /**
   * How long a member's balance, as this container last committed it, may stand in for a read of it
   * (0, the default: never). A stale one costs a retry, never a wrong commit: see `BalanceMemory`.
   */
  balanceMemoryMs?: number;
}

/** Members whose balances a container remembers at most (the oldest is forgotten first). */
const REMEMBERED_BALANCES = 5_000;

/**
 * The balances this container last committed, per member, for `ttlMs`: a member's next group plans
 * on it instead of reading the balance (one strongly consistent read less per request). It may be
 * stale (another container, housekeeping or a command committed on its own changed the member
 * since): the group's commit is conditioned on the balance's version, so a stale balance fails the
 * commit and the group plans again at once on the balance the failure returned. A stale memory
 * costs one failed transaction (more write units than the read it saves), hence the short life: it
 * pays for a member's bursts, which a container serves together.
 */
class BalanceMemory {
  private readonly remembered = new Map<string, { balance: Balance; untilMs: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  recall(key: string): Balance | undefined {
    const found = this.remembered.get(key);
    if (!found) return undefined;
    if (found.untilMs > this.clock.now().getTime()) return found.balance;
    this.remembered.delete(key);
    return undefined;
  }

  /** Remembers the balance (or, undefined, forgets the member: what the lane knew is no longer sure). */
  keep(key: string, balance: Balance | undefined): void {
    this.remembered.delete(key);
    if (!balance || this.ttlMs <= 0) return;
    this.remembered.set(key, { balance, untilMs: this.clock.now().getTime() + this.ttlMs });
    const oldest = this.remembered.keys().next();
    if (this.remembered.size > REMEMBERED_BALANCES && !oldest.done) this.remembered.delete(oldest.value);
  }
}

type EngineStore = Pick<
  LedgerStore,
  | 'commit'
  | 'saveIdempotencyRecord'
  | 'getIdempotencyRecord'
  | 'getProfile'
  | 'getBalance'
  | 'takeTicket'
  | 'queueState'
  | 'advanceQueue'
  | 'commitGroup'
>;

/** A command waiting in its member's lane, and how to answer its caller. */
interface Waiter {
  idem: IdempotencyContext;
  decide: StepSource;
  groupable: boolean;
  deadline: number;
  resolve: (reply: Reply) => void;
  reject: (error: unknown) => void;
  done: boolean;
  /** Set while a command answers on its own: the lane waits for it. */
  settled?: Promise<void>;
}

interface Lane {
  waiting: Waiter[];
  draining: boolean;
  /**
   * The balance the lane's last group committed (or the container remembered): the next group plans
   * on it without a read.
   */
  balance?: Balance;
}

/** Answers a waiter with the outcome of `work` (once). */
function settle(waiter: Waiter, work: Promise<Reply>): void {
  waiter.done = true;
  waiter.settled = work.then(waiter.resolve, waiter.reject);
}

/**
 * Commits a command once per Idempotency-Key: the first outcome for a key is committed with its
 * change (or alone, for a refusal) and replayed after. A lost race plans again from the winner's
 * balance; a member under contention switches from racing to its fair queue.
 */
export class IdempotentCommit {
  private readonly queue: MemberQueue;
  /** Each member's commands waiting in this container, served in order by one drain at a time. */
  private readonly lanes = new Map<string, Lane>();
  private readonly commitBudgetMs: number;
  private readonly waitClock: Clock;
  private readonly memory: BalanceMemory;

  constructor(
    private readonly store: EngineStore,
    private readonly replies: LedgerReplies,
    /** Business time: when records are created. */
    private readonly clock: Clock,
    options: IdempotentCommitOptions,
  ) {
    this.waitClock = options.waitClock;
    this.commitBudgetMs = options.commitBudgetMs ?? COMMIT_BUDGET_MS;
    this.queue = new MemberQueue(store, options.waitClock);
    this.memory = new BalanceMemory(options.balanceMemoryMs ?? 0, options.waitClock);
  }

  /**
   * Commits one command. Commands of a member queue in this container's lane for it: `groupable`
   * ones (plans that read nothing but the balance) are committed together, the others one by one.
   */
  run(
    tenantId: string,
    idem: IdempotencyContext,
    decide: StepSource,
    memberId?: string,
    options: { groupable?: boolean } = {},
  ): Promise<Reply> {
    // No read of the key up front: the commit's condition on the idempotency record detects a
    // retry (or a concurrent duplicate) and the kept reply is replayed then.
    const deadline = this.nowMs() + this.commitBudgetMs;
    if (!memberId) return this.runAlone(tenantId, idem, decide, deadline);
    const laneKey = `${tenantId}\n${memberId}`;
    let lane = this.lanes.get(laneKey);
    if (!lane) {
      lane = { waiting: [], draining: false };
      const remembered = this.memory.recall(laneKey);
      if (remembered) lane.balance = remembered;
      this.lanes.set(laneKey, lane);
    }
    const reply = new Promise<Reply>((resolve, reject) => {
      lane.waiting.push({
        idem,
        decide,
        groupable: options.groupable ?? false,
        deadline,
        resolve,
        reject,
        done: false,
      });
    });
    if (!lane.draining) void this.drain(tenantId, memberId, laneKey, lane);
    return reply;
  }

  /** Serves a member's lane until it is empty: groups of groupable commands, any other command alone. */
  private async drain(tenantId: string, memberId: string, laneKey: string, lane: Lane): Promise<void> {
    lane.draining = true;
    try {
      for (;;) {
        const head = lane.waiting[0];
        if (!head) break;
        if (!head.groupable) {
          lane.waiting.shift();
          // A command on its own reads the balance itself: what the lane knew may change under it.
          lane.balance = undefined;
          settle(head, this.runAlone(tenantId, head.idem, head.decide, head.deadline, memberId));
          await head.settled;
          continue;
        }
        const count = lane.waiting.findIndex((waiter) => !waiter.groupable);
        const batch = lane.waiting.splice(0, count < 0 ? lane.waiting.length : count);
        const rest = await this.commitGroup(tenantId, memberId, lane, batch);
        lane.waiting.unshift(...rest);
      }
    } catch (error) {
      // Not expected (each group settles its own failures): no waiter may hang.
      for (const waiter of lane.waiting.splice(0)) waiter.reject(error);
    } finally {
      lane.draining = false;
      this.lanes.delete(laneKey);
      this.memory.keep(laneKey, lane.balance);
    }
  }

  /**
   * Commits as many of `batch` as one transaction holds; gives back the waiters left for the next
   * group, in order. A lost race re-plans the group from the winner's balance, in the member's
   * fair queue (one ticket for the whole group).
   */
  private async commitGroup(tenantId: string, memberId: string, lane: Lane, batch: Waiter[]): Promise<Waiter[]> {
    let current = lane.balance;
    // A balance planned on without a read may be stale: its first lost race is a retry, not contention.
    let unread = current !== undefined;
    let ticket: number | null = null;
    let open = batch;
    try {
      for (let attempt = 0; ; attempt++) {
        open = open.filter((waiter) => !waiter.done && !this.expired(waiter, attempt));
        if (open.length === 0) return [];
        current ??= (await this.store.getBalance(tenantId, memberId)) ?? undefined;
        if (!current) {
          // No such member: each command answers for itself (a refusal, remembered).
          for (const waiter of open) {
            settle(waiter, this.runAlone(tenantId, waiter.idem, waiter.decide, waiter.deadline));
            await waiter.settled;
          }
          return [];
        }
        const group = await this.planGroup(tenantId, open, current);
        if (group.planned.length === 0) {
          // The first command could not join a group: it goes on alone from the head of the lane.
          return open.filter((waiter) => !waiter.done);
        }
        const result = await this.store.commitGroup({
          tenantId,
          memberId,
          expectedVersion: current.version,
          mutation: group.mutation,
          records: group.planned.map((planned) => planned.record),
        });
        if (result.ok) {
          for (const planned of group.planned) {
            if (planned.mutation) recordLedgerFigures(planned.mutation.events);
            planned.waiter.done = true;
            planned.waiter.resolve(planned.reply);
          }
          lane.balance = group.balance;
          return open.filter((waiter) => !waiter.done);
        }
        if (result.conflict === 'idempotency') {
          // Concurrent duplicates kept their reply first: those replay, the rest commit again without them.
          const taken = new Set(result.keys);
          for (const { waiter } of group.planned.filter((planned) => taken.has(planned.waiter.idem.key)))
            settle(waiter, this.replay(tenantId, waiter.idem));
          continue;
        }
        // Another container's writer changed the member: plan again from its balance, in turn.
        current = result.current;
        lane.balance = undefined;
        if (unread) {
          unread = false;
          continue;
        }
        if (ticket === null) {
          ticket = await this.queue.take(tenantId, memberId);
          const latest = Math.max(...open.map((waiter) => waiter.deadline));
          current = (await this.queue.waitForTurn(tenantId, memberId, ticket, latest)) ?? undefined;
        }
      }
    } catch (error) {
      for (const waiter of open.filter((w) => !w.done)) {
        waiter.done = true;
        waiter.reject(error);
      }
      return [];
    } finally {
      if (ticket !== null) await this.queue.handOn(tenantId, memberId, ticket);
    }
  }

  /**
   * Plans waiters in order, each on the balance the previous one left, until the transaction is
   * full. A duplicate key waits for the next group (its first use replays then); a plan that cannot
   * join a group ends it, and runs alone next.
   */
  private async planGroup(tenantId: string, open: Waiter[], current: Balance) {
    const planned: { waiter: Waiter; reply: Reply; record: IdempotencyRecord; mutation?: Mutation }[] = [];
    const keys = new Set<string>();
    let base = current;
    let items = 1;
    let bytes = JSON.stringify(current).length * 2;
    for (const waiter of open) {
      if (keys.has(waiter.idem.key)) continue;
      let step: CommandStep;
      try {
        step = await waiter.decide(base);
      } catch (error) {
        waiter.done = true;
        waiter.reject(error);
        continue;
      }
      const mutation = step.kind === 'change' ? withCorrelationId(step.mutation, waiter.idem.correlationId) : undefined;
      if (mutation && !groupableMutation(mutation)) {
        waiter.groupable = false;
        break;
      }
      const { reply, record } = this.record(tenantId, waiter.idem, step.outcome);
      if (mutation) assertOneEffectPerKey(mutation, record.key);
      items += groupItems(mutation);
      bytes += groupBytes(mutation, record);
      if (planned.length > 0 && (items > GROUP_MAX_ITEMS || bytes > GROUP_MAX_BYTES)) break;
      planned.push({ waiter, reply, record, ...(mutation ? { mutation } : {}) });
      keys.add(waiter.idem.key);
      if (mutation) base = mutation.balance;
    }
    const changes = planned.flatMap((p) => (p.mutation ? [p.mutation] : []));
    return { planned, mutation: changes.length ? mergeMutations(changes) : null, balance: base };
  }

  /** A waiter whose budget is spent answers 409 concurrent_update (with Retry-After): nothing was committed. */
  private expired(waiter: Waiter, attempt: number): boolean {
    if (attempt < MAX_COMMIT_ATTEMPTS && this.nowMs() < waiter.deadline) return false;
    waiter.done = true;
    waiter.reject(new Problem('concurrent_update'));
    return true;
  }

  /** One command, committed optimistically; on a lost race it queues in the member's fair queue. */
  private async runAlone(
    tenantId: string,
    idem: IdempotencyContext,
    decide: StepSource,
    deadline: number,
    memberId?: string,
  ): Promise<Reply> {
    let current: Balance | undefined;
    let ticket: number | null = null;
    try {
      for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS && this.nowMs() < deadline; attempt++) {
        const step = await decide(current);
        if (step.kind === 'answer') return await this.remember(tenantId, idem, step.outcome);
        const { reply, record } = this.record(tenantId, idem, step.outcome);
        assertOneEffectPerKey(step.mutation, record.key);
        const result = await this.store.commit(withCorrelationId(step.mutation, idem.correlationId), record);
        if (result.ok) {
          recordLedgerFigures(step.mutation.events);
          return reply;
        }
        if (result.conflict === 'idempotency') return await this.replay(tenantId, idem);
        if (result.conflict === 'transaction') {
          // Another request earned on this transaction id: a business failure, remembered like any.
          const claim = step.mutation.transactionClaim;
          const problem = new Problem('transaction_already_posted', `Transaction ${claim} has earned points already`);
          return await this.remember(tenantId, idem, { kind: 'refused', problem });
        }
        if (result.conflict === 'stock' || result.conflict === 'budget' || result.conflict === 'voucher') {
          // Another member took that unit, code or budget share first: draw again.
          current = undefined;
          await backoff(attempt);
          continue;
        }
        // version / externalId / member conflicts: someone else changed the state; plan again.
        current = result.current;
        if (memberId && ticket === null) {
          ticket = await this.queue.take(tenantId, memberId);
          current = (await this.queue.waitForTurn(tenantId, memberId, ticket, deadline)) ?? undefined;
        } else if (ticket === null) {
          await backoff(attempt);
        }
        // With our turn, a writer that did not queue slipped in: plan again at once from its balance.
      }
      throw new Problem('concurrent_update');
    } finally {
      if (ticket !== null && memberId) await this.queue.handOn(tenantId, memberId, ticket);
    }
  }

  private record(tenantId: string, idem: IdempotencyContext, outcome: LedgerOutcome) {
    const reply = this.replies.reply(outcome);
    const recorded: RecordedBody | undefined =
      outcome.kind === 'member' ? { member: outcome.profile.memberId } : undefined;
    const record = idempotencyRecord(tenantId, idem, reply, this.clock.now().toISOString(), recorded);
    return { reply, record };
  }

  /** Keeps an outcome that changed nothing for its key, or replays the one a concurrent duplicate kept. */
  private async remember(tenantId: string, idem: IdempotencyContext, outcome: LedgerOutcome): Promise<Reply> {
    const { reply, record } = this.record(tenantId, idem, outcome);
    if (await this.store.saveIdempotencyRecord(record)) return reply;
    return this.replay(tenantId, idem);
  }

  private async replay(tenantId: string, idem: IdempotencyContext): Promise<Reply> {
    const record = matchingRecord(idem, await this.store.getIdempotencyRecord(tenantId, idem.key));
    const recorded = JSON.parse(record.body) as RecordedBody;
    const body = 'member' in recorded ? await this.memberBody(tenantId, recorded.member) : recorded.body;
    return { statusCode: record.statusCode, body, replayed: true };
  }

  private async memberBody(tenantId: string, memberId: string): Promise<unknown> {
    const [profile, balance] = await Promise.all([
      this.store.getProfile(tenantId, memberId),
      this.store.getBalance(tenantId, memberId),
    ]);
    if (!profile || !balance) throw new Problem('member_not_found', `No member ${memberId}`);
    return this.replies.reply({ kind: 'member', profile, balance, created: false }).body;
  }

  private nowMs(): number {
    return this.waitClock.now().getTime();
  }
}
