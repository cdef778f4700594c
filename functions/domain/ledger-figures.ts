import { recordMetric } from '../shared/metrics';
import type { MemberEvent } from './events';

/**
 * Records the ledger's platform metrics for one committed change, from the events it announced: called once per
 * commit that succeeded (an idempotent replay commits nothing and counts nothing), so the figures are facts, not
 * requests.
 * @example if (result.ok) recordLedgerFigures(mutation.events);
 */
export function recordLedgerFigures(events: readonly MemberEvent[]): void {
  for (const event of events) {
    switch (event.type) {
      case 'member.enrolled':
        recordMetric('MembersEnrolled');
        break;
      case 'points.earned':
        recordMetric('EarnTransactions');
        recordMetric('PointsEarned', event.data.amountPoints);
        break;
      case 'points.redeemed':
        recordMetric('PointsRedeemed', event.data.amountPoints);
        break;
      case 'reward.redeemed':
        recordMetric('Redemptions');
        break;
      case 'tier.promoted':
      case 'tier.demoted':
        recordMetric('TierChanges');
        break;
      default:
        break;
    }
  }
}
