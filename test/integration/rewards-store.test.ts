import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoLedgerStore } from '../../functions/adapters/dynamo-ledger-store';
import { DynamoRewardStore } from '../../functions/adapters/dynamo-reward-store';
import { keys } from '../../functions/domain/keys';
import { catalogueReplies } from '../../functions/api/catalogue-views';
import { ledgerReplies } from '../../functions/api/ledger-views';
import { LedgerService } from '../../functions/domain/ledger-service';
import { RewardCatalogue } from '../../functions/domain/reward-catalogue';
import { ACCOUNT_SHARDS } from '../../functions/domain/rewards';
import { systemClock } from '../../functions/shared/clock';
import { Problem } from '../../functions/shared/problem';
import { countCommits, enrolMember, idem } from '../support/ledger-helpers';
import { fixedProgrammes } from '../support/memory-ledger-store';
import { useLocalTable } from '../support/local-table';
import { campaignView } from '../../functions/api/catalogue-views';

/** Rewards, voucher pools and campaign budgets against DynamoDB Local: conditions and races. */
let store: DynamoLedgerStore;
let ledger: LedgerService;
let catalogue: RewardCatalogue;
let rewards: DynamoRewardStore;

const T = 't1';

const local = useLocalTable(({ documents, tableName }) => {
  store = new DynamoLedgerStore(documents, tableName);
  rewards = new DynamoRewardStore(documents, tableName);
  ledger = new LedgerService(store, fixedProgrammes(), systemClock, ledgerReplies);
  catalogue = new RewardCatalogue(rewards, store, systemClock, catalogueReplies);
});

async function members(prefix: string, count: number, points: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 20) {
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(20, count - i) }, async (_, j) => {
          const externalId = `${prefix}-${i + j}`;
          const memberId = await enrolMember(ledger, T, externalId);
          await ledger.earn(T, memberId, idem(`earn-${externalId}`), { amountPoints: points, reason: 'welcome' });
          return memberId;
        }),
      )),
    );
  }
  return ids;
}

/**
 * A caller that retries a 409 concurrent_update with the same Idempotency-Key, as the problem tells it to. How
 * often a race's loser runs out of its commit budget depends on the machine's load; what the race settles to
 * must not.
 */
function retryingCaller(maxRetries = 400) {
  const caller = {
    retries: 0,
    async send<T>(request: () => Promise<T>): Promise<T> {
      for (;;) {
        try {
          return await request();
        } catch (error) {
          const contended = error instanceof Problem && error.code === 'concurrent_update';
          if (!contended || ++caller.retries > maxRetries) throw error;
        }
      }
    },
  };
  return caller;
}

const poolSize = async (rewardId: string) => {
  let total = 0;
  for (let shard = 0; shard < ACCOUNT_SHARDS; shard++) {
    const { Count = 0 } = await local.documents.send(
      new QueryCommand({
        TableName: local.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.voucherPool(T, rewardId, shard) },
        Select: 'COUNT',
      }),
    );
    total += Count;
  }
  return total;
};

/** An active voucher reward with stock drawn from its code pool. */
const putVoucherReward = (rewardId: string, name: string, pointsCost: number) =>
  catalogue.putReward(T, rewardId, {
    name,
    pointsCost,
    status: 'active',
    fulfilment: 'voucher',
    unlimitedStock: false,
  });

/** `count` distinct voucher codes: PREFIX-0000, PREFIX-0001, ... */
const voucherCodes = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

describe('rewards on DynamoDB Local', () => {
  it('imports codes once: a re-import skips known codes and the stock equals the pool, shard by shard', async () => {
    // Prepare
    await putVoucherReward('import', 'Cinema', 10);
    const codes = voucherCodes('CIN', 90);

    // Act
    const first = await catalogue.importCodes(T, 'import', codes);
    const again = await catalogue.importCodes(T, 'import', [...codes.slice(0, 30), 'CIN-NEW1', 'CIN-NEW1']);

    // Assess
    expect(first).toMatchObject({ imported: 90, duplicates: 0, stockAvailable: 90 });
    expect(again).toMatchObject({ imported: 1, duplicates: 31, stockAvailable: 91 });
    const stock = await store.accountBalances(T, { kind: 'stock', id: 'import' });
    for (let shard = 0; shard < ACCOUNT_SHARDS; shard++) {
      expect((await store.poolCodes(T, 'import', shard, 100)).length).toBe(stock[shard]);
    }
  }, 60_000);

  it('race: 200 members, 50 voucher codes: 50 redeem distinct codes, stock and pool empty, 0 points lost', async () => {
    // Prepare
    await putVoucherReward('race', 'Spa day', 100);
    await catalogue.importCodes(T, 'race', voucherCodes('SPA', 50));
    const reward = (await rewards.getReward(T, 'race'))!;
    const ids = await members('race', 200, 150);
    const commits = countCommits(store);

    // Act
    const started = performance.now();
    const caller = retryingCaller();
    const outcomes = await Promise.all(
      ids.map((memberId) =>
        caller.send(() => ledger.redeemReward(T, memberId, idem(`redeem-${memberId}`), reward, null)),
      ),
    );
    const elapsedMs = Math.round(performance.now() - started);

    // Assess
    const won = outcomes.filter((o) => o.statusCode === 201);
    const soldOut = outcomes.filter((o) => (o.body as { code?: string }).code === 'reward_out_of_stock');
    const issued = won.map((o) => (o.body as { redemption: { voucherCode: string } }).redemption.voucherCode);
    console.log(
      `reward race: ${ids.length} redemptions against 50 codes → ${won.length} redeemed, ${soldOut.length} out of ` +
        `stock, ${new Set(issued).size} distinct codes, ${commits.attempts} commit attempts ` +
        `(${commits.stockOrVoucherConflicts} lost a unit or code), ${caller.retries} client retries, ${elapsedMs} ms`,
    );
    expect(won).toHaveLength(50);
    expect(soldOut).toHaveLength(150);
    expect(new Set(issued).size).toBe(50);
    expect((await store.accountBalances(T, { kind: 'stock', id: 'race' })).every((units) => units === 0)).toBe(true);
    expect(await poolSize('race')).toBe(0);
    const balances = await store.getBalances(T, ids);
    const spent = [...balances.values()].filter((b) => b.availablePoints === 50).length;
    expect(spent).toBe(50);
    expect([...balances.values()].filter((b) => b.availablePoints === 150)).toHaveLength(150);
    // Every issued code's registry entry names its redemption.
    const registry = await local.documents.send(
      new GetCommand({ TableName: local.tableName, Key: keys.voucherCode(T, 'race', issued[0]!) }),
    );
    expect(registry.Item).toMatchObject({
      state: 'issued',
      redemptionId: (won[0]!.body as { redemption: { redemptionId: string } }).redemption.redemptionId,
    });
  }, 180_000);

  it('race: 120 funded earnings of 10 on a budget of 500: exactly 50 funded, budget 0, no shard negative', async () => {
    // Prepare
    await catalogue.putCampaign(T, 'budget-race', { name: 'Launch', status: 'active' });
    const credited = await catalogue.fundCampaign(T, 'budget-race', idem('fund-1', { amountPoints: 500 }), 500);
    const replay = await catalogue.fundCampaign(T, 'budget-race', idem('fund-1', { amountPoints: 500 }), 500);
    expect(credited).toEqual({ statusCode: 200, body: { campaignId: 'budget-race', creditedPoints: 500 } });
    expect(replay).toEqual({ ...credited, replayed: true });
    const campaign = (await rewards.getCampaign(T, 'budget-race'))!;
    const ids = await members('budget', 120, 1);

    // Act
    const started = performance.now();
    const caller = retryingCaller();
    const outcomes = await Promise.all(
      ids.map((memberId) =>
        caller.send(() =>
          ledger.earn(T, memberId, idem(`bonus-${memberId}`), { amountPoints: 10, reason: 'launch bonus' }, campaign),
        ),
      ),
    );
    const elapsedMs = Math.round(performance.now() - started);

    // Assess
    const funded = outcomes.filter((o) => o.statusCode === 201).length;
    const refused = outcomes.filter((o) => (o.body as { code?: string }).code === 'campaign_budget_exhausted').length;
    const shards = await store.accountBalances(T, { kind: 'budget', id: 'budget-race' });
    console.log(
      `budget race: 120 earnings of 10 against 500 → ${funded} funded, ${refused} refused, shards after ` +
        `${JSON.stringify(shards)}, ${caller.retries} client retries, ${elapsedMs} ms`,
    );
    expect(funded).toBe(50);
    expect(refused).toBe(70);
    expect(shards.every((points) => points === 0)).toBe(true);
    expect(campaignView(await catalogue.getCampaign(T, 'budget-race'))).toMatchObject({
      fundedPoints: 500,
      remainingPoints: 0,
      spentPoints: 500,
    });
  }, 180_000);
});
