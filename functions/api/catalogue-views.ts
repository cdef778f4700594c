import type { Reply } from '../domain/idempotency';
import type { CampaignStanding, CatalogueOutcome, CatalogueReplies, RewardStanding } from '../domain/reward-catalogue';

/** A reward as the API shows it: the tenant's own fields and the stock left (null: unlimited). */
export const rewardView = ({ reward: { tenantId: _tenantId, ...reward }, stockAvailable }: RewardStanding) => ({
  ...reward,
  stockAvailable,
});

/** A campaign as the API shows it: its budget funded, remaining and spent. */
export const campaignView = ({
  campaign: { tenantId: _tenantId, ...campaign },
  remainingPoints,
}: CampaignStanding) => ({
  ...campaign,
  remainingPoints,
  spentPoints: campaign.fundedPoints - remainingPoints,
});

/** Each catalogue credit as the API answers it: the stock or budget it added, with 200. */
export const catalogueReplies: CatalogueReplies = {
  reply(outcome: CatalogueOutcome): Reply {
    switch (outcome.kind) {
      case 'stock-added':
        return { statusCode: 200, body: { rewardId: outcome.rewardId, addedUnits: outcome.addedUnits } };
      case 'campaign-funded':
        return { statusCode: 200, body: { campaignId: outcome.campaignId, creditedPoints: outcome.creditedPoints } };
    }
  },
};
