import { Change, LedgerRuleError, requireNotErased, type Balance, type Mutation } from './ledger';
import { addToLots, sumPoints, type PointLot } from './lots';
import type { ProgrammeSettings } from './programme';
import { recordQualifyingPoints, seatedTierState, tierById } from './tiers';

/**
 * Opening balances (historical loads for onboarding): the balance a member's previous programme held at `asOf`,
 * loaded once. Pure, like `ledger.ts`: one immutable `opening_balance` entry and one `member.imported` event,
 * committed by the ledger's one transaction. Rules:
 * - at most one per member (`Balance.openingBalance` marks it; a second is refused `opening_balance_exists`);
 * - lots are credited with their own expiry; a lot already expired when the balance is loaded is not credited (its
 *   points are recorded on the entry as `expiredLots` and announced as `expiredPoints`), so housekeeping never
 *   expires points the member could not have spent;
 * - lifetime points (at least the lots' sum; that sum by default) are added to the member's, and do not count as
 *   points earned now: the qualifying points stated (0 by default) count at `asOf` in the tier window;
 * - a stated tier seats the member on it for one tier period from `asOf`; then the usual review decides.
 * The credit adds to what the member holds (normally nothing: an imported member's opening balance comes first), so
 * available = sum of entries = sum of lots keeps holding.
 */
export interface OpeningBalanceCommand {
  /** UTC ISO instant the previous programme held the balance at. */
  asOf: string;
  /** Lots with UTC ISO expiry (null: never); positive points. */
  lots: PointLot[];
  lifetimePoints?: number;
  qualifyingPoints?: number;
  /** A tier id of the tenant's programme. */
  tierId?: string;
  /** The import job that loads it (for the event). */
  importId?: string;
  idempotencyKey?: string;
}

const nonNegativeInteger = (value: number, name: string) => {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
};

/** The lots merged by expiry, soonest first (as the balance keeps them). */
const merged = (lots: readonly PointLot[]): PointLot[] =>
  lots.reduce<PointLot[]>((all, lot) => addToLots(all, lot.points, lot.expiresAt), []);

/**
 * Plans the opening balance of a member at `now`.
 * @example const mutation = planOpeningBalance(balance, { asOf, lots, tierId: 'silver' }, now, settings);
 */
export function planOpeningBalance(
  current: Balance,
  command: OpeningBalanceCommand,
  now: Date,
  settings: ProgrammeSettings,
): Mutation {
  requireNotErased(current);
  if (current.openingBalance)
    throw new LedgerRuleError(
      'opening_balance_exists',
      `The member has an opening balance already (entry ${current.openingBalance.entryId})`,
    );
  for (const lot of command.lots) {
    if (!Number.isSafeInteger(lot.points) || lot.points <= 0) throw new RangeError('lots[].points must be positive');
  }
  const programme = settings.tiers;
  if (command.tierId !== undefined && !tierById(programme, command.tierId))
    throw new LedgerRuleError('unknown_tier', `The programme has no tier ${command.tierId}`);
  const lotsPoints = sumPoints(command.lots);
  const lifetime = command.lifetimePoints ?? lotsPoints;
  const qualifying = command.qualifyingPoints ?? 0;
  nonNegativeInteger(lifetime, 'lifetimePoints');
  nonNegativeInteger(qualifying, 'qualifyingPoints');
  if (lifetime < lotsPoints) throw new RangeError(`lifetimePoints must be at least the lots' ${lotsPoints} points`);

  const change = new Change(current, now);
  const b = change.balance;
  const at = change.occurredAt;
  const live = (lot: PointLot) => lot.expiresAt === null || lot.expiresAt > at;
  const credited = merged(command.lots.filter(live));
  const expired = merged(command.lots.filter((lot) => !live(lot)));
  const creditedPoints = sumPoints(credited);
  for (const lot of credited) b.lots = addToLots(b.lots, lot.points, lot.expiresAt);
  b.availablePoints += creditedPoints;
  b.lifetimePoints += lifetime;

  const asOf = new Date(command.asOf);
  change.qualifyingStated = true;
  const counted = qualifying > 0 ? recordQualifyingPoints(b.tierState, programme, asOf, qualifying) : b.tierState;
  b.tierState = command.tierId !== undefined ? seatedTierState(counted, programme, command.tierId, asOf) : counted;

  const entry = change.record(
    {
      type: 'opening_balance',
      amountPoints: creditedPoints,
      reason: 'opening balance',
      source: 'import',
      lots: credited,
      asOf: command.asOf,
      ...(expired.length > 0 ? { expiredLots: expired } : {}),
      ...(command.idempotencyKey ? { idempotencyKey: command.idempotencyKey } : {}),
    },
    'member.imported',
    (entryId) => ({
      entryId,
      asOf: command.asOf,
      amountPoints: creditedPoints,
      lots: credited,
      expiredPoints: sumPoints(expired),
      lifetimePoints: lifetime,
      qualifyingPoints: qualifying,
      ...(command.tierId !== undefined ? { tier: command.tierId } : {}),
      ...(command.importId !== undefined ? { importId: command.importId } : {}),
    }),
  );
  b.openingBalance = { entryId: entry.entryId, asOf: command.asOf };
  return change.build(settings);
}
