import type { Reply } from '../domain/idempotency';
import type { CatalogueOutcome, CatalogueReplies } from '../domain/reward-catalogue';

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
