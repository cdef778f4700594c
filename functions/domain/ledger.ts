import { newId } from '../shared/ids';
import type { BalanceSnapshot, LoyaltyEvent } from './events';

/**
 * Pure ledger rules: given the current state and a command, plan the next state, the immutable
 * ledger entry and the complete outbox event. No I/O here; the store commits a plan atomically.
 *
 * Invariants: `seq` advances by exactly one per change; available points never go negative;
 * lifetime points only grow by earnings.
 */
export interface Balance {
  tenantId: string;
  memberId: string;
  availablePoints: number;
  pendingPoints: number;
  lifetimePoints: number;
  tier: string;
  status: 'active' | 'inactive';
  /** The seq of the last change; the next event gets `seq + 1`. */
  seq: number;
  /** Optimistic-concurrency version, checked by the commit. */
  version: number;
  updatedAt: string;
}

export interface MemberProfile {
  tenantId: string;
  memberId: string;
  externalId: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  status: 'active' | 'inactive';
  createdAt: string;
}

export interface LedgerEntry {
  entryId: string;
  tenantId: string;
  memberId: string;
  seq: number;
  type: 'earn';
  /** Signed: positive credits, negative debits. */
  amountPoints: number;
  availableAfter: number;
  reason: string;
  source?: string;
  idempotencyKey: string;
  createdAt: string;
}

/** Everything one change writes, committed in one transaction. */
export interface Mutation {
  tenantId: string;
  memberId: string;
  /** `null` creates the balance (enrolment); otherwise the commit requires this version. */
  expectedVersion: number | null;
  balance: Balance;
  entry?: LedgerEntry;
  event: LoyaltyEvent;
  profile?: MemberProfile;
}

export const DEFAULT_TIER = 'base';

export const snapshot = (balance: Balance): BalanceSnapshot => ({
  availablePoints: balance.availablePoints,
  pendingPoints: balance.pendingPoints,
  lifetimePoints: balance.lifetimePoints,
  tier: balance.tier,
});

export interface EnrolCommand {
  externalId: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

export function planEnrol(tenantId: string, command: EnrolCommand, now: Date): Mutation {
  const occurredAt = now.toISOString();
  const memberId = newId('mem', now.getTime());
  const balance: Balance = {
    tenantId,
    memberId,
    availablePoints: 0,
    pendingPoints: 0,
    lifetimePoints: 0,
    tier: DEFAULT_TIER,
    status: 'active',
    seq: 1,
    version: 1,
    updatedAt: occurredAt,
  };
  const profile: MemberProfile = { tenantId, memberId, ...command, status: 'active', createdAt: occurredAt };
  return {
    tenantId,
    memberId,
    expectedVersion: null,
    balance,
    profile,
    event: {
      id: newId('evt', now.getTime()),
      type: 'member.enrolled',
      version: 1,
      tenantId,
      memberId,
      seq: 1,
      occurredAt,
      data: { externalId: command.externalId, tier: balance.tier, balance: snapshot(balance) },
    },
  };
}

export interface EarnCommand {
  amountPoints: number;
  reason: string;
  source?: string;
  idempotencyKey: string;
}

export function planEarn(current: Balance, command: EarnCommand, now: Date): Mutation {
  if (!Number.isSafeInteger(command.amountPoints) || command.amountPoints <= 0) {
    throw new RangeError('amountPoints must be a positive integer');
  }
  const occurredAt = now.toISOString();
  const seq = current.seq + 1;
  const balance: Balance = {
    ...current,
    availablePoints: current.availablePoints + command.amountPoints,
    lifetimePoints: current.lifetimePoints + command.amountPoints,
    seq,
    version: current.version + 1,
    updatedAt: occurredAt,
  };
  const entry: LedgerEntry = {
    entryId: newId('ent', now.getTime()),
    tenantId: current.tenantId,
    memberId: current.memberId,
    seq,
    type: 'earn',
    amountPoints: command.amountPoints,
    availableAfter: balance.availablePoints,
    reason: command.reason,
    ...(command.source ? { source: command.source } : {}),
    idempotencyKey: command.idempotencyKey,
    createdAt: occurredAt,
  };
  return {
    tenantId: current.tenantId,
    memberId: current.memberId,
    expectedVersion: current.version,
    balance,
    entry,
    event: {
      id: newId('evt', now.getTime()),
      type: 'points.earned',
      version: 1,
      tenantId: current.tenantId,
      memberId: current.memberId,
      seq,
      occurredAt,
      data: {
        entryId: entry.entryId,
        amountPoints: command.amountPoints,
        reason: command.reason,
        ...(command.source ? { source: command.source } : {}),
        balance: snapshot(balance),
      },
    },
  };
}
