import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import { idempotencyRecord, matchingRecord } from './idempotency';
import type { IdempotencyContext, RecordedBody, Reply } from './idempotency';
import type { Balance, Mutation } from './ledger';
import { recordLedgerFigures } from './ledger-figures';
import { assertOneEffectPerKey } from './ledger-invariants';
import { withCorrelationId } from './outbox';
import type { LedgerOutcome, LedgerReplies } from './ledger-outcomes';
import { backoff, MemberQueue } from './member-contention';
import type { LedgerStore } from './ports';

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
>;

/**
 * Commits a command once per Idempotency-Key: the first outcome for a key is committed with its
 * change (or alone, for a refusal) and replayed after. A lost race plans again from the winner's
 * balance; a member under contention switches from racing to its fair queue.
 */
export class IdempotentCommit {
  private readonly queue: MemberQueue;
  private readonly commitBudgetMs: number;
  private readonly waitClock: Clock;

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
  }

  async run(tenantId: string, idem: IdempotencyContext, decide: StepSource, memberId?: string): Promise<Reply> {
    // No read of the key up front: the commit's condition on the idempotency record detects a
    // retry (or a concurrent duplicate) and the kept reply is replayed then.
    const deadline = this.nowMs() + this.commitBudgetMs;
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
