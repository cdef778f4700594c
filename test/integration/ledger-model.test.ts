import fc from 'fast-check';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoLedgerStore } from '../../functions/adapters/dynamo-ledger-store';
import { DynamoRewardStore } from '../../functions/adapters/dynamo-reward-store';
import type { Reward } from '../../functions/domain/rewards';
import { keys } from '../../functions/domain/keys';
import { ledgerReplies } from '../../functions/api/ledger-views';
import { requestHash } from '../../functions/api/request-hash';
import type { Reply } from '../../functions/domain/idempotency';
import { LedgerService } from '../../functions/domain/ledger-service';
import { DAY_MS } from '../../functions/domain/lots';
import { useLocalTable } from '../support/local-table';
import { fixedProgrammes } from '../support/memory-ledger-store';

/**
 * Model-based test of the ledger against the real store on DynamoDB Local. fast-check drives
 * random sequences of earn (now or held), redeem, adjust, reverse, reward redemptions (stock,
 * fulfilment, cancellation with refund), imported opening balances (once per member, expired lots left out) and
 * history lines (which move nothing), time passing (activation and expiry), retries and
 * concurrent duplicates; after every step the stored member is checked
 * against a simple model and against the invariants:
 *   available = sum of entries = sum of lots ≥ 0; pending = sum of entries = sum of holds;
 *   events' seq gap-free from 1; at most one effect per Idempotency-Key; the reward's stock equals
 *   the model's and no stock shard is negative.
 * CI runs LEDGER_MODEL_RUNS (default 25); `npm run verify:ledger` runs 1,000.
 */
const RUNS = Number(process.env.LEDGER_MODEL_RUNS ?? 25);
const TENANT = 'model';

let store: DynamoLedgerStore;
let rewards: DynamoRewardStore;

const local = useLocalTable(({ documents, tableName }) => {
  store = new DynamoLedgerStore(documents, tableName);
  rewards = new DynamoRewardStore(documents, tableName);
});

/** The model: a naive restatement of the rules, lot by lot. */
interface ModelLot {
  expiresAt: string | null;
  points: number;
}
interface ModelEntry {
  entryId: string;
  kind: 'credit' | 'debit' | 'held';
  /** Points left to reverse. */
  left: number;
  /** Debits: consumed lots not yet refunded. Credits: the lot's expiry. */
  lots: ModelLot[];
  countsLifetime: boolean;
}
interface Model {
  available: ModelLot[];
  held: { entryId: string; points: number; activatesAt: string; expiresAt: string | null }[];
  lifetime: number;
  entries: ModelEntry[];
  /** Units left of the run's reward, and its redemptions. */
  stock: number;
  redemptions: { redemptionId: string; lots: ModelLot[]; status: 'pending' | 'fulfilled' | 'cancelled' }[];
  /** Requests already made, to retry: key, body and the first response. */
  requests: { key: string; run: () => Promise<Reply>; first: Reply }[];
  /** Set once an opening balance was loaded (at most one per member). */
  opened?: boolean;
}

interface Real {
  service: LedgerService;
  memberId: string;
  clock: { nowMs: number };
  keyCounter: number;
  reward: Reward;
}

const sum = (lots: { points: number }[]) => lots.reduce((s, l) => s + l.points, 0);
const byExpiry = (a: ModelLot, b: ModelLot) =>
  a.expiresAt === b.expiresAt
    ? 0
    : a.expiresAt === null
      ? 1
      : b.expiresAt === null
        ? -1
        : a.expiresAt < b.expiresAt
          ? -1
          : 1;

function take(lots: ModelLot[], points: number, prefer?: string | null): ModelLot[] {
  const consumed: ModelLot[] = [];
  let left = points;
  const order = [...lots].sort(byExpiry);
  if (prefer !== undefined) order.sort((a, b) => Number(b.expiresAt === prefer) - Number(a.expiresAt === prefer));
  for (const lot of order) {
    const n = Math.min(lot.points, left);
    if (n === 0) continue;
    lot.points -= n;
    left -= n;
    consumed.push({ expiresAt: lot.expiresAt, points: n });
  }
  return consumed;
}

function compact(lots: ModelLot[]): ModelLot[] {
  const merged = new Map<string | null, number>();
  for (const lot of lots) if (lot.points > 0) merged.set(lot.expiresAt, (merged.get(lot.expiresAt) ?? 0) + lot.points);
  return [...merged].map(([expiresAt, points]) => ({ expiresAt, points })).sort(byExpiry);
}

const nowIso = (r: Real) => new Date(r.clock.nowMs).toISOString();
const nextKey = (r: Real) => `${r.memberId}-k${++r.keyCounter}`;

async function call(
  m: Model,
  r: Real,
  path: string,
  body: unknown,
  run: (idem: { key: string; requestHash: string }) => Promise<Reply>,
) {
  const key = nextKey(r);
  const idem = { key, requestHash: requestHash('POST', path, body) };
  const outcome = await run(idem);
  m.requests.push({ key, run: () => run(idem), first: outcome });
  return outcome;
}

const entryIdOf = (outcome: Reply) => (outcome.body as { entry: { entryId: string } }).entry.entryId;

class Earn implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly amount: number,
    readonly holdDays: number,
    readonly expiresInDays: number | null,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const expiresAt =
      this.expiresInDays === null ? null : new Date(r.clock.nowMs + this.expiresInDays * DAY_MS).toISOString();
    const body = { amountPoints: this.amount, reason: 'model', holdDays: this.holdDays, expiresAt };
    const outcome = await call(m, r, 'earn', body, (idem) => r.service.earn(TENANT, r.memberId, idem, body));
    expect(outcome.statusCode).toBe(201);
    const entryId = entryIdOf(outcome);
    if (this.holdDays > 0) {
      m.held.push({
        entryId,
        points: this.amount,
        activatesAt: new Date(r.clock.nowMs + this.holdDays * DAY_MS).toISOString(),
        expiresAt,
      });
      m.entries.push({
        entryId,
        kind: 'held',
        left: this.amount,
        lots: [{ expiresAt, points: this.amount }],
        countsLifetime: true,
      });
    } else {
      m.available.push({ expiresAt, points: this.amount });
      m.lifetime += this.amount;
      m.entries.push({
        entryId,
        kind: 'credit',
        left: this.amount,
        lots: [{ expiresAt, points: this.amount }],
        countsLifetime: true,
      });
    }
  }
  toString = () => `earn(${this.amount}, hold ${this.holdDays}d, expires ${this.expiresInDays}d)`;
}

class Redeem implements fc.AsyncCommand<Model, Real> {
  constructor(readonly amount: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const body = { amountPoints: this.amount, reason: 'model' };
    const outcome = await call(m, r, 'redeem', body, (idem) => r.service.redeem(TENANT, r.memberId, idem, body));
    if (sum(m.available) < this.amount) {
      expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'insufficient_points' } });
      return;
    }
    expect(outcome.statusCode).toBe(201);
    const consumed = take(m.available, this.amount);
    m.entries.push({
      entryId: entryIdOf(outcome),
      kind: 'debit',
      left: this.amount,
      lots: consumed,
      countsLifetime: false,
    });
  }
  toString = () => `redeem(${this.amount})`;
}

class Adjust implements fc.AsyncCommand<Model, Real> {
  constructor(readonly amount: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const body = { amountPoints: this.amount, reason: 'model adjustment', expiresAt: null };
    const outcome = await call(m, r, 'adjust', body, (idem) => r.service.adjust(TENANT, r.memberId, idem, body));
    if (this.amount < 0 && sum(m.available) < -this.amount) {
      expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'insufficient_points' } });
      return;
    }
    expect(outcome.statusCode).toBe(201);
    if (this.amount > 0) {
      m.available.push({ expiresAt: null, points: this.amount });
      m.entries.push({
        entryId: entryIdOf(outcome),
        kind: 'credit',
        left: this.amount,
        lots: [{ expiresAt: null, points: this.amount }],
        countsLifetime: false,
      });
    } else {
      const consumed = take(m.available, -this.amount);
      m.entries.push({
        entryId: entryIdOf(outcome),
        kind: 'debit',
        left: -this.amount,
        lots: consumed,
        countsLifetime: false,
      });
    }
  }
  toString = () => `adjust(${this.amount})`;
}

class Reverse implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly fraction: number | null,
  ) {}
  check = (m: Readonly<Model>) => m.entries.length > 0;
  async run(m: Model, r: Real) {
    const target = m.entries[this.pick % m.entries.length]!;
    const amount = this.fraction === null ? undefined : Math.max(1, Math.floor(target.left * this.fraction));
    const body = { reason: 'model reversal', ...(amount !== undefined ? { amountPoints: amount } : {}) };
    const outcome = await call(m, r, 'reverse', body, (idem) =>
      r.service.reverse(TENANT, r.memberId, target.entryId, idem, body),
    );
    const points = amount ?? target.left;
    const stillHeld = m.held.find((h) => h.entryId === target.entryId);
    if (target.left === 0 || points > target.left) {
      expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'reversal_exceeds_entry' } });
      return;
    }
    if (target.kind !== 'debit' && !stillHeld && sum(m.available) < points) {
      expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'insufficient_points' } });
      return;
    }
    expect(outcome.statusCode).toBe(201);
    target.left -= points;
    if (stillHeld) {
      stillHeld.points -= points;
      m.held = m.held.filter((h) => h.points > 0);
    } else if (target.kind === 'debit') {
      // Refund: latest expiry first, with the original expiry dates.
      let left = points;
      for (const lot of [...target.lots].sort(byExpiry).reverse()) {
        const n = Math.min(lot.points, left);
        lot.points -= n;
        left -= n;
        if (n > 0) m.available.push({ expiresAt: lot.expiresAt, points: n });
      }
    } else {
      take(m.available, points, target.lots[0]!.expiresAt);
      if (target.countsLifetime) m.lifetime -= points;
    }
  }
  toString = () => `reverse(#${this.pick}, ${this.fraction ?? 'all'})`;
}

const REWARD_COST = 120;
const REWARD_STOCK = 3;

class RedeemReward implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    const body = { rewardId: r.reward.rewardId };
    const outcome = await call(m, r, 'redemptions', body, (idem) =>
      r.service.redeemReward(TENANT, r.memberId, idem, r.reward, null),
    );
    if (sum(m.available) < REWARD_COST) {
      expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'insufficient_points' } });
      return;
    }
    if (m.stock === 0) {
      expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'reward_out_of_stock' } });
      return;
    }
    expect(outcome.statusCode).toBe(201);
    m.stock -= 1;
    stats.redeemed += 1;
    const { redemptionId } = (outcome.body as { redemption: { redemptionId: string } }).redemption;
    m.redemptions.push({ redemptionId, lots: take(m.available, REWARD_COST), status: 'pending' });
  }
  toString = () => 'redeemReward()';
}

class FulfilRedemption implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.redemptions.length > 0;
  async run(m: Model, r: Real) {
    const target = m.redemptions[this.pick % m.redemptions.length]!;
    const outcome = await call(m, r, 'fulfil', {}, (idem) =>
      r.service.fulfilRedemption(TENANT, r.memberId, target.redemptionId, idem),
    );
    if (target.status !== 'pending') {
      expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'redemption_not_pending' } });
      return;
    }
    expect(outcome.statusCode).toBe(200);
    target.status = 'fulfilled';
  }
  toString = () => `fulfil(#${this.pick})`;
}

class CancelRedemption implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.redemptions.length > 0;
  async run(m: Model, r: Real) {
    const target = m.redemptions[this.pick % m.redemptions.length]!;
    const outcome = await call(m, r, 'cancel', { reason: 'model' }, (idem) =>
      r.service.cancelRedemption(TENANT, r.memberId, target.redemptionId, idem, 'model'),
    );
    if (target.status === 'cancelled') {
      expect(outcome).toMatchObject({ statusCode: 422, body: { code: 'redemption_cancelled' } });
      return;
    }
    expect(outcome.statusCode).toBe(200);
    // The whole cost comes back into the lots it was taken from; a pending unit goes back to stock.
    for (const lot of target.lots) if (lot.points > 0) m.available.push({ ...lot });
    if (target.status === 'pending') m.stock += 1;
    target.status = 'cancelled';
    stats.cancelled += 1;
  }
  toString = () => `cancel(#${this.pick})`;
}

class PassTime implements fc.AsyncCommand<Model, Real> {
  constructor(readonly days: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.clock.nowMs += this.days * DAY_MS;
    await r.service.housekeep(TENANT, r.memberId);
    const now = nowIso(r);
    for (const held of m.held.filter((h) => h.activatesAt <= now)) {
      m.available.push({ expiresAt: held.expiresAt, points: held.points });
      m.lifetime += held.points;
      const entry = m.entries.find((e) => e.entryId === held.entryId)!;
      entry.kind = 'credit';
    }
    m.held = m.held.filter((h) => h.activatesAt > now);
    m.available = m.available.filter((lot) => lot.expiresAt === null || lot.expiresAt > now);
  }
  toString = () => `pass(${this.days}d)`;
}

class Retry implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.requests.length > 0;
  async run(m: Model, _r: Real) {
    const request = m.requests[this.pick % m.requests.length]!;
    const again = await request.run();
    expect({ statusCode: again.statusCode, body: again.body, replayed: again.replayed }).toEqual({
      statusCode: request.first.statusCode,
      body: request.first.body,
      replayed: true,
    });
  }
  toString = () => `retry(#${this.pick})`;
}

class ConcurrentDuplicates implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly amount: number,
    readonly copies: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const body = { amountPoints: this.amount, reason: 'duplicate', holdDays: 0, expiresAt: null };
    const idem = { key: nextKey(r), requestHash: requestHash('POST', 'earn', body) };
    const outcomes = await Promise.all(
      Array.from({ length: this.copies }, () => r.service.earn(TENANT, r.memberId, idem, body)),
    );
    expect(new Set(outcomes.map((o) => JSON.stringify(o.body))).size).toBe(1);
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    m.available.push({ expiresAt: null, points: this.amount });
    m.lifetime += this.amount;
    m.entries.push({
      entryId: entryIdOf(outcomes[0]!),
      kind: 'credit',
      left: this.amount,
      lots: [{ expiresAt: null, points: this.amount }],
      countsLifetime: true,
    });
  }
  toString = () => `duplicates(${this.amount} × ${this.copies})`;
}

/** An import's opening balance: live lots credited with their expiry, expired ones left out; once per member. */
class OpeningBalance implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly lots: { points: number; expiresInDays: number | null }[],
    readonly extraLifetime: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const lots = this.lots.map(({ points, expiresInDays }) => ({
      points,
      expiresAt: expiresInDays === null ? null : new Date(r.clock.nowMs + expiresInDays * DAY_MS).toISOString(),
    }));
    const lifetimePoints = sum(lots) + this.extraLifetime;
    const body = { asOf: nowIso(r), lots, lifetimePoints };
    const outcome = await call(m, r, 'opening', body, (idem) =>
      r.service.importOpeningBalance(TENANT, r.memberId, idem, body),
    );
    if (m.opened) {
      expect(outcome).toMatchObject({ statusCode: 409, body: { code: 'opening_balance_exists' } });
      return;
    }
    expect(outcome.statusCode).toBe(201);
    m.opened = true;
    m.available.push(...lots.filter((lot) => lot.expiresAt === null || lot.expiresAt > nowIso(r)));
    m.lifetime += lifetimePoints;
  }
  toString = () => `opening(${JSON.stringify(this.lots)}, +${this.extraLifetime})`;
}

/** An imported history line: recorded with its original time, it moves nothing. */
class History implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: 'earn' | 'redeem' | 'adjust' | 'expire',
    readonly points: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const body = {
      transactionId: `old-${r.keyCounter + 1}`,
      kind: this.kind,
      points: this.points,
      occurredAt: '2024-03-02T18:22:00.000Z',
    };
    const outcome = await call(m, r, 'history', body, (idem) =>
      r.service.importHistory(TENANT, r.memberId, idem, body),
    );
    expect(outcome.statusCode).toBe(201);
  }
  toString = () => `history(${this.kind} ${this.points})`;
}

const stats = { runs: 0, commands: 0, checks: 0, redeemed: 0, cancelled: 0 };

async function checkInvariants(m: Model, r: Real) {
  const { Items = [] } = await local.documents.send(
    new QueryCommand({
      TableName: local.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.memberPk(TENANT, r.memberId) },
      ConsistentRead: true,
    }),
  );
  const balance = (await store.getBalance(TENANT, r.memberId))!;
  const entries = Items.filter((i) => i.kind === 'entry');
  const events = Items.filter((i) => i.kind === 'event');
  expect(balance.availablePoints).toBeGreaterThanOrEqual(0);
  expect(balance.availablePoints).toBe(entries.reduce((s, e) => s + (e.amountPoints as number), 0));
  expect(balance.availablePoints).toBe(sum(balance.lots));
  expect(balance.lots.every((lot) => lot.points > 0)).toBe(true);
  expect([...balance.lots].sort(byExpiry)).toEqual(balance.lots);
  expect(balance.pendingPoints).toBe(entries.reduce((s, e) => s + (e.pendingPoints as number), 0));
  expect(balance.pendingPoints).toBe(sum(balance.pending));
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: balance.seq }, (_, i) => i + 1));
  const keysUsed = entries.map((e) => e.idempotencyKey).filter(Boolean);
  expect(new Set(keysUsed).size).toBe(keysUsed.length);
  // The model agrees on every figure and on the lots.
  expect({
    available: balance.availablePoints,
    pending: balance.pendingPoints,
    lifetime: balance.lifetimePoints,
  }).toEqual({
    available: sum(m.available),
    pending: sum(m.held),
    lifetime: m.lifetime,
  });
  expect(balance.lots.map(({ expiresAt, points }) => ({ expiresAt, points }))).toEqual(compact(m.available));
  const stock = await store.accountBalances(TENANT, { kind: 'stock', id: r.reward.rewardId });
  expect(stock.every((units) => units >= 0)).toBe(true);
  expect(sum(stock.map((points) => ({ points })))).toBe(m.stock);
  stats.checks += 1;
}

const commands = [
  fc
    .record({
      amount: fc.integer({ min: 1, max: 500 }),
      hold: fc.constantFrom(0, 0, 0, 3),
      expires: fc.constantFrom(null, 2, 10, 40),
    })
    .map(({ amount, hold, expires }) => new Earn(amount, hold, expires)),
  fc.integer({ min: 1, max: 600 }).map((amount) => new Redeem(amount)),
  fc
    .integer({ min: -300, max: 300 })
    .filter((n) => n !== 0)
    .map((amount) => new Adjust(amount)),
  fc
    .record({ pick: fc.nat(), fraction: fc.constantFrom(null, 0.5, 0.25) })
    .map(({ pick, fraction }) => new Reverse(pick, fraction)),
  fc.constant(null).map(() => new RedeemReward()),
  fc.nat().map((pick) => new FulfilRedemption(pick)),
  fc.nat().map((pick) => new CancelRedemption(pick)),
  fc.integer({ min: 1, max: 15 }).map((days) => new PassTime(days)),
  fc
    .record({
      lots: fc.array(
        fc.record({
          points: fc.integer({ min: 1, max: 400 }),
          expiresInDays: fc.constantFrom(null, -5, 0, 2, 40),
        }),
        { maxLength: 4 },
      ),
      extra: fc.constantFrom(0, 250),
    })
    .map(({ lots, extra }) => new OpeningBalance(lots, extra)),
  fc
    .record({ kind: fc.constantFrom('earn', 'redeem', 'adjust', 'expire'), points: fc.integer({ min: 1, max: 900 }) })
    .map(({ kind, points }) => new History(kind, points)),
  fc.nat().map((pick) => new Retry(pick)),
  fc
    .record({ amount: fc.integer({ min: 1, max: 100 }), copies: fc.integer({ min: 2, max: 5 }) })
    .map(({ amount, copies }) => new ConcurrentDuplicates(amount, copies)),
];

describe('ledger model on DynamoDB Local', () => {
  it(`holds every invariant over ${RUNS} random runs of operations`, async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 20 }), async (cmds) => {
        const clock = { nowMs: Date.parse('2026-11-21T10:00:00.000Z') };
        const service = new LedgerService(
          store,
          fixedProgrammes({ expiryNoticeDays: 5 }),
          { now: () => new Date(clock.nowMs) },
          ledgerReplies,
        );
        const enrolled = await service.enrol(
          TENANT,
          { key: `enrol-${stats.runs}-${Math.random()}`, requestHash: 'h' },
          { externalId: `m-${Date.now()}-${Math.random().toString(36).slice(2)}` },
        );
        const memberId = (enrolled.body as { memberId: string }).memberId;
        const reward: Reward = {
          tenantId: TENANT,
          rewardId: `rw-${memberId}`,
          name: 'Model reward',
          pointsCost: REWARD_COST,
          status: 'active',
          fulfilment: 'manual',
          unlimitedStock: false,
          updatedAt: '2026-11-21T10:00:00.000Z',
        };
        await rewards.putReward(reward);
        await rewards.credit(TENANT, { kind: 'stock', id: reward.rewardId }, REWARD_STOCK, {
          tenantId: TENANT,
          key: `stock-${memberId}`,
          requestHash: 'h',
          statusCode: 200,
          body: '{}',
          createdAt: '2026-11-21T10:00:00.000Z',
        });
        const real: Real = { service, memberId, clock, keyCounter: 0, reward };
        const model: Model = {
          available: [],
          held: [],
          lifetime: 0,
          entries: [],
          stock: REWARD_STOCK,
          redemptions: [],
          requests: [],
        };
        stats.runs += 1;
        const checked = [...cmds].map((cmd) => ({
          check: (m: Readonly<Model>) => cmd.check(m),
          run: async (m: Model, r: Real) => {
            await cmd.run(m, r);
            stats.commands += 1;
            await checkInvariants(m, r);
          },
          toString: () => cmd.toString(),
        }));
        await fc.asyncModelRun(() => ({ model, real }), checked);
      }),
      { numRuns: RUNS },
    );
    console.log(
      `ledger model: ${stats.runs} runs, ${stats.commands} operations (${stats.redeemed} reward redemptions, ` +
        `${stats.cancelled} cancelled), ${stats.checks} invariant checks, 0 violations in ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 3_600_000);
});
