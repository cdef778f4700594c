/**
 * Imported history (historical loads for onboarding): the ledger lines of a member's previous programme, kept as a
 * record with their ORIGINAL time. The member's balance comes from its opening balance, so a history line never
 * moves it: history lines are not ledger entries (no seq, no event, nothing to sum), they sit beside the entries in
 * the member's partition, ordered by their original time, and the member's history view reads them. One line per
 * (member, transactionId).
 *
 * No event: a load writes thousands of lines per member and every `*` or `member.*` webhook subscription would get
 * them all; the opening balance's `member.imported` event announces the import, and the lines stay readable through
 * the API.
 */
export const HISTORY_KINDS = ['earn', 'redeem', 'adjust', 'expire'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

export interface HistoryCommand {
  /** The previous programme's id of the line, unique per member. */
  transactionId: string;
  kind: HistoryKind;
  /** Positive points; the kind gives the sign (an adjustment its `direction`, credit by default). */
  points: number;
  direction?: 'credit' | 'debit';
  /** The original instant (UTC ISO). */
  occurredAt: string;
  description?: string;
  source?: string;
  /** The import job that recorded it. */
  importId?: string;
}

export interface HistoryLine {
  tenantId: string;
  memberId: string;
  transactionId: string;
  /** What the line was in the previous programme (the row's `kind`; named like an entry's type). */
  type: HistoryKind;
  /** Signed points as the previous programme booked them (never applied to the balance). */
  amountPoints: number;
  /** When it happened in the previous programme. */
  occurredAt: string;
  /** When the import recorded it here. */
  recordedAt: string;
  description?: string;
  source?: string;
  importId?: string;
}

/** Signed points of a line: earnings and credits positive, redemptions, expiries and debits negative. */
export function signedPoints(command: Pick<HistoryCommand, 'kind' | 'points' | 'direction'>): number {
  if (!Number.isSafeInteger(command.points) || command.points <= 0) throw new RangeError('points must be positive');
  const credit = command.kind === 'earn' || (command.kind === 'adjust' && command.direction !== 'debit');
  return credit ? command.points : -command.points;
}

/**
 * The line a history command records at `recordedAt`.
 * @example historyLine('t1', 'mem_1', { transactionId: 'old-1', kind: 'earn', points: 250, occurredAt }, now)
 */
export function historyLine(
  tenantId: string,
  memberId: string,
  command: HistoryCommand,
  recordedAt: string,
): HistoryLine {
  return {
    tenantId,
    memberId,
    transactionId: command.transactionId,
    type: command.kind,
    amountPoints: signedPoints(command),
    occurredAt: command.occurredAt,
    recordedAt,
    ...(command.description !== undefined ? { description: command.description } : {}),
    ...(command.source !== undefined ? { source: command.source } : {}),
    ...(command.importId !== undefined ? { importId: command.importId } : {}),
  };
}
