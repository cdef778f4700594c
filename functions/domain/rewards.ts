import * as z from '../shared/zod';
import { currencyCode, money } from './earning-rules';
import { required } from '../shared/required';

/**
 * Rewards, voucher code pools and campaign budgets.
 *
 * A reward costs points and, unless unlimited, draws on a stock. A voucher reward hands the member
 * one code from the reward's pool. A reward or an earning may charge a campaign budget. Stock and
 * budgets are sharded accounts: non-negative counters split over several items with their own
 * partition keys, so one popular reward or one busy campaign is not one hot key. A debit takes a
 * shard that can afford it, under a condition in the member's commit; when no single shard can
 * but the shards together can, the shards are rebalanced first.
 */
export const ACCOUNT_SHARDS = 8;

export const rewardRequest = z
  .strictObject({
    name: z.string().check(z.minLength(1), z.maxLength(120)),
    description: z.optional(z.string().check(z.maxLength(1000))),
    pointsCost: z.number().check(z.int(), z.gte(1), z.lte(100_000_000), z.describe('Points a redemption burns')),
    status: z._default(z.enum(['active', 'paused']), 'active'),
    fulfilment: z
      .enum(['voucher', 'manual'])
      .check(
        z.describe(
          'voucher: a code from the reward’s pool is issued at once; ' +
            'manual: the tenant fulfils it later (goods, experiences)',
        ),
      ),
    unlimitedStock: z._default(z.boolean(), false).check(z.describe('Manual rewards only: no stock to draw on')),
    value: z
      .optional(
        z.strictObject({ amount: money.check(z.describe('In major units (e.g. 25.00)')), currency: currencyCode }),
      )
      .check(z.describe('What the reward is worth in money, for reporting (e.g. revenue per point); not charged')),
    category: z
      .optional(z.string().check(z.minLength(1), z.maxLength(64)))
      .check(z.describe('For reporting, e.g. travel, dining, gift-card')),
    campaign: z
      .optional(
        z.strictObject({
          campaignId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
          cost: z
            .number()
            .check(z.int(), z.gte(1), z.lte(100_000_000), z.describe('Budget charged to the campaign per redemption')),
        }),
      )
      .check(z.describe('A campaign whose budget funds this reward')),
  })
  .check(
    z.refine((reward) => !(reward.fulfilment === 'voucher' && reward.unlimitedStock), {
      error: 'A voucher reward draws on its code pool; its stock cannot be unlimited',
      path: ['unlimitedStock'],
    }),
  );

export type RewardInput = z.output<typeof rewardRequest>;

export interface Reward extends RewardInput {
  tenantId: string;
  rewardId: string;
  updatedAt: string;
}

export const campaignRequest = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(120)),
  status: z
    ._default(z.enum(['active', 'closed']), 'active')
    .check(z.describe('A closed campaign charges nothing more: earnings and rewards that name it are refused')),
});

export type CampaignInput = z.output<typeof campaignRequest>;

export interface Campaign extends CampaignInput {
  tenantId: string;
  campaignId: string;
  /** Everything ever credited to the budget. */
  fundedPoints: number;
  updatedAt: string;
}

export type RedemptionStatus = 'pending' | 'fulfilled' | 'cancelled';

/** A reward redemption, kept in the member's partition and changed only in the member's commits. */
export interface Redemption {
  tenantId: string;
  memberId: string;
  redemptionId: string;
  rewardId: string;
  rewardName: string;
  /** The redeem entry's seq (and id). */
  seq: number;
  entryId: string;
  pointsCost: number;
  /** The reward's value, category and fulfilment at redemption time (absent on older redemptions). */
  rewardValue?: { amount: number; currency: string };
  rewardCategory?: string;
  fulfilment?: Reward['fulfilment'];
  status: RedemptionStatus;
  voucherCode?: string;
  /** The stock shard drawn on, returned to it when a pending redemption is cancelled. */
  stockShard?: number;
  /** The campaign charged, credited back on cancellation. */
  budget?: { campaignId: string; shard: number; amount: number };
  reference?: string;
  cancelReason?: string;
  createdAt: string;
  updatedAt: string;
}

/** A sharded account: a reward's stock or a campaign's budget. */
export interface AccountRef {
  kind: 'stock' | 'budget';
  id: string;
}

/** A signed change of one shard; a debit commits only if the shard stays non-negative. */
export interface AccountChange {
  account: AccountRef;
  shard: number;
  delta: number;
}

/** What redemption events say about the reward, kept on the redemption so later events say the same. */
export function rewardFactsOf(reward: Reward): Pick<Redemption, 'rewardValue' | 'rewardCategory' | 'fulfilment'> {
  return {
    ...(reward.value ? { rewardValue: { amount: reward.value.amount, currency: reward.value.currency } } : {}),
    ...(reward.category !== undefined ? { rewardCategory: reward.category } : {}),
    fulfilment: reward.fulfilment,
  };
}

/** The reward facts a redemption recorded, as its events carry them. */
export const recordedRewardFacts = (redemption: Redemption) => ({
  ...(redemption.rewardValue ? { rewardValue: redemption.rewardValue } : {}),
  ...(redemption.rewardCategory !== undefined ? { rewardCategory: redemption.rewardCategory } : {}),
  ...(redemption.fulfilment ? { fulfilment: redemption.fulfilment } : {}),
});

/** Redemption ids carry the member and the seq of the redeem entry. */
export const redemptionIdFor = (memberId: string, seq: number) => `rdm_${memberId.replace(/^mem_/, '')}_${seq}`;

export function parseRedemptionId(redemptionId: string): { memberSuffix: string; seq: number } | null {
  const [, memberSuffix, seq] = /^rdm_([0-9A-Z]+)_([1-9][0-9]{0,11})$/.exec(redemptionId) ?? [];
  return memberSuffix && seq ? { memberSuffix, seq: Number(seq) } : null;
}

/**
 * A shard that can afford `amount`, chosen at random among those that can (so concurrent debits
 * spread out), or null when none can on its own.
 */
export function pickShard(
  balances: readonly number[],
  amount: number,
  random: () => number = Math.random,
): number | null {
  const able = balances.flatMap((balance, shard) => (balance >= amount ? [shard] : []));
  if (able.length === 0) return null;
  return required(able[Math.min(able.length - 1, Math.floor(random() * able.length))], 'an able shard');
}

/** Splits a credit over the shards as evenly as integers allow, starting at `offset`. */
export function spreadCredit(amount: number, shards: number = ACCOUNT_SHARDS, offset = 0): number[] {
  const base = Math.floor(amount / shards);
  const extra = amount % shards;
  return Array.from({ length: shards }, (_, i) => base + ((((i - offset) % shards) + shards) % shards < extra ? 1 : 0));
}

/**
 * Moves funds so one shard can afford `amount`: the richest shard takes from the others, richest
 * first, only as much as it needs. Null when the account as a whole cannot afford it.
 */
export function rebalancePlan(
  balances: readonly number[],
  amount: number,
): { target: number; moves: { from: number; points: number }[] } | null {
  const total = balances.reduce((sum, balance) => sum + balance, 0);
  if (total < amount) return null;
  const richest = balances.reduce((best, balance, shard) => (balance > best.balance ? { balance, shard } : best), {
    balance: balances[0] ?? 0,
    shard: 0,
  });
  const target = richest.shard;
  let needed = amount - richest.balance;
  const moves: { from: number; points: number }[] = [];
  const donors = balances
    .map((balance, shard) => ({ balance, shard }))
    .filter(({ shard, balance }) => shard !== target && balance > 0)
    .sort((a, b) => b.balance - a.balance);
  for (const donor of donors) {
    if (needed <= 0) break;
    const points = Math.min(donor.balance, needed);
    moves.push({ from: donor.shard, points });
    needed -= points;
  }
  return { target, moves };
}

/** Voucher codes as tenants import them: printable, no spaces, unique within a reward. */
export const voucherCode = z
  .string()
  .check(z.regex(/^[A-Za-z0-9-]{4,64}$/, 'letters, digits and - only, 4 to 64 characters'));
