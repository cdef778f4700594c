import { newId } from '../shared/ids';
import {
  assertWellFormedEvent,
  type AppliedEarningRule,
  type BalanceSnapshot,
  type EarnedOnTransaction,
  type EventOf,
  type EventType,
  type MemberEvent,
} from './events';
import {
  addToLots,
  consumeLots,
  DAY_MS,
  expiryAfter,
  lotsToAnnounce,
  sumPoints,
  takeExpired,
  takeForRefund,
  type PendingLot,
  type PointLot,
} from './lots';
import { programmeSettings, type ProgrammeSettings } from './programme';
import { ineligibility, type Ineligibility, type Offer } from './offers';
import {
  recordedRewardFacts,
  redemptionIdFor,
  rewardFactsOf,
  type AccountChange,
  type Redemption,
  type Reward,
} from './rewards';
import { evaluateTier, initialTierState, nextTierReviewAt, recordQualifyingPoints, type TierState } from './tiers';
import { capPeriodKey, type BusinessTransaction, type EarningResult, type EarningRules } from './earning-rules';
import { appliedRules, transactionFacts } from './earning-facts';
import { assertChangeInvariants } from './ledger-invariants';
import { required } from '../shared/required';

/**
 * Pure ledger rules: given a member's current state and a command, plan the next state, the
 * immutable ledger entries and the complete outbox events. No I/O; the store commits a plan in
 * one transaction, conditioned on the version the plan was made from.
 *
 * Invariants (asserted on every change as it is built, by `ledger-invariants.ts`, and by the
 * model test after every step):
 * - `seq` advances by exactly one per event, with no gaps;
 * - available points = sum of the entries' `amountPoints` = sum of the lots, and never negative;
 * - pending points = sum of the entries' `pendingPoints` = sum of the pending lots;
 * - lifetime points only grow by earnings and shrink only by reversed earnings.
 */
export type MemberStatus = 'active' | 'inactive' | 'erased';

export interface Balance {
  tenantId: string;
  memberId: string;
  availablePoints: number;
  pendingPoints: number;
  lifetimePoints: number;
  status: MemberStatus;
  /** The seq of the last event; the next event gets `seq + 1`. */
  seq: number;
  /** Optimistic-concurrency version, checked by the commit. */
  version: number;
  updatedAt: string;
  lots: PointLot[];
  pending: PendingLot[];
  /** Earliest time housekeeping has work for this member (activation, expiry, notice); null when none. */
  dueAt: string | null;
  /** Points earned from earning rules in the current per-period cap bucket. */
  ruleEarnings?: { periodKey: string; points: number };
  /** The member's tier (`tierState.tierId`), its period, grace and qualifying points by day or period. */
  tierState: TierState;
  /** Activations per offer id, so the per-member limit holds inside the commit. */
  offerActivations?: Record<string, number>;
  /** The opening balance an import loaded (at most one per member): its entry and the instant it was held at. */
  openingBalance?: { entryId: string; asOf: string };
}

/** The profile fields a member's data holds: given at enrolment, changed by a profile patch. */
export interface ProfileDetails {
  email?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  locale?: string;
  birthDate?: string;
  segments?: string[];
}

export interface MemberProfile extends ProfileDetails {
  tenantId: string;
  memberId: string;
  externalId: string;
  status: MemberStatus;
  createdAt: string;
  /** The original enrolment instant, when the member was imported from a previous programme. */
  enrolledAt?: string;
  updatedAt?: string;
  erasedAt?: string;
}

const PROFILE_FIELDS = ['email', 'firstName', 'lastName', 'phone', 'locale', 'birthDate', 'segments'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type ProfilePatch = { [K in ProfileField]?: MemberProfile[K] | null };

export type EntryType =
  | 'earn'
  | 'activate'
  | 'redeem'
  | 'adjust'
  | 'reverse'
  | 'expire'
  | 'forfeit'
  /** The balance a previous programme held, loaded by an import (see `opening-balance.ts`). */
  | 'opening_balance';

export interface LedgerEntry {
  entryId: string;
  tenantId: string;
  memberId: string;
  seq: number;
  type: EntryType;
  /** Signed change of available points. */
  amountPoints: number;
  /** Signed change of pending points (0 for most entries). */
  pendingPoints: number;
  availableAfter: number;
  pendingAfter: number;
  lifetimeAfter: number;
  reason: string;
  source?: string;
  transactionId?: string;
  /** Lots credited (positive entries, or to be credited when a hold ends) or consumed (negative entries). */
  lots: PointLot[];
  /** For held earnings: when they become available. */
  activatesAt?: string;
  /** The entry this one reverses (reverse) or whose hold it ends (activate). */
  relatedEntryId?: string;
  /** A reward redemption this entry burns points for (reversed only by cancelling the redemption). */
  redemptionId?: string;
  rewardId?: string;
  /** The campaign budget an earning charged, and the shard; a clawback credits it back. */
  campaign?: { campaignId: string; shard: number };
  idempotencyKey?: string;
  /** An opening balance: the instant the previous programme held it at. */
  asOf?: string;
  /** An opening balance: lots that had expired when it was loaded, never credited. */
  expiredLots?: PointLot[];
  createdAt: string;
}

/** What is left to reverse of an entry; written beside the entry on its first reversal. */
export interface EntryState {
  entryId: string;
  seq: number;
  /** Points of the entry not yet reversed. */
  reversiblePoints: number;
  /** For debits: the consumed lots not yet restored. */
  refundableLots: PointLot[];
}

/** Everything one change writes, committed in one transaction. */
export interface Mutation {
  tenantId: string;
  memberId: string;
  /** `null` creates the balance (enrolment); otherwise the commit requires this version. */
  expectedVersion: number | null;
  balance: Balance;
  entries: LedgerEntry[];
  events: MemberEvent[];
  profile?: { value: MemberProfile; create: boolean };
  /** External-id claim (enrolment) or release (erasure). */
  externalId?: { claim: string } | { release: string };
  /** A business transaction id claimed for good, so a transaction earns once whatever the Idempotency-Key. */
  transactionClaim?: string;
  entryStates: EntryState[];
  /** Reward redemptions created or changed (they live in the member's partition). */
  redemptions?: Redemption[];
  /** Stock and budget shard changes; a debit commits only while its shard stays non-negative. */
  accounts?: AccountChange[];
  /** A voucher code taken from its pool (it must still be there), or voided on cancellation. */
  voucher?:
    | { claim: { rewardId: string; code: string; redemptionId: string } }
    | { void: { rewardId: string; code: string; redemptionId: string } };
}

export const tierOf = (balance: Balance): string => balance.tierState.tierId;

export const snapshot = (balance: Balance): BalanceSnapshot => ({
  availablePoints: balance.availablePoints,
  pendingPoints: balance.pendingPoints,
  lifetimePoints: balance.lifetimePoints,
  tier: tierOf(balance),
});

/** The parts of an entry a plan states; the builder adds ids, seq, balances-after and time. */
type EntryInput = Pick<LedgerEntry, 'type' | 'amountPoints' | 'reason' | 'lots'> &
  Partial<
    Pick<
      LedgerEntry,
      | 'pendingPoints'
      | 'source'
      | 'transactionId'
      | 'activatesAt'
      | 'relatedEntryId'
      | 'redemptionId'
      | 'rewardId'
      | 'campaign'
      | 'idempotencyKey'
      | 'asOf'
      | 'expiredLots'
    >
  >;

type DataOf<T extends EventType> = Omit<EventOf<T>['data'], 'balance'>;

/**
 * Builds one change: each event takes the next seq and snapshots the balance as it stands when
 * the event is recorded, so a change with two events reports each step. Exported for the planners
 * of sibling modules (opening balances); callers outside the domain plan through `plan…` functions.
 */
export class Change {
  readonly balance: Balance;
  readonly entries: LedgerEntry[] = [];
  readonly events: MemberEvent[] = [];
  readonly entryStates: EntryState[] = [];
  readonly redemptions: Redemption[] = [];
  readonly accounts: AccountChange[] = [];
  voucher?: Mutation['voucher'];
  /**
   * Set by a change that states the member's qualifying points itself (an opening balance): its lifetime points
   * then do not count as qualifying points earned now.
   */
  qualifyingStated = false;
  readonly occurredAt: string;
  private readonly nowMs: number;

  constructor(
    private readonly current: Balance,
    now: Date,
  ) {
    // Per-member time never runs backwards, even if callers' clocks disagree.
    this.occurredAt = now.toISOString() > current.updatedAt ? now.toISOString() : current.updatedAt;
    this.nowMs = Date.parse(this.occurredAt);
    this.balance = {
      ...current,
      lots: current.lots.map((l) => ({ ...l })),
      pending: current.pending.map((p) => ({ ...p })),
      version: current.version + 1,
    };
  }

  get now(): Date {
    return new Date(this.nowMs);
  }

  /** Records an entry and the event that announces it, under the same seq. */
  record<T extends EventType>(input: EntryInput, type: T, data: (entryId: string) => DataOf<T>): LedgerEntry {
    const seq = this.balance.seq + 1;
    const entry: LedgerEntry = {
      entryId: entryIdFor(this.balance.memberId, seq),
      tenantId: this.balance.tenantId,
      memberId: this.balance.memberId,
      seq,
      ...input,
      pendingPoints: input.pendingPoints ?? 0,
      availableAfter: this.balance.availablePoints,
      pendingAfter: this.balance.pendingPoints,
      lifetimeAfter: this.balance.lifetimePoints,
      createdAt: this.occurredAt,
    };
    this.entries.push(entry);
    this.announce(type, data(entry.entryId));
    return entry;
  }

  /** Records an event with no points movement. */
  announce<T extends EventType>(type: T, data: DataOf<T>): void {
    const event = {
      id: newId('evt', this.nowMs),
      type,
      version: 1,
      tenantId: this.balance.tenantId,
      memberId: this.balance.memberId,
      seq: this.balance.seq + 1,
      occurredAt: this.occurredAt,
      data: { ...data, balance: snapshot(this.balance) },
    } as MemberEvent;
    assertWellFormedEvent(event);
    this.balance.seq = event.seq;
    this.events.push(event);
  }

  build(settings: ProgrammeSettings, extra: Pick<Mutation, 'profile' | 'externalId'> = {}): Mutation {
    evaluateTierOf(this, this.current, settings);
    this.balance.updatedAt = this.occurredAt;
    this.balance.dueAt = dueAt(this.balance, settings);
    const mutation: Mutation = {
      tenantId: this.balance.tenantId,
      memberId: this.balance.memberId,
      expectedVersion: this.current.version,
      balance: this.balance,
      entries: this.entries,
      events: this.events,
      entryStates: this.entryStates,
      ...(this.redemptions.length ? { redemptions: this.redemptions } : {}),
      ...(this.accounts.length ? { accounts: this.accounts } : {}),
      ...(this.voucher ? { voucher: this.voucher } : {}),
      ...extra,
    };
    assertChangeInvariants(this.current, mutation);
    return mutation;
  }
}

/**
 * Tier qualification follows lifetime points (earnings available, less clawed-back earnings):
 * the change's difference counts as qualifying points now, then the ladder is evaluated once.
 */
function evaluateTierOf(change: Change, current: Balance, settings: ProgrammeSettings): void {
  const b = change.balance;
  const now = change.now;
  const earned = change.qualifyingStated ? 0 : b.lifetimePoints - current.lifetimePoints;
  const state = earned !== 0 ? recordQualifyingPoints(b.tierState, settings.tiers, now, earned) : b.tierState;
  const { state: next, change: tierChange } = evaluateTier(state, settings.tiers, now);
  b.tierState = next;
  if (!tierChange) return;
  change.announce(tierChange.kind === 'promoted' ? 'tier.promoted' : 'tier.demoted', {
    fromTier: tierChange.fromTierId,
    toTier: tierChange.toTierId,
    benefits: tierChange.benefits,
    reviewAt: next.reviewAt,
  });
}

/** Entry ids carry the member and seq, so a reversal finds its entry with one read. */
const entryIdFor = (memberId: string, seq: number) => `ent_${memberId.replace(/^mem_/, '')}_${seq}`;

export function parseEntryId(entryId: string): { memberSuffix: string; seq: number } | null {
  const [, memberSuffix, seq] = /^ent_([0-9A-Z]+)_([1-9][0-9]{0,11})$/.exec(entryId) ?? [];
  return memberSuffix && seq ? { memberSuffix, seq: Number(seq) } : null;
}

/** The earliest time housekeeping must look at the member again. */
function dueAt(balance: Pick<Balance, 'lots' | 'pending' | 'tierState'>, settings: ProgrammeSettings): string | null {
  const times: string[] = [];
  const review = nextTierReviewAt(balance.tierState);
  if (review) times.push(review);
  for (const lot of balance.lots) {
    if (lot.expiresAt === null) continue;
    times.push(lot.expiresAt);
    if (settings.expiryNoticeDays > 0 && !lot.noticeSent) {
      times.push(new Date(Date.parse(lot.expiresAt) - settings.expiryNoticeDays * DAY_MS).toISOString());
    }
  }
  for (const held of balance.pending) times.push(held.activatesAt);
  return times.length === 0 ? null : times.reduce((a, b) => (a < b ? a : b));
}

export class LedgerRuleError extends Error {
  constructor(
    readonly code:
      | 'insufficient_points'
      | 'entry_not_reversible'
      | 'reversal_exceeds_entry'
      | 'member_inactive'
      | 'member_erased'
      | 'redemption_not_pending'
      | 'redemption_cancelled'
      | 'opening_balance_exists'
      | 'unknown_tier'
      | Ineligibility,
    message: string,
  ) {
    super(message);
  }
}

export function requireNotErased(balance: Balance): void {
  if (balance.status === 'erased') throw new LedgerRuleError('member_erased', 'The member was erased');
}

export function requireActive(balance: Balance): void {
  requireNotErased(balance);
  if (balance.status !== 'active') throw new LedgerRuleError('member_inactive', 'The member is not active');
}

const positiveInteger = (value: number, name: string) => {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
};

export interface EnrolCommand extends ProfileDetails {
  externalId: string;
  /** The original enrolment instant (UTC ISO), for a member imported from a previous programme. */
  enrolledAt?: string;
}

export function planEnrol(
  tenantId: string,
  command: EnrolCommand,
  now: Date,
  settings: ProgrammeSettings = programmeSettings.parse({}),
): Mutation {
  const occurredAt = now.toISOString();
  const memberId = newId('mem', now.getTime());
  const blank: Balance = {
    tenantId,
    memberId,
    availablePoints: 0,
    pendingPoints: 0,
    lifetimePoints: 0,
    status: 'active',
    seq: 0,
    version: 0,
    updatedAt: occurredAt,
    lots: [],
    pending: [],
    dueAt: null,
    tierState: initialTierState(settings.tiers, now),
  };
  const change = new Change(blank, now);
  change.announce('member.enrolled', {
    externalId: command.externalId,
    tier: tierOf(blank),
    ...(command.enrolledAt ? { enrolledAt: command.enrolledAt } : {}),
  });
  const profile: MemberProfile = { tenantId, memberId, ...command, status: 'active', createdAt: occurredAt };
  const mutation = change.build(settings, {
    profile: { value: profile, create: true },
    externalId: { claim: command.externalId },
  });
  return { ...mutation, expectedVersion: null };
}

export interface EarnCommand {
  amountPoints: number;
  reason: string;
  source?: string;
  transactionId?: string;
  /** Overrides the programme's hold for this earning. */
  holdDays?: number;
  /** Overrides the programme's expiry for this earning. */
  expiresAt?: string | null;
  /** The campaign budget that funds these points, and the shard the service chose to debit. */
  campaign?: { campaignId: string; shard: number };
  idempotencyKey?: string;
  /** Earnings on a business transaction: its facts and the rules that applied, for the event only. */
  earnedOn?: { transaction: EarnedOnTransaction; rules: AppliedEarningRule[] };
}

export function planEarn(current: Balance, command: EarnCommand, now: Date, settings: ProgrammeSettings): Mutation {
  positiveInteger(command.amountPoints, 'amountPoints');
  requireActive(current);
  const change = new Change(current, now);
  const at = change.now;
  const expiresAt =
    command.expiresAt !== undefined ? command.expiresAt : expiryAfter(at, settings.pointsExpiry?.afterDays ?? null);
  const holdDays = command.holdDays ?? settings.holdDays;
  const b = change.balance;
  const common = {
    reason: command.reason,
    ...(command.source ? { source: command.source } : {}),
    ...(command.transactionId ? { transactionId: command.transactionId } : {}),
    ...(command.idempotencyKey ? { idempotencyKey: command.idempotencyKey } : {}),
  };
  const funding = command.campaign ? { campaign: command.campaign } : {};
  if (command.campaign) {
    change.accounts.push({
      account: { kind: 'budget', id: command.campaign.campaignId },
      shard: command.campaign.shard,
      delta: -command.amountPoints,
    });
  }
  // Held points wait as pending until activatesAt; the others are available at once.
  const activatesAt = holdDays > 0 ? new Date(at.getTime() + holdDays * DAY_MS).toISOString() : undefined;
  const held = activatesAt ? { activatesAt } : {};
  if (activatesAt) b.pendingPoints += command.amountPoints;
  else {
    credit(b, command.amountPoints, expiresAt);
    b.lifetimePoints += command.amountPoints;
  }
  const entry = change.record(
    {
      type: 'earn',
      amountPoints: activatesAt ? 0 : command.amountPoints,
      ...(activatesAt ? { pendingPoints: command.amountPoints } : {}),
      lots: [{ expiresAt, points: command.amountPoints }],
      ...held,
      ...common,
      ...funding,
    },
    'points.earned',
    (entryId) => ({
      entryId,
      amountPoints: command.amountPoints,
      ...withoutIdempotencyKey(common),
      ...(command.earnedOn ? { transaction: command.earnedOn.transaction, rules: command.earnedOn.rules } : {}),
      ...campaignOf(command),
      expiresAt,
      pending: activatesAt !== undefined,
      ...held,
    }),
  );
  if (activatesAt) b.pending.push({ entryId: entry.entryId, points: command.amountPoints, activatesAt, expiresAt });
  return change.build(settings);
}

/**
 * An entry keeps its Idempotency-Key (the one-effect-per-key invariant reads it); its event does not: the key is
 * the caller's free text, not a fact of the change, and the catalogue does not list it.
 */
const withoutIdempotencyKey = <T extends { idempotencyKey?: string }>({ idempotencyKey: _key, ...fields }: T) => fields;

const campaignOf = (command: EarnCommand) => (command.campaign ? { campaignId: command.campaign.campaignId } : {});

/** Points already earned from rules in the cap period the transaction falls in. */
export function periodEarnedPoints(balance: Balance, rules: EarningRules, at: Date): number {
  const period = rules.caps?.perPeriod?.period;
  if (!period || !balance.ruleEarnings) return 0;
  return balance.ruleEarnings.periodKey === capPeriodKey(period, at) ? balance.ruleEarnings.points : 0;
}

/**
 * Earning on a business transaction, with the points the rules gave: credited (or held) like a
 * direct earning, counted toward the period cap, the transaction id claimed. Null when the rules
 * gave no points (nothing to record).
 */
export function planTransaction(
  current: Balance,
  tx: BusinessTransaction,
  result: EarningResult,
  now: Date,
  settings: ProgrammeSettings,
  idempotencyKey?: string,
): Mutation | null {
  requireActive(current);
  if (result.points === 0) return null;
  const mutation = planEarn(
    current,
    {
      amountPoints: result.points,
      reason: `${tx.type} ${tx.transactionId}`,
      ...(tx.channel ? { source: tx.channel } : {}),
      transactionId: tx.transactionId,
      earnedOn: { transaction: transactionFacts(tx), rules: appliedRules(result.breakdown) },
      holdDays: result.holdDays,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    },
    now,
    settings,
  );
  if (result.capPeriodKey) {
    const previous = current.ruleEarnings?.periodKey === result.capPeriodKey ? current.ruleEarnings.points : 0;
    mutation.balance.ruleEarnings = { periodKey: result.capPeriodKey, points: previous + result.points };
  }
  return { ...mutation, transactionClaim: tx.transactionId };
}

/** An offer view: an event in the member's stream, nothing else changes. */
export function planOfferView(
  current: Balance,
  offer: Offer,
  channel: string | undefined,
  now: Date,
  settings: ProgrammeSettings,
): Mutation {
  requireNotErased(current);
  const change = new Change(current, now);
  change.announce('offer.viewed', { offerId: offer.offerId, ...(channel ? { channel } : {}) });
  return change.build(settings);
}

/** The member's activations of an offer so far, and why they cannot activate it now (null when they can). */
export function offerStanding(
  balance: Balance,
  profile: MemberProfile,
  offer: Offer,
  now: Date,
): { activations: number; reason: Ineligibility | null } {
  const activations = balance.offerActivations?.[offer.offerId] ?? 0;
  return {
    activations,
    reason: ineligibility(offer, { tier: tierOf(balance), segments: profile.segments ?? [], activations }, now),
  };
}

/** An activation, if the member is eligible now and under the offer's per-member limit. */
export function planOfferActivation(
  current: Balance,
  profile: MemberProfile,
  offer: Offer,
  now: Date,
  settings: ProgrammeSettings,
): Mutation {
  requireActive(current);
  const { activations, reason } = offerStanding(current, profile, offer, now);
  if (reason) throw new LedgerRuleError(reason, `Offer ${offer.offerId}: ${reason.replaceAll('_', ' ')}`);
  const change = new Change(current, now);
  change.balance.offerActivations = { ...current.offerActivations, [offer.offerId]: activations + 1 };
  change.announce('offer.activated', { offerId: offer.offerId, activationCount: activations + 1 });
  return change.build(settings);
}

export interface RedeemCommand {
  amountPoints: number;
  reason: string;
  source?: string;
  idempotencyKey?: string;
}

export function planRedeem(current: Balance, command: RedeemCommand, now: Date, settings: ProgrammeSettings): Mutation {
  positiveInteger(command.amountPoints, 'amountPoints');
  requireActive(current);
  const change = new Change(current, now);
  const lots = debit(change.balance, command.amountPoints);
  const common = {
    reason: command.reason,
    ...(command.source ? { source: command.source } : {}),
    ...(command.idempotencyKey ? { idempotencyKey: command.idempotencyKey } : {}),
  };
  change.record(
    { type: 'redeem', amountPoints: -command.amountPoints, lots, ...common },
    'points.redeemed',
    (entryId) => ({
      entryId,
      amountPoints: command.amountPoints,
      ...withoutIdempotencyKey(common),
      lots,
    }),
  );
  return change.build(settings);
}

export interface AdjustCommand {
  /** Signed: positive credits, negative debits. */
  amountPoints: number;
  reason: string;
  expiresAt?: string | null;
  idempotencyKey?: string;
}

/** Admin correction. Works on inactive members too (corrections must stay possible), not on erased ones. */
export function planAdjust(current: Balance, command: AdjustCommand, now: Date, settings: ProgrammeSettings): Mutation {
  if (!Number.isSafeInteger(command.amountPoints) || command.amountPoints === 0)
    throw new RangeError('amountPoints must be a non-zero integer');
  requireNotErased(current);
  const change = new Change(current, now);
  let lots: PointLot[];
  if (command.amountPoints > 0) {
    const expiresAt =
      command.expiresAt !== undefined
        ? command.expiresAt
        : expiryAfter(change.now, settings.pointsExpiry?.afterDays ?? null);
    credit(change.balance, command.amountPoints, expiresAt);
    lots = [{ expiresAt, points: command.amountPoints }];
  } else {
    lots = debit(change.balance, -command.amountPoints);
  }
  const idem = command.idempotencyKey ? { idempotencyKey: command.idempotencyKey } : {};
  change.record(
    { type: 'adjust', amountPoints: command.amountPoints, reason: command.reason, lots, ...idem },
    'points.adjusted',
    (entryId) => ({
      entryId,
      amountPoints: command.amountPoints,
      reason: command.reason,
      lots,
    }),
  );
  return change.build(settings);
}

export interface ReverseCommand {
  /** Points to reverse; the whole remainder of the entry when absent. */
  amountPoints?: number;
  reason: string;
  idempotencyKey?: string;
}

/**
 * Reverses an earlier entry in whole or in part:
 * - an earning still held is cancelled from pending;
 * - an earning (or positive adjustment) is clawed back, its own lot first; refused if the member
 *   has spent the points (the balance never goes negative);
 * - a redemption (or negative adjustment) is refunded into the lots it consumed, with their
 *   original expiry dates, latest expiry first for a partial refund.
 */
export function planReverse(
  current: Balance,
  original: LedgerEntry,
  state: EntryState | null,
  command: ReverseCommand,
  now: Date,
  settings: ProgrammeSettings,
): Mutation {
  requireNotErased(current);
  if (original.redemptionId) {
    throw new LedgerRuleError(
      'entry_not_reversible',
      `The entry pays for reward redemption ${original.redemptionId}: cancel the redemption instead`,
    );
  }
  const change = new Change(current, now);
  reverseInto(change, original, state, command.amountPoints, command.reason, command.idempotencyKey);
  return change.build(settings);
}

/** Records the reversal of (part of) an entry in a change; returns the points reversed. */
function reverseInto(
  change: Change,
  original: LedgerEntry,
  state: EntryState | null,
  amountPoints: number | undefined,
  reason: string,
  idempotencyKey?: string,
): number {
  const reversible = reversibleKind(original);
  if (!reversible) throw new LedgerRuleError('entry_not_reversible', `A ${original.type} entry cannot be reversed`);
  const remaining = state ?? initialEntryState(original);
  const amount = amountPoints ?? remaining.reversiblePoints;
  if (remaining.reversiblePoints === 0)
    throw new LedgerRuleError('reversal_exceeds_entry', 'The entry has been reversed in full already');
  positiveInteger(amount, 'amountPoints');
  if (amount > remaining.reversiblePoints) {
    throw new LedgerRuleError(
      'reversal_exceeds_entry',
      `Only ${remaining.reversiblePoints} points of the entry are left to reverse`,
    );
  }

  const b = change.balance;
  const held = b.pending.find((p) => p.entryId === original.entryId);
  let effect: 'clawback' | 'refund' | 'pending_cancelled';
  let lots: PointLot[];
  let nextRefundable = remaining.refundableLots;
  let availableDelta = 0;
  let pendingDelta = 0;
  if (reversible === 'credit' && held) {
    effect = 'pending_cancelled';
    held.points -= amount;
    b.pending = b.pending.filter((p) => p.points > 0);
    b.pendingPoints -= amount;
    pendingDelta = -amount;
    lots = [];
  } else if (reversible === 'credit') {
    effect = 'clawback';
    lots = debit(b, amount, original.lots[0]?.expiresAt);
    availableDelta = -amount;
    if (original.type === 'earn') b.lifetimePoints = Math.max(0, b.lifetimePoints - amount);
  } else {
    effect = 'refund';
    const refund = takeForRefund(remaining.refundableLots, amount);
    for (const lot of refund.restore) credit(b, lot.points, lot.expiresAt);
    nextRefundable = refund.remaining;
    lots = refund.restore;
    availableDelta = amount;
  }
  // Points a campaign funded and the member no longer gets go back to its budget.
  if (original.campaign && reversible === 'credit') {
    change.accounts.push({
      account: { kind: 'budget', id: original.campaign.campaignId },
      shard: original.campaign.shard,
      delta: amount,
    });
  }
  change.entryStates.push({
    ...remaining,
    reversiblePoints: remaining.reversiblePoints - amount,
    refundableLots: nextRefundable,
  });
  const idem = idempotencyKey ? { idempotencyKey } : {};
  change.record(
    {
      type: 'reverse',
      amountPoints: availableDelta,
      pendingPoints: pendingDelta,
      reason,
      lots,
      relatedEntryId: original.entryId,
      ...idem,
    },
    'points.reversed',
    (entryId) => ({
      entryId,
      reversedEntryId: original.entryId,
      reversedType: original.type as 'earn' | 'redeem' | 'adjust',
      effect,
      amountPoints: amount,
      reason,
      lots,
    }),
  );
  return amount;
}

/** The member can spend `points` now (checked before drawing stock, codes and budget for them). */
export function requireCanSpend(balance: Balance, points: number): void {
  requireActive(balance);
  if (balance.availablePoints < points) throw insufficient(balance, points);
}

const insufficient = (balance: Balance, points: number) =>
  new LedgerRuleError(
    'insufficient_points',
    `The member has ${balance.availablePoints} points available, ${points} needed`,
  );

/**
 * What the service drew for a redemption: a stock shard (limited stock), a code (voucher), a budget shard (campaign).
 */
export interface RewardDraw {
  stockShard?: number;
  voucherCode?: string;
  budgetShard?: number;
}

/**
 * A reward redemption in one commit: the points burnt (soonest-expiring lots first), one unit of
 * stock and one voucher code taken, the campaign charged, the redemption recorded. Any of them
 * failing its condition cancels all of them.
 */
export function planRewardRedemption(
  current: Balance,
  reward: Reward,
  draw: RewardDraw,
  command: { source?: string; idempotencyKey?: string },
  now: Date,
  settings: ProgrammeSettings,
): Mutation {
  requireActive(current);
  const change = new Change(current, now);
  const b = change.balance;
  const lots = debit(b, reward.pointsCost);
  const redemptionId = redemptionIdFor(b.memberId, b.seq + 1);
  const common = {
    reason: `reward ${reward.rewardId}`,
    ...(command.source ? { source: command.source } : {}),
    ...(command.idempotencyKey ? { idempotencyKey: command.idempotencyKey } : {}),
  };
  const entry = change.record(
    { type: 'redeem', amountPoints: -reward.pointsCost, lots, redemptionId, rewardId: reward.rewardId, ...common },
    'points.redeemed',
    (entryId) => ({
      entryId,
      amountPoints: reward.pointsCost,
      ...withoutIdempotencyKey(common),
      lots,
      rewardId: reward.rewardId,
      redemptionId,
    }),
  );
  if (draw.stockShard !== undefined)
    change.accounts.push({ account: { kind: 'stock', id: reward.rewardId }, shard: draw.stockShard, delta: -1 });
  if (reward.campaign) {
    if (draw.budgetShard === undefined) throw new Error('A campaign reward needs a budget shard');
    change.accounts.push({
      account: { kind: 'budget', id: reward.campaign.campaignId },
      shard: draw.budgetShard,
      delta: -reward.campaign.cost,
    });
  }
  if (reward.fulfilment === 'voucher') {
    if (!draw.voucherCode) throw new Error('A voucher reward needs a code');
    change.voucher = { claim: { rewardId: reward.rewardId, code: draw.voucherCode, redemptionId } };
  }
  const redemption: Redemption = {
    tenantId: b.tenantId,
    memberId: b.memberId,
    redemptionId,
    rewardId: reward.rewardId,
    rewardName: reward.name,
    seq: entry.seq,
    entryId: entry.entryId,
    pointsCost: reward.pointsCost,
    ...rewardFactsOf(reward),
    status: reward.fulfilment === 'voucher' ? 'fulfilled' : 'pending',
    ...(draw.voucherCode ? { voucherCode: draw.voucherCode } : {}),
    ...(draw.stockShard !== undefined ? { stockShard: draw.stockShard } : {}),
    ...(reward.campaign
      ? {
          budget: {
            campaignId: reward.campaign.campaignId,
            shard: required(draw.budgetShard, 'the budget shard'),
            amount: reward.campaign.cost,
          },
        }
      : {}),
    createdAt: change.occurredAt,
    updatedAt: change.occurredAt,
  };
  change.redemptions.push(redemption);
  change.announce('reward.redeemed', {
    redemptionId,
    rewardId: reward.rewardId,
    rewardName: reward.name,
    pointsCost: reward.pointsCost,
    status: reward.fulfilment === 'voucher' ? 'fulfilled' : 'pending',
    ...(draw.voucherCode ? { voucherCode: draw.voucherCode } : {}),
    ...recordedRewardFacts(redemption),
    ...(reward.campaign ? { campaignId: reward.campaign.campaignId } : {}),
  });
  return change.build(settings);
}

/** The tenant fulfilled a pending (manual) redemption. */
export function planRedemptionFulfilment(
  current: Balance,
  redemption: Redemption,
  reference: string | undefined,
  now: Date,
  settings: ProgrammeSettings,
): Mutation {
  requireNotErased(current);
  if (redemption.status !== 'pending')
    throw new LedgerRuleError(
      'redemption_not_pending',
      `Redemption ${redemption.redemptionId} is ${redemption.status}`,
    );
  const change = new Change(current, now);
  change.redemptions.push({
    ...redemption,
    status: 'fulfilled',
    ...(reference ? { reference } : {}),
    updatedAt: change.occurredAt,
  });
  change.announce('reward.fulfilled', {
    redemptionId: redemption.redemptionId,
    rewardId: redemption.rewardId,
    ...(reference ? { reference } : {}),
    pointsCost: redemption.pointsCost,
    ...recordedRewardFacts(redemption),
  });
  return change.build(settings);
}

/**
 * Cancels a redemption and refunds its points into the lots they came from (original expiry).
 * A pending redemption's unit goes back to stock; an issued voucher code is voided, never reissued;
 * the campaign gets its charge back.
 */
export function planRedemptionCancellation(
  current: Balance,
  redemption: Redemption,
  entry: LedgerEntry,
  state: EntryState | null,
  reason: string,
  now: Date,
  settings: ProgrammeSettings,
  idempotencyKey?: string,
): Mutation {
  requireNotErased(current);
  if (redemption.status === 'cancelled')
    throw new LedgerRuleError('redemption_cancelled', `Redemption ${redemption.redemptionId} is cancelled already`);
  const change = new Change(current, now);
  const refunded = reverseInto(change, entry, state, undefined, reason, idempotencyKey);
  const restocked = redemption.status === 'pending' && redemption.stockShard !== undefined;
  if (restocked)
    change.accounts.push({
      account: { kind: 'stock', id: redemption.rewardId },
      shard: required(redemption.stockShard, 'the stock shard'),
      delta: 1,
    });
  if (redemption.budget)
    change.accounts.push({
      account: { kind: 'budget', id: redemption.budget.campaignId },
      shard: redemption.budget.shard,
      delta: redemption.budget.amount,
    });
  if (redemption.voucherCode)
    change.voucher = {
      void: { rewardId: redemption.rewardId, code: redemption.voucherCode, redemptionId: redemption.redemptionId },
    };
  change.redemptions.push({ ...redemption, status: 'cancelled', cancelReason: reason, updatedAt: change.occurredAt });
  change.announce('reward.cancelled', {
    redemptionId: redemption.redemptionId,
    rewardId: redemption.rewardId,
    refundedPoints: refunded,
    restocked,
    reason,
    pointsCost: redemption.pointsCost,
    ...recordedRewardFacts(redemption),
  });
  return change.build(settings);
}

function reversibleKind(entry: LedgerEntry): 'credit' | 'debit' | null {
  if (entry.type === 'earn') return 'credit';
  if (entry.type === 'redeem') return 'debit';
  if (entry.type === 'adjust') return entry.amountPoints > 0 ? 'credit' : 'debit';
  return null;
}

function initialEntryState(entry: LedgerEntry): EntryState {
  const points = entry.type === 'earn' ? entry.amountPoints + entry.pendingPoints : Math.abs(entry.amountPoints);
  return {
    entryId: entry.entryId,
    seq: entry.seq,
    reversiblePoints: points,
    refundableLots: entry.amountPoints < 0 ? entry.lots : [],
  };
}

/**
 * A transaction holds at most 100 actions: the balance, two per activation (entry and event), two
 * for the expiry, one per notice and one for a tier change stay below it. Work beyond these
 * limits stays due, and the caller plans again.
 */
const MAX_ACTIVATIONS_PER_CHANGE = 30;
const MAX_NOTICES_PER_CHANGE = 20;

/**
 * Housekeeping for one member at `now`: activates due holds, expires due lots, announces lots
 * expiring soon. Returns null when nothing is due. Each kind of work is its own entry and event.
 */
export function planHousekeeping(current: Balance, now: Date, settings: ProgrammeSettings): Mutation | null {
  const change = new Change(current, now);
  const b = change.balance;
  const at = change.occurredAt;

  const due = b.pending
    .filter((p) => p.activatesAt <= at)
    .sort((x, y) => (x.activatesAt < y.activatesAt ? -1 : 1))
    .slice(0, MAX_ACTIVATIONS_PER_CHANGE);
  for (const held of due) {
    b.pending = b.pending.filter((p) => p !== held);
    b.pendingPoints -= held.points;
    credit(b, held.points, held.expiresAt);
    b.lifetimePoints += held.points;
    const lots = [{ expiresAt: held.expiresAt, points: held.points }];
    change.record(
      {
        type: 'activate',
        amountPoints: held.points,
        pendingPoints: -held.points,
        reason: 'hold ended',
        lots,
        relatedEntryId: held.entryId,
      },
      'points.activated',
      (entryId) => ({ entryId, earnEntryId: held.entryId, amountPoints: held.points, expiresAt: held.expiresAt }),
    );
  }

  const { lots, expired } = takeExpired(b.lots, at);
  if (expired.length > 0) {
    const points = sumPoints(expired);
    b.lots = lots;
    b.availablePoints -= points;
    change.record(
      { type: 'expire', amountPoints: -points, reason: 'points expired', lots: expired },
      'points.expired',
      (entryId) => ({
        entryId,
        amountPoints: points,
        lots: expired,
      }),
    );
  }

  if (settings.expiryNoticeDays > 0) {
    for (const lot of lotsToAnnounce(b.lots, change.now, settings.expiryNoticeDays).slice(0, MAX_NOTICES_PER_CHANGE)) {
      const target = required(
        b.lots.find((l) => l.expiresAt === lot.expiresAt),
        'the announced lot',
      );
      target.noticeSent = true;
      change.announce('points.expiring_soon', {
        amountPoints: lot.points,
        expiresAt: required(lot.expiresAt, "the announced lot's expiry"),
      });
    }
  }
  // Tier reviews that fell due are evaluated by build(); a stale dueAt (after a settings change) is corrected.
  const mutation = change.build(settings);
  if (mutation.events.length === 0 && mutation.balance.dueAt === current.dueAt) return null;
  return mutation;
}

export function planProfileUpdate(
  current: Balance,
  profile: MemberProfile,
  patch: ProfilePatch,
  now: Date,
  settings: ProgrammeSettings,
): Mutation | null {
  requireNotErased(current);
  const changed: string[] = [];
  const removed = new Set<string>();
  const updates: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) {
    if (!(field in patch)) continue;
    const value = patch[field];
    if (JSON.stringify(value ?? undefined) === JSON.stringify(profile[field])) continue;
    changed.push(field);
    if (value === null || value === undefined) removed.add(field);
    else updates[field] = value;
  }
  if (changed.length === 0) return null;
  const kept = Object.fromEntries(Object.entries(profile).filter(([field]) => !removed.has(field)));
  const next = { ...kept, ...updates } as MemberProfile;
  const change = new Change(current, now);
  next.updatedAt = change.occurredAt;
  change.announce('member.updated', { changedFields: changed });
  return change.build(settings, { profile: { value: next, create: false } });
}

export function planStatus(
  current: Balance,
  profile: MemberProfile,
  target: 'active' | 'inactive',
  reason: string | undefined,
  now: Date,
  settings: ProgrammeSettings,
): Mutation | null {
  requireNotErased(current);
  if (current.status === target) return null;
  const change = new Change(current, now);
  change.balance.status = target;
  if (target === 'inactive') change.announce('member.deactivated', reason ? { reason } : {});
  else change.announce('member.reactivated', {});
  return change.build(settings, {
    profile: { value: { ...profile, status: target, updatedAt: change.occurredAt }, create: false },
  });
}

/**
 * Erasure on request: personal data leaves the profile, the external id is released, remaining
 * points are forfeited (and holds cancelled) by an entry, so balance = sum of entries still holds.
 */
export function planErase(
  current: Balance,
  profile: MemberProfile,
  now: Date,
  settings: ProgrammeSettings,
): Mutation | null {
  if (current.status === 'erased') return null;
  const change = new Change(current, now);
  const b = change.balance;
  const forfeited = b.availablePoints;
  const cancelled = b.pendingPoints;
  const lots = b.lots.map(({ expiresAt, points }) => ({ expiresAt, points }));
  b.availablePoints = 0;
  b.pendingPoints = 0;
  b.lots = [];
  b.pending = [];
  b.status = 'erased';
  const data = { forfeitedPoints: forfeited, cancelledPendingPoints: cancelled };
  if (forfeited > 0 || cancelled > 0) {
    change.record(
      { type: 'forfeit', amountPoints: -forfeited, pendingPoints: -cancelled, reason: 'member erased', lots },
      'member.erased',
      () => data,
    );
  } else {
    change.announce('member.erased', data);
  }
  const erased: MemberProfile = {
    tenantId: profile.tenantId,
    memberId: profile.memberId,
    externalId: '',
    status: 'erased',
    createdAt: profile.createdAt,
    erasedAt: change.occurredAt,
  };
  return change.build(settings, {
    profile: { value: erased, create: false },
    externalId: { release: profile.externalId },
  });
}

function credit(balance: Balance, points: number, expiresAt: string | null): void {
  balance.lots = addToLots(balance.lots, points, expiresAt);
  balance.availablePoints += points;
}

function debit(balance: Balance, points: number, preferExpiresAt?: string | null): PointLot[] {
  const taken = consumeLots(balance.lots, points, preferExpiresAt);
  if (!taken) throw insufficient(balance, points);
  balance.lots = taken.lots;
  balance.availablePoints -= points;
  return taken.consumed;
}
