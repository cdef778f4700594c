import {
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { accountUpdate } from './account-items';
import { transactWrite } from './cancelled-transaction';
import { idempotencyItem, strip } from './dynamo-ledger-store';
import { queryPrefix } from './query-prefix';
import { keys } from '../domain/keys';
import type { IdempotencyRecord, RewardStore } from '../domain/ports';
import { ACCOUNT_SHARDS, spreadCredit, type AccountRef, type Campaign, type Reward } from '../domain/rewards';
import { required } from '../shared/required';

/** Codes per import transaction: two writes each, plus up to one stock update per shard, under 100 actions. */
const CODES_PER_TRANSACTION = 40;

/**
 * Rewards and campaigns beside their tenant (`REWARD#`, `CAMPAIGN#`); stock and budgets as
 * sharded accounts; voucher codes in a pool sharded like the stock, and a registry of every code.
 */
export class DynamoRewardStore implements RewardStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async listRewards(tenantId: string): Promise<Reward[]> {
    return (await queryPrefix(this.client, this.tableName, keys.tenant(tenantId).pk, keys.rewardPrefix)).map(
      (item) => strip(item) as Reward,
    );
  }

  async getReward(tenantId: string, rewardId: string, options: { consistent?: boolean } = {}): Promise<Reward | null> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.reward(tenantId, rewardId),
        ...(options.consistent === false ? {} : { ConsistentRead: true }),
      }),
    );
    return Item ? (strip(Item) as Reward) : null;
  }

  async putReward(reward: Reward): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.reward(reward.tenantId, reward.rewardId), kind: 'reward', ...reward },
      }),
    );
  }

  async getCampaign(
    tenantId: string,
    campaignId: string,
    options: { consistent?: boolean } = {},
  ): Promise<Campaign | null> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.campaign(tenantId, campaignId),
        ...(options.consistent === false ? {} : { ConsistentRead: true }),
      }),
    );
    return Item ? (strip(Item) as Campaign) : null;
  }

  async putCampaign(campaign: Omit<Campaign, 'fundedPoints'>): Promise<Campaign> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.campaign(campaign.tenantId, campaign.campaignId),
        UpdateExpression:
          'SET kind = :kind, tenantId = :tenant, campaignId = :id, #name = :name, #status = :status, updatedAt = ' +
          ':at, fundedPoints = if_not_exists(fundedPoints, :zero)',
        ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
        ExpressionAttributeValues: {
          ':kind': 'campaign',
          ':tenant': campaign.tenantId,
          ':id': campaign.campaignId,
          ':name': campaign.name,
          ':status': campaign.status,
          ':at': campaign.updatedAt,
          ':zero': 0,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return strip(required(Attributes, 'the updated campaign')) as Campaign;
  }

  async credit(tenantId: string, account: AccountRef, amount: number, record: IdempotencyRecord): Promise<boolean> {
    const TableName = this.tableName;
    // Spread from a random shard so small credits do not always land on shard 0.
    const shares = spreadCredit(amount, ACCOUNT_SHARDS, Math.floor(Math.random() * ACCOUNT_SHARDS));
    const owner = account.kind === 'budget' ? keys.campaign(tenantId, account.id) : keys.reward(tenantId, account.id);
    const items = [
      ...shares.flatMap((share, shard) =>
        share > 0 ? [accountUpdate(TableName, keys.accountShard(tenantId, account, shard), share)] : [],
      ),
      // A campaign keeps its funded total; a reward only has to exist.
      account.kind === 'budget'
        ? {
            Update: {
              TableName,
              Key: owner,
              UpdateExpression: 'ADD fundedPoints :amount',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':amount': amount },
            },
          }
        : { ConditionCheck: { TableName, Key: owner, ConditionExpression: 'attribute_exists(pk)' } },
      { Put: { TableName, Item: idempotencyItem(record), ConditionExpression: 'attribute_not_exists(pk)' } },
    ];
    const cancelled = await transactWrite(this.client, items);
    if (!cancelled) return true;
    // The idempotency record is the last action: its key was used already.
    if (cancelled.conditionFailedAt(items.length - 1)) return false;
    throw cancelled.error;
  }

  async importCodes(
    tenantId: string,
    rewardId: string,
    codes: string[],
  ): Promise<{ imported: number; duplicates: number }> {
    const unique = [...new Set(codes)];
    let imported = 0;
    for (let i = 0; i < unique.length; i += CODES_PER_TRANSACTION) {
      const batch = unique.slice(i, i + CODES_PER_TRANSACTION);
      if (await this.importBatch(tenantId, rewardId, batch)) {
        imported += batch.length;
        continue;
      }
      // Some code of the batch is known: import the batch code by code, skipping the known ones.
      for (const code of batch) if (await this.importBatch(tenantId, rewardId, [code])) imported += 1;
    }
    return { imported, duplicates: codes.length - imported };
  }

  /** The codes, their registry entries and the stock they add, all or nothing; false if a code is known. */
  private async importBatch(tenantId: string, rewardId: string, codes: string[]): Promise<boolean> {
    const TableName = this.tableName;
    const perShard = new Array<number>(ACCOUNT_SHARDS).fill(0);
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    for (const code of codes) {
      const shard = keys.voucherShardOf(code, ACCOUNT_SHARDS);
      perShard[shard] = (perShard[shard] ?? 0) + 1;
      items.push({
        Put: {
          TableName,
          Item: {
            ...keys.voucherCode(tenantId, rewardId, code),
            kind: 'voucherCode',
            rewardId,
            code,
            state: 'available',
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
      items.push({
        Put: {
          TableName,
          Item: {
            pk: keys.voucherPool(tenantId, rewardId, shard),
            sk: keys.voucherPoolSk(code),
            kind: 'poolCode',
            code,
          },
        },
      });
    }
    perShard.forEach((count, shard) => {
      if (count > 0)
        items.push(
          accountUpdate(TableName, keys.accountShard(tenantId, { kind: 'stock', id: rewardId }, shard), count),
        );
    });
    const cancelled = await transactWrite(this.client, items);
    if (!cancelled) return true;
    if (cancelled.conditionFailed) return false;
    throw cancelled.error;
  }
}
