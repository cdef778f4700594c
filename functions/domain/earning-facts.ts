import type { BusinessTransaction, EarningStep } from './earning-rules';
import type { AppliedEarningRule, EarnedOnTransaction } from './events';

/**
 * What a `points.earned` event tells data teams about the transaction behind it: the facts they
 * join on (amount, currency, category, channel, lines) and the rules that gave the points. Copied
 * field by field, so a field added to the request later does not reach events unreviewed.
 */
export function transactionFacts(tx: BusinessTransaction): EarnedOnTransaction {
  return {
    type: tx.type,
    amount: tx.amount,
    currency: tx.currency,
    ...(tx.category !== undefined ? { category: tx.category } : {}),
    ...(tx.channel !== undefined ? { channel: tx.channel } : {}),
    ...(tx.occurredAt !== undefined ? { occurredAt: tx.occurredAt } : {}),
    ...(tx.lines
      ? {
          lines: tx.lines.map((line) => ({
            ...(line.sku !== undefined ? { sku: line.sku } : {}),
            category: line.category,
            amount: line.amount,
          })),
        }
      : {}),
  };
}

/** The preview's breakdown without its human-readable labels: the steps as data. */
export function appliedRules(breakdown: readonly EarningStep[]): AppliedEarningRule[] {
  return breakdown.map((step): AppliedEarningRule => {
    switch (step.kind) {
      case 'base':
        return {
          kind: 'base',
          pointsPerUnit: step.pointsPerUnit,
          eligibleAmount: step.eligibleAmount,
          points: step.points,
        };
      case 'multiplier':
        return { kind: 'multiplier', name: step.name, multiplier: step.multiplier, points: step.points };
      case 'promotion':
        return {
          kind: 'promotion',
          promotionId: step.promotionId,
          name: step.name,
          ...(step.multiplier !== undefined ? { multiplier: step.multiplier } : {}),
          ...(step.bonusPoints !== undefined ? { bonusPoints: step.bonusPoints } : {}),
          points: step.points,
        };
      case 'cap':
        return { kind: 'cap', cap: step.cap, maxPoints: step.maxPoints, points: step.points };
      case 'excluded':
        return {
          kind: 'excluded',
          reason: step.reason,
          ...(step.category !== undefined ? { category: step.category } : {}),
          ...(step.line !== undefined ? { line: step.line } : {}),
          points: step.points,
        };
    }
  });
}
