import { catalogueReplies } from '../../functions/api/catalogue-views';
import type { RewardStore } from '../../functions/domain/ports';
import { RewardCatalogue } from '../../functions/domain/reward-catalogue';
import type { Campaign, Reward } from '../../functions/domain/rewards';
import { systemClock } from '../../functions/shared/clock';

const reward: Reward = {
  tenantId: 't1',
  rewardId: 'spa',
  name: 'Spa voucher',
  pointsCost: 300,
  status: 'active',
  fulfilment: 'voucher',
  unlimitedStock: false,
  updatedAt: '2026-11-01T00:00:00Z',
};
const campaign: Campaign = {
  tenantId: 't1',
  campaignId: 'winter',
  name: 'Winter',
  status: 'active',
  fundedPoints: 1_000,
  updatedAt: '2026-11-01T00:00:00Z',
};

type Read = { item: 'reward' | 'campaign'; consistent: boolean };

/** A store whose eventually consistent reads do not see the items yet (as just after they were written). */
function laggingStore(reads: Read[], options: { eventualSees: boolean }) {
  const seen = <T>(item: T, consistent: boolean) => (consistent || options.eventualSees ? item : null);
  return {
    getReward: (_tenantId: string, _rewardId: string, read: { consistent?: boolean } = {}) => {
      const consistent = read.consistent !== false;
      reads.push({ item: 'reward', consistent });
      return Promise.resolve(seen(reward, consistent));
    },
    getCampaign: (_tenantId: string, _campaignId: string, read: { consistent?: boolean } = {}) => {
      const consistent = read.consistent !== false;
      reads.push({ item: 'campaign', consistent });
      return Promise.resolve(seen(campaign, consistent));
    },
  } as unknown as RewardStore;
}

const ledger = { accountBalances: () => Promise.resolve([0]), getIdempotencyRecord: () => Promise.resolve(null) };

/** The catalogue on a lagging store, recording its reads. */
const catalogueOn = (reads: Read[], options: { eventualSees: boolean }) =>
  new RewardCatalogue(laggingStore(reads, options), ledger, systemClock, catalogueReplies);

describe('reward catalogue reads', () => {
  it('reads the reward and the campaign a commit charges eventually consistent, once each', async () => {
    // Prepare
    const reads: Read[] = [];
    const catalogue = catalogueOn(reads, { eventualSees: true });

    // Act
    const found = [await catalogue.requireReward('t1', 'spa'), await catalogue.requireCampaign('t1', 'winter')];

    // Assess
    expect(found).toEqual([reward, campaign]);
    expect(reads).toEqual([
      { item: 'reward', consistent: false },
      { item: 'campaign', consistent: false },
    ]);
  });

  it('reads again strongly consistent what an eventually consistent read did not find yet', async () => {
    // Prepare
    const reads: Read[] = [];
    const catalogue = catalogueOn(reads, { eventualSees: false });

    // Act
    const found = [await catalogue.requireReward('t1', 'spa'), await catalogue.requireCampaign('t1', 'winter')];

    // Assess
    expect(found).toEqual([reward, campaign]);
    expect(reads).toEqual([
      { item: 'reward', consistent: false },
      { item: 'reward', consistent: true },
      { item: 'campaign', consistent: false },
      { item: 'campaign', consistent: true },
    ]);
  });

  it('shows the tenant its own reward and campaign strongly consistent', async () => {
    // Prepare
    const reads: Read[] = [];
    const catalogue = catalogueOn(reads, { eventualSees: true });

    // Act
    await catalogue.getReward('t1', 'spa');
    await catalogue.getCampaign('t1', 'winter');

    // Assess
    expect(reads).toEqual([
      { item: 'reward', consistent: true },
      { item: 'campaign', consistent: true },
    ]);
  });
});
