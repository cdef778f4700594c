import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock';
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
  snapshot,
  tierOf,
  type AdjustCommand,
  type Balance,
  type EarnCommand,
  type EnrolCommand,
  type EntryType,
  type LedgerEntry,
  type MemberProfile,
  type MemberStatus,
  type Mutation,
  type ProfilePatch,
  type RedeemCommand,
  type ReverseCommand,
} from './ledger';
import { evaluateEarning, type BusinessTransaction, type EarningResult } from './earning-rules';
import { expiringWithin } from './lots';
import type { Offer } from './offers';
import type { ProgrammeSettings } from './programme';
import type { IdempotencyRecord, LedgerStore, Page, ProgrammeStore } from './ports';
import { DUE_SHARDS } from './keys';
import { parseRedemptionId, pickShard, rebalancePlan, type Campaign, type Redemption, type Reward } from './rewards';

export interface Outcome {
  statusCode: number;
  body: unknown;
  /** True when the response is a replay of an earlier request with the same Idempotency-Key. */
  replayed?: boolean;
}

/** Stable hash of a request (method, path, canonical JSON body) that an Idempotency-Key is bound to. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * What the idempotency record keeps. Member responses hold personal data, so their record keeps
 * only the member id and a replay renders the member as it is now (an erased member stays erased).
 */
type Stored = { body: unknown } | { member: string };

type Plan =
  | { kind: 'mutation'; mutation: Mutation; outcome: Outcome; stored?: Stored }
  | { kind: 'outcome'; outcome: Outcome; stored?: Stored };

/** A plan step may use the balance a lost race returned instead of reading it again. */
type Planner = (current?: Balance) => Promise<Plan>;

export interface IdempotencyContext {
  key: string;
  requestHash: string;
}

/** Optimistic concurrency on one member: re-plan on conflict with jittered backoff, within a budget below the API timeout. */
const MAX_COMMIT_ATTEMPTS = 200;
const COMMIT_BUDGET_MS = 20_000;
const BACKOFF_CAP_MS = 100;
/** A queue holder that has not handed on its turn for this long is skipped (it crashed or timed out). */
const QUEUE_LEASE_MS = 2_000;
/** Rough time one queued writer holds its turn; waiters sleep about (writers ahead × this). */
const TURN_ESTIMATE_MS = 20;

const memberView = (profile: MemberProfile, balance: Balance) => ({
  memberId: profile.memberId,
  externalId: profile.externalId,
  ...(profile.email ? { email: profile.email } : {}),
  ...(profile.firstName ? { firstName: profile.firstName } : {}),
  ...(profile.lastName ? { lastName: profile.lastName } : {}),
  ...(profile.phone ? { phone: profile.phone } : {}),
  ...(profile.locale ? { locale: profile.locale } : {}),
  ...(profile.birthDate ? { birthDate: profile.birthDate } : {}),
  ...(profile.segments ? { segments: profile.segments } : {}),
  status: profile.status,
  tier: tierOf(balance),
  createdAt: profile.createdAt,
  ...(profile.updatedAt ? { updatedAt: profile.updatedAt } : {}),
  ...(profile.erasedAt ? { erasedAt: profile.erasedAt } : {}),
});

function balanceView(balance: Balance, settings: ProgrammeSettings, now: Date) {
  const next = balance.lots.find((lot) => lot.expiresAt !== null);
  return {
    memberId: balance.memberId,
    ...snapshot(balance),
    status: balance.status,
    // With notices off, "soon" still means something to a reader: the next 30 days.
    expiringSoonPoints: expiringWithin(balance.lots, now, settings.expiryNoticeDays || 30),
    nextExpiry: next ? { expiresAt: next.expiresAt!, points: next.points } : null,
    lots: balance.lots.map(({ expiresAt, points }) => ({ expiresAt, points })),
    pending: balance.pending.map(({ entryId, points, activatesAt }) => ({ entryId, points, activatesAt })),
    seq: balance.seq,
    updatedAt: balance.updatedAt,
  };
}

export const offerView = ({ tenantId: _tenantId, ...offer }: Offer) => offer;

const redemptionView = ({ tenantId: _t, stockShard: _s, budget, seq: _seq, ...redemption }: Redemption) => ({
  ...redemption,
  ...(budget ? { campaignId: budget.campaignId } : {}),
});

const earningView = ({ capPeriodKey: _key, ...earning }: EarningResult) => earning;

const entryView = ({ tenantId: _tenantId, ...entry }: LedgerEntry) => entry;

export interface ProgrammeCache {
  settings(tenantId: string): Promise<ProgrammeSettings>;
}

/** Reads a tenant's programme at most once per `ttlMs` per container; admins' edits apply within it. */
export function cachedProgrammes(store: ProgrammeStore, clock: Clock, ttlMs = 30_000): ProgrammeCache {
  const cache = ttlCache(async (tenantId) => (await store.get(tenantId)).settings, ttlMs, () => clock.now().getTime());
  return { settings: (tenantId) => cache.get(tenantId) };
}

/**
 * Application service for ledger commands. Each mutating command is idempotent: the first
 * outcome for a key is committed with the change (or alone, for a failure) and replayed after.
 */
export class LedgerService {
  constructor(
    private readonly store: LedgerStore,
    private readonly programmes: ProgrammeCache,
    private readonly clock: Clock,
    /** How long one request may spend winning its member's commit (queueing included). */
    private readonly commitBudgetMs = COMMIT_BUDGET_MS,
  ) {}

  enrol(tenantId: string, idem: IdempotencyContext, command: EnrolCommand): Promise<Outcome> {
    return this.idempotent(tenantId, idem, async () => {
      const existingId = await this.store.findMemberIdByExternalId(tenantId, command.externalId);
      if (existingId) {
        const [profile, balance] = await Promise.all([this.store.getProfile(tenantId, existingId), this.store.getBalance(tenantId, existingId)]);
        if (profile && balance) return { kind: 'outcome', outcome: { statusCode: 200, body: memberView(profile, balance) }, stored: { member: existingId } };
      }
      const mutation = planEnrol(tenantId, command, this.clock.now(), await this.programmes.settings(tenantId));
      return {
        kind: 'mutation',
        mutation,
        outcome: { statusCode: 201, body: memberView(mutation.profile!.value, mutation.balance) },
        stored: { member: mutation.memberId },
      };
    });
  }

  updateProfile(tenantId: string, memberId: string, idem: IdempotencyContext, patch: ProfilePatch): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const profile = await this.requireProfile(tenantId, memberId);
      return this.memberPlan(planProfileUpdate(balance, profile, patch, this.clock.now(), settings), profile, balance);
    });
  }

  setStatus(tenantId: string, memberId: string, idem: IdempotencyContext, status: 'active' | 'inactive', reason?: string): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const profile = await this.requireProfile(tenantId, memberId);
      return this.memberPlan(planStatus(balance, profile, status, reason, this.clock.now(), settings), profile, balance);
    });
  }

  erase(tenantId: string, memberId: string, idem: IdempotencyContext): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const profile = await this.requireProfile(tenantId, memberId);
      return this.memberPlan(planErase(balance, profile, this.clock.now(), settings), profile, balance);
    });
  }

  /** Credits points; with a campaign, its budget funds them (debited in the same commit). */
  earn(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    command: Omit<EarnCommand, 'idempotencyKey' | 'campaign'>,
    campaign?: Campaign,
  ): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      let funding: EarnCommand['campaign'];
      if (campaign) {
        requireActive(balance);
        if (campaign.status !== 'active') throw new Problem('campaign_closed', `Campaign ${campaign.campaignId} is closed`);
        funding = { campaignId: campaign.campaignId, shard: await this.budgetShard(tenantId, campaign.campaignId, command.amountPoints) };
      }
      return this.pointsPlan(planEarn(balance, { ...command, ...(funding ? { campaign: funding } : {}), idempotencyKey: idem.key }, this.clock.now(), settings), settings);
    });
  }

  /**
   * Redeems a reward in one commit: points burnt, a unit of stock taken, a voucher code claimed,
   * the campaign charged. Another writer taking the same unit, code or budget first makes the
   * commit fail as a whole, and the redemption draws again.
   */
  redeemReward(tenantId: string, memberId: string, idem: IdempotencyContext, reward: Reward, campaign: Campaign | null, source?: string): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      if (reward.status !== 'active') throw new Problem('reward_not_active', `Reward ${reward.rewardId} is paused`);
      if (reward.campaign && campaign?.status !== 'active') throw new Problem('campaign_closed', `Campaign ${reward.campaign.campaignId} is closed`);
      requireCanSpend(balance, reward.pointsCost);
      const draw = await this.drawFor(tenantId, reward);
      const mutation = planRewardRedemption(balance, reward, draw, { ...(source ? { source } : {}), idempotencyKey: idem.key }, this.clock.now(), settings);
      return this.redemptionPlan(mutation, settings, 201);
    });
  }

  /** Marks a pending (manual) redemption fulfilled. */
  fulfilRedemption(tenantId: string, memberId: string, redemptionId: string, idem: IdempotencyContext, reference?: string): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const redemption = await this.requireRedemption(tenantId, memberId, redemptionId);
      return this.redemptionPlan(planRedemptionFulfilment(balance, redemption, reference, this.clock.now(), settings), settings, 200);
    });
  }

  /** Cancels a redemption: points refunded with their original expiry, stock returned if still pending, voucher voided, campaign credited. */
  cancelRedemption(tenantId: string, memberId: string, redemptionId: string, idem: IdempotencyContext, reason: string): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const redemption = await this.requireRedemption(tenantId, memberId, redemptionId);
      const found = await this.store.getEntry(tenantId, memberId, redemption.seq);
      if (!found) throw new Error(`Redemption ${redemptionId} has no entry`);
      const mutation = planRedemptionCancellation(balance, redemption, found.entry, found.state, reason, this.clock.now(), settings, idem.key);
      return this.redemptionPlan(mutation, settings, 200);
    });
  }

  async getRedemption(tenantId: string, memberId: string, redemptionId: string) {
    return redemptionView(await this.requireRedemption(tenantId, memberId, redemptionId));
  }

  async listRedemptions(tenantId: string, memberId: string, query: { limit: number; cursor?: string }) {
    const [balance, page] = await Promise.all([this.store.getBalance(tenantId, memberId), this.store.listRedemptions(tenantId, memberId, query)]);
    if (!balance) throw new Problem('member_not_found', `No member ${memberId}`);
    return { items: page.items.map(redemptionView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  private async requireRedemption(tenantId: string, memberId: string, redemptionId: string): Promise<Redemption> {
    const parsed = parseRedemptionId(redemptionId);
    const redemption = parsed && `mem_${parsed.memberSuffix}` === memberId ? await this.store.getRedemption(tenantId, memberId, parsed.seq) : null;
    if (!redemption) throw new Problem('redemption_not_found', `No redemption ${redemptionId} for member ${memberId}`);
    return redemption;
  }

  private redemptionPlan(mutation: Mutation, settings: ProgrammeSettings, statusCode: number): Plan {
    return { kind: 'mutation', mutation, outcome: { statusCode, body: { redemption: redemptionView(mutation.redemptions![0]!), ...changeBody(mutation, settings) } } };
  }

  /**
   * Draws what a redemption takes: a stock shard with a unit left (and, for vouchers, a code from
   * the pool shard that matches it), shards tried in random order so concurrent redemptions
   * spread out; and a budget shard for a campaign-funded reward.
   */
  private async drawFor(tenantId: string, reward: Reward): Promise<RewardDraw> {
    const draw: RewardDraw = {};
    if (!reward.unlimitedStock) {
      const stock = await this.store.accountBalances(tenantId, { kind: 'stock', id: reward.rewardId });
      const stocked = stock.flatMap((units, shard) => (units > 0 ? [shard] : []));
      // From a random start, so concurrent redemptions spread over the shards.
      const start = Math.floor(Math.random() * stocked.length);
      for (const shard of [...stocked.slice(start), ...stocked.slice(0, start)]) {
        if (reward.fulfilment === 'voucher') {
          const codes = await this.store.poolCodes(tenantId, reward.rewardId, shard, 16);
          if (codes.length === 0) continue;
          draw.voucherCode = codes[Math.floor(Math.random() * codes.length)]!;
        }
        draw.stockShard = shard;
        break;
      }
      if (draw.stockShard === undefined) throw new Problem('reward_out_of_stock', `Reward ${reward.rewardId} is out of stock`);
    }
    if (reward.campaign) draw.budgetShard = await this.budgetShard(tenantId, reward.campaign.campaignId, reward.campaign.cost);
    return draw;
  }

  /** A budget shard that can afford `amount`, rebalancing the shards when none can alone. */
  private async budgetShard(tenantId: string, campaignId: string, amount: number): Promise<number> {
    const account = { kind: 'budget', id: campaignId } as const;
    for (let attempt = 0; attempt < 5; attempt++) {
      const balances = await this.store.accountBalances(tenantId, account);
      const shard = pickShard(balances, amount);
      if (shard !== null) return shard;
      const plan = rebalancePlan(balances, amount);
      if (!plan) break;
      if (await this.store.rebalance(tenantId, account, plan)) return plan.target;
      await backoff(attempt);
    }
    throw new Problem('campaign_budget_exhausted', `Campaign ${campaignId} cannot fund ${amount} points`);
  }

  /** Earns on a business transaction by the tenant's earning rules; a transaction id earns once. */
  postTransaction(tenantId: string, memberId: string, idem: IdempotencyContext, tx: BusinessTransaction): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const now = this.clock.now();
      const earning = this.evaluate(balance, settings, tx, now);
      const mutation = planTransaction(balance, tx, earning, now, settings, idem.key);
      if (!mutation) return { kind: 'outcome', outcome: { statusCode: 200, body: { transactionId: tx.transactionId, earning: earningView(earning) } } };
      const points = this.pointsPlan(mutation, settings);
      return { ...points, outcome: { ...points.outcome, body: { transactionId: tx.transactionId, earning: earningView(earning), ...(points.outcome.body as object) } } };
    });
  }

  /** What a transaction would earn now, without recording anything (a dry run). */
  async previewTransaction(tenantId: string, memberId: string, tx: BusinessTransaction) {
    const [balance, settings] = await Promise.all([this.store.getBalance(tenantId, memberId), this.programmes.settings(tenantId)]);
    if (!balance) throw new Problem('member_not_found', `No member ${memberId}`);
    return { transactionId: tx.transactionId, earning: earningView(this.evaluate(balance, settings, tx, this.clock.now())) };
  }

  private evaluate(balance: Balance, settings: ProgrammeSettings, tx: BusinessTransaction, now: Date): EarningResult {
    const at = tx.occurredAt ? new Date(tx.occurredAt) : now;
    return evaluateEarning(settings.earningRules, tx, { tier: tierOf(balance), periodEarnedPoints: periodEarnedPoints(balance, settings.earningRules, at), now });
  }

  redeem(tenantId: string, memberId: string, idem: IdempotencyContext, command: Omit<RedeemCommand, 'idempotencyKey'>): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) =>
      this.pointsPlan(planRedeem(balance, { ...command, idempotencyKey: idem.key }, this.clock.now(), settings), settings),
    );
  }

  adjust(tenantId: string, memberId: string, idem: IdempotencyContext, command: Omit<AdjustCommand, 'idempotencyKey'>): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) =>
      this.pointsPlan(planAdjust(balance, { ...command, idempotencyKey: idem.key }, this.clock.now(), settings), settings),
    );
  }

  reverse(tenantId: string, memberId: string, entryId: string, idem: IdempotencyContext, command: Omit<ReverseCommand, 'idempotencyKey'>): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const parsed = parseEntryId(entryId);
      const found = parsed && `mem_${parsed.memberSuffix}` === memberId ? await this.store.getEntry(tenantId, memberId, parsed.seq) : null;
      if (!found) throw new Problem('entry_not_found', `No entry ${entryId} for member ${memberId}`);
      return this.pointsPlan(planReverse(balance, found.entry, found.state, { ...command, idempotencyKey: idem.key }, this.clock.now(), settings), settings);
    });
  }

  /** Records that the member saw an offer (an event in their stream). */
  viewOffer(tenantId: string, memberId: string, idem: IdempotencyContext, offer: Offer, channel?: string): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const mutation = planOfferView(balance, offer, channel, this.clock.now(), settings);
      return { kind: 'mutation', mutation, outcome: { statusCode: 201, body: { offerId: offer.offerId, eventId: mutation.events[0]!.id } } };
    });
  }

  /** Activates an offer for the member: eligible now and under its per-member limit, checked in the commit. */
  activateOffer(tenantId: string, memberId: string, idem: IdempotencyContext, offer: Offer): Promise<Outcome> {
    return this.memberChange(tenantId, memberId, idem, async (balance, settings) => {
      const profile = await this.requireProfile(tenantId, memberId);
      const mutation = planOfferActivation(balance, profile, offer, this.clock.now(), settings);
      const activations = mutation.balance.offerActivations![offer.offerId]!;
      return {
        kind: 'mutation',
        mutation,
        outcome: { statusCode: 201, body: { offerId: offer.offerId, activationCount: activations, remaining: offer.activationLimitPerMember - activations, eventId: mutation.events[0]!.id } },
      };
    });
  }

  /** The offers of the catalogue this member can activate now, with what is left of each limit. */
  async eligibleOffers(tenantId: string, memberId: string, offers: Offer[]) {
    const [profile, balance] = await Promise.all([this.store.getProfile(tenantId, memberId), this.store.getBalance(tenantId, memberId)]);
    if (!profile || !balance) throw new Problem('member_not_found', `No member ${memberId}`);
    if (balance.status !== 'active') return { items: [] };
    const now = this.clock.now();
    return {
      items: offers.flatMap((offer) => {
        const { activations, reason } = offerStanding(balance, profile, offer, now);
        return reason ? [] : [{ ...offerView(offer), remaining: offer.activationLimitPerMember - activations }];
      }),
    };
  }

  /** Runs whatever housekeeping is due for one member; returns the number of events written. */
  async housekeep(tenantId: string, memberId: string): Promise<number> {
    const settings = await this.programmes.settings(tenantId);
    let written = 0;
    let current: Balance | null | undefined;
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      current ??= await this.store.getBalance(tenantId, memberId);
      if (!current) return written;
      const mutation = planHousekeeping(current, this.clock.now(), settings);
      if (!mutation) return written;
      const result = await this.store.commit(mutation, null);
      if (result.ok) {
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
  async runDue(options: { budgetMs: number; pageSize?: number; concurrency?: number }): Promise<{ members: number; events: number; failures: number }> {
    const deadline = Date.now() + options.budgetMs;
    const totals = { members: 0, events: 0, failures: 0 };
    for (let shard = 0; shard < DUE_SHARDS && Date.now() < deadline; shard++) {
      for (;;) {
        const due = await this.store.listDue(shard, this.clock.now().toISOString(), options.pageSize ?? 100);
        if (due.length === 0) break;
        const results = await mapLimited(due, options.concurrency ?? 8, ({ tenantId, memberId }) => this.housekeep(tenantId, memberId));
        for (const result of results) {
          if (result.status === 'fulfilled') {
            totals.members += 1;
            totals.events += result.value;
          } else totals.failures += 1;
        }
        if (due.length < (options.pageSize ?? 100) || totals.failures > 0 || Date.now() >= deadline) break;
      }
    }
    return totals;
  }

  async getBalance(tenantId: string, memberId: string) {
    const balance = await this.store.getBalance(tenantId, memberId);
    if (!balance) throw new Problem('member_not_found', `No member ${memberId}`);
    return balanceView(balance, await this.programmes.settings(tenantId), this.clock.now());
  }

  /** The balance as it stood at `at`, from the last entry committed by then. */
  async getBalanceAsOf(tenantId: string, memberId: string, at: string) {
    const [balance, entry] = await Promise.all([this.store.getBalance(tenantId, memberId), this.store.lastEntryAt(tenantId, memberId, at)]);
    if (!balance) throw new Problem('member_not_found', `No member ${memberId}`);
    return {
      memberId,
      asOf: at,
      availablePoints: entry?.availableAfter ?? 0,
      pendingPoints: entry?.pendingAfter ?? 0,
      lifetimePoints: entry?.lifetimeAfter ?? 0,
      lastEntryId: entry?.entryId ?? null,
    };
  }

  async getMember(tenantId: string, memberId: string) {
    const [profile, balance] = await Promise.all([this.store.getProfile(tenantId, memberId), this.store.getBalance(tenantId, memberId)]);
    if (!profile || !balance) throw new Problem('member_not_found', `No member ${memberId}`);
    return memberView(profile, balance);
  }

  /** A page of members; their tiers come from one batch read of the page's balances. */
  async listMembers(tenantId: string, query: { limit: number; cursor?: string; status?: MemberStatus }) {
    const page = await this.store.listMembers(tenantId, query);
    const balances = await this.store.getBalances(tenantId, page.items.map((profile) => profile.memberId));
    return {
      items: page.items.flatMap((profile) => {
        const balance = balances.get(profile.memberId);
        return balance ? [memberView(profile, balance)] : [];
      }),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  async listEntries(
    tenantId: string,
    memberId: string,
    query: { types?: EntryType[]; from?: string; to?: string; order: 'asc' | 'desc'; limit: number; cursor?: string },
  ): Promise<Page<ReturnType<typeof entryView>>> {
    const [balance, page] = await Promise.all([this.store.getBalance(tenantId, memberId), this.store.listEntries(tenantId, memberId, query)]);
    if (!balance) throw new Problem('member_not_found', `No member ${memberId}`);
    return { items: page.items.map(entryView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  private async requireProfile(tenantId: string, memberId: string): Promise<MemberProfile> {
    const profile = await this.store.getProfile(tenantId, memberId);
    if (!profile) throw new Problem('member_not_found', `No member ${memberId}`);
    return profile;
  }

  private memberPlan(mutation: Mutation | null, profile: MemberProfile, balance: Balance): Plan {
    const stored = { member: profile.memberId };
    if (!mutation) return { kind: 'outcome', outcome: { statusCode: 200, body: memberView(profile, balance) }, stored };
    return { kind: 'mutation', mutation, outcome: { statusCode: 200, body: memberView(mutation.profile!.value, mutation.balance) }, stored };
  }

  private pointsPlan(mutation: Mutation, settings: ProgrammeSettings): Plan {
    return { kind: 'mutation', mutation, outcome: { statusCode: 201, body: changeBody(mutation, settings) } };
  }

  /** Loads the member's balance (or takes the one a lost race returned) and turns rule violations into remembered failures. */
  private memberChange(
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    plan: (balance: Balance, settings: ProgrammeSettings) => Promise<Plan>,
  ): Promise<Outcome> {
    const planMember: Planner = async (current) => {
      try {
        const [balance, settings] = await Promise.all([current ?? this.store.getBalance(tenantId, memberId), this.programmes.settings(tenantId)]);
        if (!balance) throw new Problem('member_not_found', `No member ${memberId}`);
        return await plan(balance, settings);
      } catch (error) {
        if (error instanceof LedgerRuleError) return { kind: 'outcome', outcome: failure(new Problem(error.code, error.message)) };
        if (error instanceof RangeError) return { kind: 'outcome', outcome: failure(new Problem('validation_failed', error.message)) };
        if (error instanceof Problem && error.status < 500) return { kind: 'outcome', outcome: failure(error) };
        throw error;
      }
    };
    return this.idempotent(tenantId, idem, planMember, memberId);
  }

  /**
   * Commits a plan once per Idempotency-Key. A lost race re-plans from the winner's balance; a
   * member under contention switches from racing to a fair per-member queue (a ticket), so N
   * concurrent writers cost about N commits instead of N² attempts.
   */
  private async idempotent(tenantId: string, idem: IdempotencyContext, plan: Planner, memberId?: string): Promise<Outcome> {
    // No read of the key up front: the commit's condition on the idempotency record detects a
    // retry (or a concurrent duplicate) and the stored response is replayed then.
    const deadline = Date.now() + this.commitBudgetMs;
    let current: Balance | undefined;
    let ticket: number | null = null;
    try {
      for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS && Date.now() < deadline; attempt++) {
        const next = await plan(current);
        if (next.kind === 'outcome') return await this.remember(tenantId, idem, next.outcome, next.stored);
        const result = await this.store.commit(next.mutation, this.record(tenantId, idem, next.outcome, next.stored));
        if (result.ok) return next.outcome;
        if (result.conflict === 'idempotency') return await this.replayStored(tenantId, idem);
        if (result.conflict === 'transaction') {
          // Another request earned on this transaction id: a business failure, remembered like any.
          const problem = new Problem('transaction_already_posted', `Transaction ${next.mutation.transactionClaim} has earned points already`);
          return await this.remember(tenantId, idem, failure(problem));
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
          ticket = await this.store.takeTicket(tenantId, memberId);
          current = (await this.waitForTurn(tenantId, memberId, ticket, deadline)) ?? undefined;
        } else if (ticket === null) {
          await backoff(attempt);
        }
        // With our turn, a writer that did not queue slipped in: plan again at once from its balance.
      }
      throw new Problem('concurrent_update');
    } finally {
      if (ticket !== null && memberId) await this.store.advanceQueue(tenantId, memberId, ticket).catch(() => undefined);
    }
  }

  /**
   * Waits until the member's queue serves `ticket`, skipping a holder that stopped making
   * progress. Waiters sleep about as long as the writers ahead of them need, at the service rate
   * they observe, so a long queue costs a few reads per waiter, not a read per waiter per tick.
   */
  private async waitForTurn(tenantId: string, memberId: string, ticket: number, deadline: number): Promise<Balance | null> {
    let first: { serving: number; atMs: number } | undefined;
    for (;;) {
      const queue = await this.store.queueState(tenantId, memberId);
      // Served: the balance of the same read is current (the previous holder committed before handing over).
      if (queue.nowServing >= ticket) return queue.balance;
      if (Date.now() - Date.parse(queue.servedAt) > QUEUE_LEASE_MS) {
        await this.store.advanceQueue(tenantId, memberId, queue.nowServing);
        continue;
      }
      if (Date.now() >= deadline) throw new Problem('concurrent_update');
      first ??= { serving: queue.nowServing, atMs: Date.now() };
      const served = queue.nowServing - first.serving;
      const perTurnMs = served > 0 ? (Date.now() - first.atMs) / served : TURN_ESTIMATE_MS;
      const ahead = ticket - queue.nowServing;
      // The next in line watches closely so the hand-over is quick; the rest sleep until near their turn.
      // Polls are reads the store must also serve, so even the next in line polls only a few times a turn.
      await sleep(Math.min(2_000, Math.max(5, (ahead - 0.6) * perTurnMs * (0.8 + Math.random() * 0.2))));
    }
  }

  private record(tenantId: string, idem: IdempotencyContext, outcome: Outcome, stored?: Stored): IdempotencyRecord {
    return idempotencyRecord(tenantId, idem, outcome, this.clock.now().toISOString(), stored);
  }

  /** Keeps an outcome that changed nothing for its key, or replays the one a concurrent duplicate kept. */
  private async remember(tenantId: string, idem: IdempotencyContext, outcome: Outcome, stored?: Stored): Promise<Outcome> {
    if (await this.store.saveIdempotencyRecord(this.record(tenantId, idem, outcome, stored))) return outcome;
    return this.replayStored(tenantId, idem);
  }

  private async replayStored(tenantId: string, idem: IdempotencyContext): Promise<Outcome> {
    const record = storedFor(idem, await this.store.getIdempotencyRecord(tenantId, idem.key));
    const stored = JSON.parse(record.body) as Stored;
    const body = 'member' in stored ? await this.getMember(tenantId, stored.member) : stored.body;
    return { statusCode: record.statusCode, body, replayed: true };
  }
}

/** The record a retry replays: it must exist (else the first request is still running) and match the request. */
export function storedFor(idem: IdempotencyContext, record: IdempotencyRecord | null): IdempotencyRecord {
  if (!record) throw new Problem('idempotency_request_in_progress');
  if (record.requestHash !== idem.requestHash) {
    throw new Problem('idempotency_key_reused', `Idempotency-Key ${idem.key} was first used with a different request`);
  }
  return record;
}

/** The idempotency record of an outcome; what it keeps defaults to the whole body. */
export function idempotencyRecord(tenantId: string, idem: IdempotencyContext, outcome: Outcome, createdAt: string, stored: Stored = { body: outcome.body }): IdempotencyRecord {
  return { tenantId, key: idem.key, requestHash: idem.requestHash, statusCode: outcome.statusCode, body: JSON.stringify(stored), createdAt };
}

/** What a committed change answers: its last entry (if it has one), the balance after it, its last event. */
function changeBody(mutation: Mutation, settings: ProgrammeSettings) {
  const entry = mutation.entries[mutation.entries.length - 1];
  return {
    ...(entry ? { entry: entryView(entry) } : {}),
    balance: balanceView(mutation.balance, settings, new Date(mutation.balance.updatedAt)),
    eventId: mutation.events[mutation.events.length - 1]!.id,
  };
}

function failure(problem: Problem): Outcome {
  return { statusCode: problem.status, body: problem.toBody() };
}

/** Full-jitter exponential backoff: contenders spread out instead of colliding again at once. */
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(BACKOFF_CAP_MS, 2 * 2 ** attempt)));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index]!).then(
          (value) => ({ status: 'fulfilled', value }) as const,
          (reason: unknown) => ({ status: 'rejected', reason }) as const,
        );
      }
    }),
  );
  return results;
}
