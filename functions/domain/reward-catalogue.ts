import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import { idempotencyRecord, matchingRecord, type IdempotencyContext, type Reply } from './idempotency';
import type { LedgerStore, RewardStore } from './ports';
import type { AccountRef, Campaign, CampaignInput, Reward, RewardInput } from './rewards';

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** A reward and the units left of it (null: unlimited). The API renders it (`api/catalogue-views.ts`). */
export interface RewardStanding {
  reward: Reward;
  stockAvailable: number | null;
}

/** A campaign and the points left in its budget. */
export interface CampaignStanding {
  campaign: Campaign;
  remainingPoints: number;
}

/**
 * What a keyed catalogue credit did, in the domain's terms. The API turns it into a status and a
 * body (`CatalogueReplies`); the reply is kept with the credit so a retry replays it.
 */
export type CatalogueOutcome =
  | { kind: 'stock-added'; rewardId: string; addedUnits: number }
  | { kind: 'campaign-funded'; campaignId: string; creditedPoints: number };

/** The API's rendering of catalogue outcomes: owned by the API, handed to the catalogue as a port. */
export interface CatalogueReplies {
  reply(outcome: CatalogueOutcome): Reply;
}

/**
 * The tenant admin's side of rewards and campaigns: the catalogue, stock and code imports, and
 * campaign budgets. Stock and budget credits are idempotent by key, committed with their record.
 */
export class RewardCatalogue {
  constructor(
    private readonly rewards: RewardStore,
    /** Stock and budget balances, and the idempotency records every keyed request shares. */
    private readonly ledger: Pick<LedgerStore, 'accountBalances' | 'getIdempotencyRecord'>,
    private readonly clock: Clock,
    private readonly replies: CatalogueReplies,
  ) {}

  async putReward(tenantId: string, rewardId: string, input: RewardInput): Promise<RewardStanding> {
    if (input.campaign && !(await this.rewards.getCampaign(tenantId, input.campaign.campaignId))) {
      throw new Problem('campaign_not_found', `No campaign ${input.campaign.campaignId}`);
    }
    const reward: Reward = { ...input, tenantId, rewardId, updatedAt: this.clock.now().toISOString() };
    await this.rewards.putReward(reward);
    return this.standingOf(reward);
  }

  /**
   * The reward a redemption commits against, read eventually consistent (decision 0012): half a read unit, and
   * the reward's item shares the tenant's partition with every redemption of every member. What must hold at the
   * commit is guarded by the commit: the stock debit and the voucher code's claim are conditions of the redemption's
   * transaction, so a stale read costs a refused commit at most, never an overspent stock. A pause or a price change
   * reaches redemptions once the read sees it (DynamoDB: usually within a second); before, it never covered the
   * redemptions between their read and their commit either. A reward not found is read again strongly consistent,
   * so one created just now is found.
   */
  requireReward(tenantId: string, rewardId: string): Promise<Reward> {
    return this.readReward(tenantId, rewardId, false);
  }

  async getReward(tenantId: string, rewardId: string): Promise<RewardStanding> {
    return this.standingOf(await this.readReward(tenantId, rewardId, true));
  }

  private async readReward(tenantId: string, rewardId: string, consistent: boolean): Promise<Reward> {
    const reward = await readFirstEventually((read) => this.rewards.getReward(tenantId, rewardId, read), consistent);
    if (!reward) throw new Problem('reward_not_found', `No reward ${rewardId}`);
    return reward;
  }

  async listRewards(tenantId: string): Promise<RewardStanding[]> {
    const rewards = await this.rewards.listRewards(tenantId);
    return Promise.all(rewards.map((reward) => this.standingOf(reward)));
  }

  /** Adds units to a manual reward's stock (voucher rewards grow by importing codes). */
  async addStock(tenantId: string, rewardId: string, idem: IdempotencyContext, quantity: number): Promise<Reply> {
    const reward = await this.readReward(tenantId, rewardId, true);
    if (reward.fulfilment === 'voucher')
      throw new Problem('stock_not_applicable', 'A voucher reward’s stock is its code pool: import codes instead');
    if (reward.unlimitedStock) throw new Problem('stock_not_applicable', 'This reward has unlimited stock');
    const outcome: CatalogueOutcome = { kind: 'stock-added', rewardId, addedUnits: quantity };
    return this.credit(tenantId, { kind: 'stock', id: rewardId }, quantity, idem, outcome);
  }

  async importCodes(tenantId: string, rewardId: string, codes: string[]) {
    const reward = await this.readReward(tenantId, rewardId, true);
    if (reward.fulfilment !== 'voucher') throw new Problem('stock_not_applicable', 'Only voucher rewards take codes');
    const result = await this.rewards.importCodes(tenantId, rewardId, codes);
    return { rewardId, ...result, stockAvailable: await this.stockOf(reward) };
  }

  async putCampaign(tenantId: string, campaignId: string, input: CampaignInput): Promise<CampaignStanding> {
    const campaign = await this.rewards.putCampaign({
      ...input,
      tenantId,
      campaignId,
      updatedAt: this.clock.now().toISOString(),
    });
    return this.budgetOf(campaign);
  }

  /**
   * The campaign an earn or a redemption charges, read eventually consistent as `requireReward` reads the reward:
   * the budget's debit is a condition of the commit, so a stale read never overspends it; closing the campaign
   * reaches commits once the read sees it (usually within a second). Not found is read again strongly consistent.
   */
  requireCampaign(tenantId: string, campaignId: string): Promise<Campaign> {
    return this.readCampaign(tenantId, campaignId, false);
  }

  async getCampaign(tenantId: string, campaignId: string): Promise<CampaignStanding> {
    return this.budgetOf(await this.readCampaign(tenantId, campaignId, true));
  }

  private async readCampaign(tenantId: string, campaignId: string, consistent: boolean): Promise<Campaign> {
    const campaign = await readFirstEventually(
      (read) => this.rewards.getCampaign(tenantId, campaignId, read),
      consistent,
    );
    if (!campaign) throw new Problem('campaign_not_found', `No campaign ${campaignId}`);
    return campaign;
  }

  /** Funds a campaign's budget. */
  async fundCampaign(
    tenantId: string,
    campaignId: string,
    idem: IdempotencyContext,
    amountPoints: number,
  ): Promise<Reply> {
    await this.readCampaign(tenantId, campaignId, true);
    return this.credit(tenantId, { kind: 'budget', id: campaignId }, amountPoints, idem, {
      kind: 'campaign-funded',
      campaignId,
      creditedPoints: amountPoints,
    });
  }

  private async standingOf(reward: Reward): Promise<RewardStanding> {
    return { reward, stockAvailable: await this.stockOf(reward) };
  }

  private async budgetOf(campaign: Campaign): Promise<CampaignStanding> {
    const shards = await this.ledger.accountBalances(campaign.tenantId, { kind: 'budget', id: campaign.campaignId });
    return { campaign, remainingPoints: sum(shards) };
  }

  private async stockOf(reward: Reward): Promise<number | null> {
    if (reward.unlimitedStock) return null;
    return sum(await this.ledger.accountBalances(reward.tenantId, { kind: 'stock', id: reward.rewardId }));
  }

  /** Credits once per Idempotency-Key: the record commits with the credit; a retry replays it. */
  private async credit(
    tenantId: string,
    account: AccountRef,
    amount: number,
    idem: IdempotencyContext,
    outcome: CatalogueOutcome,
  ): Promise<Reply> {
    const reply = this.replies.reply(outcome);
    if (
      await this.rewards.credit(
        tenantId,
        account,
        amount,
        idempotencyRecord(tenantId, idem, reply, this.clock.now().toISOString()),
      )
    )
      return reply;
    const stored = matchingRecord(idem, await this.ledger.getIdempotencyRecord(tenantId, idem.key));
    return { statusCode: stored.statusCode, body: (JSON.parse(stored.body) as { body: unknown }).body, replayed: true };
  }
}

/**
 * An item read strongly consistent when `consistent`, else eventually consistent first (half a read unit) and again
 * strongly consistent when that read finds nothing (an item written a moment ago).
 */
async function readFirstEventually<T>(
  read: (options?: { consistent?: boolean }) => Promise<T | null>,
  consistent: boolean,
): Promise<T | null> {
  return (consistent ? null : await read({ consistent: false })) ?? (await read());
}
