import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import { planEarn, planEnrol, snapshot, type Balance, type EarnCommand, type EnrolCommand, type MemberProfile, type Mutation } from './ledger';
import type { IdempotencyRecord, LedgerStore } from './ports';

export interface Outcome {
  statusCode: number;
  body: unknown;
  /** True when the response is a replay of an earlier request with the same Idempotency-Key. */
  replayed?: boolean;
}

/** Stable hash of a request (method, path, canonical JSON body) that an Idempotency-Key is bound to. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** A plan step may use the balance a lost race returned instead of reading it again. */
type Planner = (current?: Balance) => Promise<Plan>;

type Plan = { kind: 'mutation'; mutation: Mutation; outcome: Outcome } | { kind: 'outcome'; outcome: Outcome };

export interface IdempotencyContext {
  key: string;
  requestHash: string;
}

/** Optimistic concurrency on one member: re-plan on conflict with full-jitter backoff, within a time budget below the API timeout. */
const MAX_COMMIT_ATTEMPTS = 40;
const COMMIT_BUDGET_MS = 6_000;

export const memberView = (profile: MemberProfile, balance: Balance) => ({
  memberId: profile.memberId,
  externalId: profile.externalId,
  ...(profile.email ? { email: profile.email } : {}),
  ...(profile.firstName ? { firstName: profile.firstName } : {}),
  ...(profile.lastName ? { lastName: profile.lastName } : {}),
  status: profile.status,
  tier: balance.tier,
  createdAt: profile.createdAt,
});

export const balanceView = (balance: Balance) => ({
  memberId: balance.memberId,
  ...snapshot(balance),
  seq: balance.seq,
  updatedAt: balance.updatedAt,
});

/**
 * Application service for ledger commands. Each mutating command is idempotent: the first
 * outcome for a key is committed with the change (or alone, for a failure) and replayed after.
 */
export class LedgerService {
  constructor(
    private readonly store: LedgerStore,
    private readonly clock: Clock,
  ) {}

  enrol(tenantId: string, idem: IdempotencyContext, command: EnrolCommand): Promise<Outcome> {
    return this.idempotent(tenantId, idem, async () => {
      const existingId = await this.store.findMemberIdByExternalId(tenantId, command.externalId);
      if (existingId) {
        const [profile, balance] = await Promise.all([
          this.store.getProfile(tenantId, existingId),
          this.store.getBalance(tenantId, existingId),
        ]);
        if (profile && balance) return { kind: 'outcome', outcome: { statusCode: 200, body: memberView(profile, balance) } };
      }
      const mutation = planEnrol(tenantId, command, this.clock.now());
      return { kind: 'mutation', mutation, outcome: { statusCode: 201, body: memberView(mutation.profile!, mutation.balance) } };
    });
  }

  earn(tenantId: string, memberId: string, idem: IdempotencyContext, command: Omit<EarnCommand, 'idempotencyKey'>): Promise<Outcome> {
    return this.idempotent(tenantId, idem, async (current) => {
      const balance = current ?? (await this.store.getBalance(tenantId, memberId));
      if (!balance) return { kind: 'outcome', outcome: failure(new Problem('member_not_found', `No member ${memberId}`)) };
      if (balance.status !== 'active') return { kind: 'outcome', outcome: failure(new Problem('member_inactive')) };
      const mutation = planEarn(balance, { ...command, idempotencyKey: idem.key }, this.clock.now());
      return {
        kind: 'mutation',
        mutation,
        outcome: {
          statusCode: 201,
          body: { entry: mutation.entry, balance: balanceView(mutation.balance), eventId: mutation.event.id },
        },
      };
    });
  }

  async getBalance(tenantId: string, memberId: string) {
    const balance = await this.store.getBalance(tenantId, memberId);
    if (!balance) throw new Problem('member_not_found', `No member ${memberId}`);
    return balanceView(balance);
  }

  async getMember(tenantId: string, memberId: string) {
    const [profile, balance] = await Promise.all([this.store.getProfile(tenantId, memberId), this.store.getBalance(tenantId, memberId)]);
    if (!profile || !balance) throw new Problem('member_not_found', `No member ${memberId}`);
    return memberView(profile, balance);
  }

  private async idempotent(tenantId: string, idem: IdempotencyContext, plan: Planner): Promise<Outcome> {
    // No read of the key up front: the commit's condition on the idempotency record detects a
    // retry (or a concurrent duplicate) and the stored response is replayed then.
    const deadline = Date.now() + COMMIT_BUDGET_MS;
    let current: Balance | undefined;
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS && Date.now() < deadline; attempt++) {
      const next = await plan(current);
      const record: IdempotencyRecord = {
        tenantId,
        key: idem.key,
        requestHash: idem.requestHash,
        statusCode: next.outcome.statusCode,
        body: JSON.stringify(next.outcome.body),
        createdAt: this.clock.now().toISOString(),
      };
      if (next.kind === 'outcome') {
        if (await this.store.saveIdempotencyRecord(record)) return next.outcome;
        return this.replayStored(tenantId, idem);
      }
      const result = await this.store.commit(next.mutation, record);
      if (result.ok) return next.outcome;
      if (result.conflict === 'idempotency') return this.replayStored(tenantId, idem);
      // version / externalId / member conflicts: someone else changed the state; plan again.
      current = result.current;
      await sleep(Math.random() * Math.min(50, 2 * 2 ** attempt));
    }
    throw new Problem('concurrent_update');
  }

  private async replayStored(tenantId: string, idem: IdempotencyContext): Promise<Outcome> {
    const record = await this.store.getIdempotencyRecord(tenantId, idem.key);
    if (!record) throw new Problem('idempotency_request_in_progress');
    return replay(record, idem);
  }
}

function replay(record: IdempotencyRecord, idem: IdempotencyContext): Outcome {
  if (record.requestHash !== idem.requestHash) {
    throw new Problem('idempotency_key_reused', `Idempotency-Key ${idem.key} was first used with a different request`);
  }
  return { statusCode: record.statusCode, body: JSON.parse(record.body), replayed: true };
}

function failure(problem: Problem): Outcome {
  return { statusCode: problem.status, body: problem.toBody() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
