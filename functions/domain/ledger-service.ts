import { systemClock, type Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import { ttlCache } from '../shared/ttl-cache';
import {
  LedgerRuleError,
  offerStanding,
  parseEntryId,
  planAdjust,
  planEarn,
  planEnrol,
  planErase,
  planHousekeeping,
  planProfileUpdate,
  planRedeem,
  planReverse,
  planOfferActivation,
  planOfferView,
  planStatus,
  planTransaction,
  planRedemptionCancellation,
  planRedemptionFulfilment,
  planRewardRedemption,
  periodEarnedPoints,
  requireActive,
  requireCanSpend,
  type RewardDraw,
  tierOf,
  type AdjustCommand,
  type Balance,
  type EarnCommand,
  type EnrolCommand,
  type LedgerEntry,
  type MemberProfile,
  type MemberStatus,
  type Mutation,
  type ProfilePatch,
  type RedeemCommand,
  type ReverseCommand,
} from './ledger';
import { evaluateEarning, type BusinessTransaction, type EarningResult } from './earning-rules';
import { historyLine, type HistoryCommand, type HistoryLine } from './history';
import { idempotencyRecord, matchingRecord, type IdempotencyContext, type Reply } from './idempotency';
import { planOpeningBalance, type OpeningBalanceCommand } from './opening-balance';
import { IdempotentCommit, type CommandStep, type StepSource } from './idempotent-commit';
import { recordLedgerFigures } from './ledger-figures';
import type { LedgerReplies } from './ledger-outcomes';
import { backoff } from './member-contention';
import type { Offer } from './offers';
import type { ProgrammeSettings } from './programme';
import type { EntryQuery, LedgerStore, Page, ProgrammeStore } from './ports';
import { DUE_SHARDS } from './keys';
import { withCorrelationId } from './outbox';
import { parseRedemptionId, pickShard, rebalancePlan, type Campaign, type Redemption, type Reward } from './rewards';
import { required } from '../shared/required';

/** Housekeeping's own optimistic loop (no key, no queue): attempts per member before giving up. */
const MAX_HOUSEKEEPING_ATTEMPTS = 200;

const memberNotFound = (memberId: string) => new Problem('member_not_found', `No member ${memberId}`);

export interface ProgrammeCache {
  settings(tenantId: string): Promise<ProgrammeSettings>;
}

/** Reads a tenant's programme at most once per `ttlMs` per container; admins' edits apply within it. */
export function cachedProgrammes(store: ProgrammeStore, clock: Clock, ttlMs = 30_000): ProgrammeCache {
  const cache = ttlCache(async (tenantId) => (await store.get(tenantId)).settings, ttlMs, clock);
  return { settings: (tenantId) => cache.get(tenantId) };
}

export interface LedgerServiceOptions {
  /** How long one request may spend winning its member's commit (queueing included). */
  commitBudgetMs?: number;
  /** Real time for deadlines and the member queue (default: the system clock); see `IdempotentCommit`. */
  waitClock?: Clock;
  /** How long a container may plan a member's commands on the balance it last committed (default 0: never). */
  balanceMemoryMs?: number;
}

/**
 * Application service for ledger commands: it reads state through the store, plans with the pure
 * rules of `ledger.ts`, and commits each keyed command through `IdempotentCommit`. Commands
 * answer with the reply the API renders from their outcome (`LedgerReplies`); reads return
 * domain objects for the API to render.
 */
export class LedgerService {
  private readonly commits: IdempotentCommit;
  private readonly waitClock: Clock;

  constructor(
    private readonly store: LedgerStore,
    private readonly programmes: ProgrammeCache,
    private readonly clock: Clock,
    private readonly replies: LedgerReplies,
    options: LedgerServiceOptions = {},
  ) {
    this.waitClock = options.waitClock ?? systemClock;
    this.commits = new IdempotentCommit(store, replies, clock, {
      waitClock: this.waitClock,
      ...(options.commitBudgetMs ? { commitBudgetMs: options.commitBudgetMs } : {}),
      ...(options.balanceMemoryMs ? { balanceMemoryMs: options.balanceMemoryMs } : {}),
    });
  }

  /** The tenant's programme settings (cached per container). */
  settings(tenantId: string): Promise<ProgrammeSettings> {
    return this.programmes.settings(tenantId);
  }

  enrol(tenantId: string, idem: IdempotencyContext, command: EnrolCommand): Promise<Reply> {
    return this.commits.run(tenantId, idem, async () => {
      const existingId = await this.store.findMemberIdByExternalId(tenantId, command.externalId);
      if (existingId) {
        const [profile, balance] = await Promise.all([
          this.store.getProfile(tenantId, existingId),
          this.store.getBalance(tenantId, existingId),
        ]);
        if (profile && balance)
          return { kind: 'answer', outcome: { kind: 'member', profile, balance, created: false } };
      }
      const now = this.clock.now();
      return memberChangeStep(planEnrol(tenantId, command, now, await this.programmes.settings(tenantId)), true);
    });
  }

  updateProfile(tenantId: string, memberId: string, idem: IdempotencyContext, patch: ProfilePatch): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const profile = await this.requireProfile(tenantId, memberId);
      return memberStep(planProfileUpdate(balance, profile, patch, this.clock.now(), settings), profile, balance);
    });
  }

  setStatus(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    status: 'active' | 'inactive',
    reason?: string,
  ): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const profile = await this.requireProfile(tenantId, memberId);
      return memberStep(planStatus(balance, profile, status, reason, this.clock.now(), settings), profile, balance);
    });
  }

  erase(tenantId: string, memberId: string, idem: IdempotencyContext): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const profile = await this.requireProfile(tenantId, memberId);
      return memberStep(planErase(balance, profile, this.clock.now(), settings), profile, balance);
    });
  }

  /** Credits points; with a campaign, its budget funds them (debited in the same commit). */
  earn(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    command: Omit<EarnCommand, 'idempotencyKey' | 'campaign'>,
    campaign?: Campaign,
  ): Promise<Reply> {
    const decide = async (balance: Balance, settings: ProgrammeSettings) => {
      let funding: EarnCommand['campaign'];
      if (campaign) {
        requireActive(balance);
        if (campaign.status !== 'active')
          throw new Problem('campaign_closed', `Campaign ${campaign.campaignId} is closed`);
        funding = {
          campaignId: campaign.campaignId,
          shard: await this.budgetShard(tenantId, campaign.campaignId, command.amountPoints),
        };
      }
      const earning = { ...command, ...(funding ? { campaign: funding } : {}), idempotencyKey: idem.key };
      return pointsStep(planEarn(balance, earning, this.clock.now(), settings), settings);
    };
    // Without a campaign an earning reads nothing but the balance: it may commit with others of the member.
    return this.memberChange(tenantId, memberId, idem, decide, { groupable: !campaign });
  }

  /**
   * Redeems a reward in one commit: points burnt, a unit of stock taken, a voucher code claimed,
   * the campaign charged. Another writer taking the same unit, code or budget first makes the
   * commit fail as a whole, and the redemption draws again.
   */
  redeemReward(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    reward: Reward,
    campaign: Campaign | null,
    source?: string,
  ): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      if (reward.status !== 'active') throw new Problem('reward_not_active', `Reward ${reward.rewardId} is paused`);
      if (reward.campaign && campaign?.status !== 'active')
        throw new Problem('campaign_closed', `Campaign ${reward.campaign.campaignId} is closed`);
      requireCanSpend(balance, reward.pointsCost);
      const draw = await this.drawFor(tenantId, reward);
      const command = { ...(source ? { source } : {}), idempotencyKey: idem.key };
      return redemptionStep(
        planRewardRedemption(balance, reward, draw, command, this.clock.now(), settings),
        settings,
        true,
      );
    });
  }

  /** Marks a pending (manual) redemption fulfilled. */
  fulfilRedemption(
    tenantId: string,
    memberId: string,
    redemptionId: string,
    idem: IdempotencyContext,
    reference?: string,
  ): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const redemption = await this.getRedemption(tenantId, memberId, redemptionId);
      return redemptionStep(
        planRedemptionFulfilment(balance, redemption, reference, this.clock.now(), settings),
        settings,
        false,
      );
    });
  }

  /**
   * Cancels a redemption: points refunded with their original expiry, stock returned if still pending, voucher voided,
   * campaign credited.
   */
  cancelRedemption(
    tenantId: string,
    memberId: string,
    redemptionId: string,
    idem: IdempotencyContext,
    reason: string,
  ): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const redemption = await this.getRedemption(tenantId, memberId, redemptionId);
      const found = await this.store.getEntry(tenantId, memberId, redemption.seq);
      if (!found) throw new Error(`Redemption ${redemptionId} has no entry`);
      const mutation = planRedemptionCancellation(
        balance,
        redemption,
        found.entry,
        found.state,
        reason,
        this.clock.now(),
        settings,
        idem.key,
      );
      return redemptionStep(mutation, settings, false);
    });
  }

  async getRedemption(tenantId: string, memberId: string, redemptionId: string): Promise<Redemption> {
    const parsed = parseRedemptionId(redemptionId);
    const redemption =
      parsed && `mem_${parsed.memberSuffix}` === memberId
        ? await this.store.getRedemption(tenantId, memberId, parsed.seq)
        : null;
    if (!redemption) throw new Problem('redemption_not_found', `No redemption ${redemptionId} for member ${memberId}`);
    return redemption;
  }

  async listRedemptions(
    tenantId: string,
    memberId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<Redemption>> {
    const [, page] = await this.withBalance(tenantId, memberId, this.store.listRedemptions(tenantId, memberId, query));
    return page;
  }

  /**
   * Draws what a redemption takes: a stock shard with a unit left (and, for vouchers, a code from
   * the pool shard that matches it), shards tried in random order so concurrent redemptions
   * spread out; and a budget shard for a campaign-funded reward. Every redemption of a reward reads
   * all its shards, so the pick reads them eventually consistent (half the read units on keys every
   * redemption shares; the commit's conditions guard the unit and the code); only a strongly
   * consistent read may find the reward out of stock.
   */
  private async drawFor(tenantId: string, reward: Reward): Promise<RewardDraw> {
    const draw: RewardDraw = {};
    if (!reward.unlimitedStock) {
      for (const consistent of [false, true]) {
        const stock = await this.store.accountBalances(
          tenantId,
          { kind: 'stock', id: reward.rewardId },
          { consistent },
        );
        const stocked = stock.flatMap((units, shard) => (units > 0 ? [shard] : []));
        // From a random start, so concurrent redemptions spread over the shards.
        const start = Math.floor(Math.random() * stocked.length);
        for (const shard of [...stocked.slice(start), ...stocked.slice(0, start)]) {
          if (reward.fulfilment === 'voucher') {
            const codes = await this.store.poolCodes(tenantId, reward.rewardId, shard, 16);
            if (codes.length === 0) continue;
            draw.voucherCode = required(codes[Math.floor(Math.random() * codes.length)], 'a drawn code');
          }
          draw.stockShard = shard;
          break;
        }
        if (draw.stockShard !== undefined) break;
      }
      if (draw.stockShard === undefined)
        throw new Problem('reward_out_of_stock', `Reward ${reward.rewardId} is out of stock`);
    }
    if (reward.campaign)
      draw.budgetShard = await this.budgetShard(tenantId, reward.campaign.campaignId, reward.campaign.cost);
    return draw;
  }

  /**
   * A budget shard that can afford `amount`, rebalancing the shards when none can alone. The first
   * read is eventually consistent, as the stock's (the commit's condition guards the debit); a
   * refusal or a rebalance only follows a strongly consistent one.
   */
  private async budgetShard(tenantId: string, campaignId: string, amount: number): Promise<number> {
    const account = { kind: 'budget', id: campaignId } as const;
    let consistent = false;
    for (let attempt = 0; attempt < 6; attempt++) {
      const balances = await this.store.accountBalances(tenantId, account, { consistent });
      const shard = pickShard(balances, amount);
      if (shard !== null) return shard;
      if (!consistent) {
        consistent = true;
        continue;
      }
      const plan = rebalancePlan(balances, amount);
      if (!plan) break;
      if (await this.store.rebalance(tenantId, account, plan)) return plan.target;
      await backoff(attempt - 1);
    }
    throw new Problem('campaign_budget_exhausted', `Campaign ${campaignId} cannot fund ${amount} points`);
  }

  /**
   * Loads a member's opening balance from a previous programme (an import): one `opening_balance` entry and its
   * `member.imported` event, committed like any points command; at most one per member (see `opening-balance.ts`).
   */
  importOpeningBalance(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    command: Omit<OpeningBalanceCommand, 'idempotencyKey'>,
  ): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, (balance, settings) => {
      const opening = { ...command, idempotencyKey: idem.key };
      return pointsStep(planOpeningBalance(balance, opening, this.clock.now(), settings), settings);
    });
  }

  /**
   * Records an imported history line (see `history.ts`): the balance is neither read nor written, so history loads
   * never race the member's live commands. The key's first reply is kept with the line and replayed after; the key
   * used with another line is refused `idempotency_key_reused` (thrown).
   */
  async importHistory(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    command: HistoryCommand,
  ): Promise<Reply> {
    const now = this.clock.now().toISOString();
    let line: HistoryLine;
    try {
      line = historyLine(tenantId, memberId, command, now);
    } catch (error) {
      if (error instanceof RangeError) throw new Problem('validation_failed', error.message);
      throw error;
    }
    const reply = this.replies.reply({ kind: 'history', line });
    const result = await this.store.commitHistoryLine(line, idempotencyRecord(tenantId, idem, reply, now));
    if (result === 'ok') return reply;
    if (result === 'member') {
      const balance = await this.store.getBalance(tenantId, memberId);
      if (!balance) throw memberNotFound(memberId);
      throw new Problem('member_erased', 'The member was erased');
    }
    const record = matchingRecord(idem, await this.store.getIdempotencyRecord(tenantId, idem.key));
    return { statusCode: record.statusCode, body: (JSON.parse(record.body) as { body: unknown }).body, replayed: true };
  }

  /** The member's imported history lines by their original time. */
  async listHistory(
    tenantId: string,
    memberId: string,
    query: { limit: number; cursor?: string; order: 'asc' | 'desc' },
  ): Promise<Page<HistoryLine>> {
    const [, page] = await this.withBalance(tenantId, memberId, this.store.listHistory(tenantId, memberId, query));
    return page;
  }

  /** Earns on a business transaction by the tenant's earning rules; a transaction id earns once. */
  postTransaction(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    tx: BusinessTransaction,
  ): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, (balance, settings) => {
      const now = this.clock.now();
      const earning = this.evaluate(balance, settings, tx, now);
      const mutation = planTransaction(balance, tx, earning, now, settings, idem.key);
      const outcome = {
        kind: 'transaction',
        transactionId: tx.transactionId,
        earning,
        change: mutation ? { mutation, settings } : null,
      } as const;
      return mutation ? { kind: 'change', mutation, outcome } : { kind: 'answer', outcome };
    });
  }

  /** What a transaction would earn now, without recording anything (a dry run). */
  async previewTransaction(
    tenantId: string,
    memberId: string,
    tx: BusinessTransaction,
  ): Promise<{ transactionId: string; earning: EarningResult }> {
    const [balance, settings] = await this.withBalance(tenantId, memberId, this.programmes.settings(tenantId));
    return { transactionId: tx.transactionId, earning: this.evaluate(balance, settings, tx, this.clock.now()) };
  }

  private evaluate(balance: Balance, settings: ProgrammeSettings, tx: BusinessTransaction, now: Date): EarningResult {
    const at = tx.occurredAt ? new Date(tx.occurredAt) : now;
    return evaluateEarning(settings.earningRules, tx, {
      tier: tierOf(balance),
      periodEarnedPoints: periodEarnedPoints(balance, settings.earningRules, at),
      now,
    });
  }

  redeem(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    command: Omit<RedeemCommand, 'idempotencyKey'>,
  ): Promise<Reply> {
    return this.pointsCommand(tenantId, memberId, idem, { ...command, idempotencyKey: idem.key }, planRedeem);
  }

  adjust(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    command: Omit<AdjustCommand, 'idempotencyKey'>,
  ): Promise<Reply> {
    return this.pointsCommand(tenantId, memberId, idem, { ...command, idempotencyKey: idem.key }, planAdjust);
  }

  /** A points command planned on the member's balance as it stands now. */
  private pointsCommand<C>(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    command: C,
    plan: (current: Balance, command: C, now: Date, settings: ProgrammeSettings) => Mutation,
  ): Promise<Reply> {
    // A points command reads nothing but the balance: it may commit with others of the member (group commit).
    return this.memberChange(
      tenantId,
      memberId,
      idem,
      (balance, settings) => pointsStep(plan(balance, command, this.clock.now(), settings), settings),
      { groupable: true },
    );
  }

  reverse(
    tenantId: string,
    memberId: string,
    entryId: string,
    idem: IdempotencyContext,
    command: Omit<ReverseCommand, 'idempotencyKey'>,
  ): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const parsed = parseEntryId(entryId);
      const found =
        parsed && `mem_${parsed.memberSuffix}` === memberId
          ? await this.store.getEntry(tenantId, memberId, parsed.seq)
          : null;
      if (!found) throw new Problem('entry_not_found', `No entry ${entryId} for member ${memberId}`);
      const reversal = { ...command, idempotencyKey: idem.key };
      return pointsStep(planReverse(balance, found.entry, found.state, reversal, this.clock.now(), settings), settings);
    });
  }

  /** Records that the member saw an offer (an event in their stream). */
  viewOffer(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    offer: Offer,
    channel?: string,
  ): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, (balance, settings) => {
      const mutation = planOfferView(balance, offer, channel, this.clock.now(), settings);
      return {
        kind: 'change',
        mutation,
        outcome: {
          kind: 'offer-viewed',
          offerId: offer.offerId,
          eventId: required(mutation.events[0], 'the offer event').id,
        },
      };
    });
  }

  /** Activates an offer for the member: eligible now and under its per-member limit, checked in the commit. */
  activateOffer(tenantId: string, memberId: string, idem: IdempotencyContext, offer: Offer): Promise<Reply> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const profile = await this.requireProfile(tenantId, memberId);
      const mutation = planOfferActivation(balance, profile, offer, this.clock.now(), settings);
      const activationCount = required(mutation.balance.offerActivations?.[offer.offerId], 'the activation count');
      return {
        kind: 'change',
        mutation,
        outcome: {
          kind: 'offer-activated',
          offer,
          activationCount,
          eventId: required(mutation.events[0], 'the offer event').id,
        },
      };
    });
  }

  /** The offers of the catalogue this member can activate now, with what is left of each limit. */
  async eligibleOffers(
    tenantId: string,
    memberId: string,
    offers: Offer[],
  ): Promise<{ offer: Offer; remaining: number }[]> {
    const { profile, balance } = await this.getMember(tenantId, memberId);
    if (balance.status !== 'active') return [];
    const now = this.clock.now();
    return offers.flatMap((offer) => {
      const { activations, reason } = offerStanding(balance, profile, offer, now);
      return reason ? [] : [{ offer, remaining: offer.activationLimitPerMember - activations }];
    });
  }

  /**
   * Runs whatever housekeeping is due for one member; returns the number of events written. Its
   * events carry `correlationId`, the run's (a scheduled job has no caller to take one from).
   */
  async housekeep(tenantId: string, memberId: string, correlationId?: string): Promise<number> {
    const settings = await this.programmes.settings(tenantId);
    let written = 0;
    let current: Balance | null | undefined;
    for (let attempt = 0; attempt < MAX_HOUSEKEEPING_ATTEMPTS; attempt++) {
      current ??= await this.store.getBalance(tenantId, memberId);
      if (!current) return written;
      const mutation = planHousekeeping(current, this.clock.now(), settings);
      if (!mutation) return written;
      const result = await this.store.commit(withCorrelationId(mutation, correlationId), null);
      if (result.ok) {
        recordLedgerFigures(mutation.events);
        written += mutation.events.length;
        current = mutation.balance;
        continue;
      }
      current = result.current;
      await backoff(attempt);
    }
    throw new Problem('concurrent_update');
  }

  /**
   * The scheduled sweep: every member with housekeeping due now, across all tenants, shard by
   * shard, a few members at a time. Stops starting new work once `budgetMs` is spent.
   */
  async runDue(options: {
    budgetMs: number;
    pageSize?: number;
    concurrency?: number;
    /** The run's correlation id, stamped on every event it writes. */
    correlationId?: string;
  }): Promise<{ members: number; events: number; failures: number }> {
    const elapsedMs = () => this.waitClock.now().getTime();
    const deadline = elapsedMs() + options.budgetMs;
    const totals = { members: 0, events: 0, failures: 0 };
    for (let shard = 0; shard < DUE_SHARDS && elapsedMs() < deadline; shard++) {
      for (;;) {
        const due = await this.store.listDue(shard, this.clock.now().toISOString(), options.pageSize ?? 100);
        if (due.length === 0) break;
        const results = await mapLimited(due, options.concurrency ?? 8, ({ tenantId, memberId }) =>
          this.housekeep(tenantId, memberId, options.correlationId),
        );
        for (const result of results) {
          if (result.status === 'fulfilled') {
            totals.members += 1;
            totals.events += result.value;
          } else totals.failures += 1;
        }
        if (due.length < (options.pageSize ?? 100) || totals.failures > 0 || elapsedMs() >= deadline) break;
      }
    }
    return totals;
  }

  async getBalance(tenantId: string, memberId: string): Promise<Balance> {
    const balance = await this.store.getBalance(tenantId, memberId);
    if (!balance) throw memberNotFound(memberId);
    return balance;
  }

  /** The last entry committed at or before `at` (null before the first): the balance as it stood then. */
  async lastEntryAt(tenantId: string, memberId: string, at: string): Promise<LedgerEntry | null> {
    const [, entry] = await this.withBalance(tenantId, memberId, this.store.lastEntryAt(tenantId, memberId, at));
    return entry;
  }

  async getMember(tenantId: string, memberId: string): Promise<{ profile: MemberProfile; balance: Balance }> {
    const [profile, balance] = await Promise.all([
      this.store.getProfile(tenantId, memberId),
      this.store.getBalance(tenantId, memberId),
    ]);
    if (!profile || !balance) throw memberNotFound(memberId);
    return { profile, balance };
  }

  /** A page of members with their balances (for their tiers), from one batch read of the page's balances. */
  async listMembers(
    tenantId: string,
    query: { limit: number; cursor?: string; status?: MemberStatus },
  ): Promise<Page<{ profile: MemberProfile; balance: Balance }>> {
    const page = await this.store.listMembers(tenantId, query);
    const balances = await this.store.getBalances(
      tenantId,
      page.items.map((profile) => profile.memberId),
    );
    return {
      items: page.items.flatMap((profile) => {
        const balance = balances.get(profile.memberId);
        return balance ? [{ profile, balance }] : [];
      }),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** Reads the member's balance, which proves the member exists, together with `alongside`. */
  private async withBalance<T>(tenantId: string, memberId: string, alongside: Promise<T>): Promise<[Balance, T]> {
    const [balance, other] = await Promise.all([this.store.getBalance(tenantId, memberId), alongside]);
    if (!balance) throw memberNotFound(memberId);
    return [balance, other];
  }

  async listEntries(tenantId: string, memberId: string, query: EntryQuery): Promise<Page<LedgerEntry>> {
    const [, page] = await this.withBalance(tenantId, memberId, this.store.listEntries(tenantId, memberId, query));
    return page;
  }

  private async requireProfile(tenantId: string, memberId: string): Promise<MemberProfile> {
    const profile = await this.store.getProfile(tenantId, memberId);
    if (!profile) throw memberNotFound(memberId);
    return profile;
  }

  /**
   * Loads the member's balance (or takes the one a lost race returned) and turns rule violations into remembered
   * refusals.
   */
  private memberChange(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    decide: (balance: Balance, settings: ProgrammeSettings) => CommandStep | Promise<CommandStep>,
    options: { groupable?: boolean } = {},
  ): Promise<Reply> {
    const decideForMember: StepSource = async (current) => {
      try {
        const [balance, settings] = await Promise.all([
          current ?? this.store.getBalance(tenantId, memberId),
          this.programmes.settings(tenantId),
        ]);
        if (!balance) throw memberNotFound(memberId);
        return await decide(balance, settings);
      } catch (error) {
        const problem = refusal(error);
        if (problem) return { kind: 'answer', outcome: { kind: 'refused', problem } };
        throw error;
      }
    };
    return this.commits.run(tenantId, idem, decideForMember, memberId, options);
  }
}

/**
 * A business refusal to remember for the key (rule violations, invalid amounts, 4xx problems); null for anything else.
 */
function refusal(error: unknown): Problem | null {
  if (error instanceof LedgerRuleError) return new Problem(error.code, error.message);
  if (error instanceof RangeError) return new Problem('validation_failed', error.message);
  if (error instanceof Problem && error.status < 500) return error;
  return null;
}

function memberStep(mutation: Mutation | null, profile: MemberProfile, balance: Balance): CommandStep {
  if (!mutation) return { kind: 'answer', outcome: { kind: 'member', profile, balance, created: false } };
  return memberChangeStep(mutation, false);
}

/** Commits a change of a member and answers with the member as changed (`created` by an enrolment). */
function memberChangeStep(mutation: Mutation, created: boolean): CommandStep {
  return {
    kind: 'change',
    mutation,
    outcome: {
      kind: 'member',
      profile: required(mutation.profile, 'the changed profile').value,
      balance: mutation.balance,
      created,
    },
  };
}

function pointsStep(mutation: Mutation, settings: ProgrammeSettings): CommandStep {
  return { kind: 'change', mutation, outcome: { kind: 'points', mutation, settings } };
}

function redemptionStep(mutation: Mutation, settings: ProgrammeSettings, created: boolean): CommandStep {
  return { kind: 'change', mutation, outcome: { kind: 'redemption', mutation, settings, created } };
}

async function mapLimited<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results = new Array<PromiseSettledResult<R>>(items.length);
  // The workers share one iterator: each takes the next item when it is free.
  const queue = items.entries();
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (const [index, item] of queue) {
        results[index] = await fn(item).then(
          (value) => ({ status: 'fulfilled', value }) as const,
          (reason: unknown) => ({ status: 'rejected', reason }) as const,
        );
      }
    }),
  );
  return results;
}
