import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoLedgerStore } from '../../functions/adapters/dynamo-ledger-store';
import { ledgerReplies } from '../../functions/api/ledger-views';
import { requestHash } from '../../functions/api/request-hash';
import { LedgerService } from '../../functions/domain/ledger-service';
import { keys } from '../../functions/domain/keys';
import { planEarn } from '../../functions/domain/ledger';
import type { Reply } from '../../functions/domain/idempotency';
import { Problem } from '../../functions/shared/problem';
import { systemClock } from '../../functions/shared/clock';
import { programmeSettings } from '../../functions/domain/programme';
import { countCommits, enrolMember } from '../support/ledger-helpers';
import { fixedProgrammes } from '../support/memory-ledger-store';
import { useLocalTable } from '../support/local-table';

/** The ledger store against the real DynamoDB Local: transactions, conditions, races. */
let service: LedgerService;

const local = useLocalTable(({ documents, tableName }) => {
  service = new LedgerService(
    new DynamoLedgerStore(documents, tableName),
    fixedProgrammes(),
    systemClock,
    ledgerReplies,
  );
});

async function partition(memberId: string) {
  const { Items } = await local.documents.send(
    new QueryCommand({
      TableName: local.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.memberPk('t1', memberId) },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

describe('DynamoDB ledger store on DynamoDB Local', () => {
  it('keeps seq gap-free and balance = sum of entries under 12 concurrent earnings on one member', async () => {
    // Prepare
    const memberId = await enrolMember(service, 't1', `race-${Date.now()}`);
    const amounts = Array.from({ length: 12 }, (_, i) => i + 1);

    // Act
    const started = performance.now();
    const outcomes = await Promise.all(
      amounts.map((amountPoints, i) =>
        service.earn(
          't1',
          memberId,
          { key: `race-${memberId}-${i}`, requestHash: `h${i}` },
          { amountPoints, reason: 'race' },
        ),
      ),
    );
    const elapsedMs = Math.round(performance.now() - started);

    // Assess
    expect(outcomes.every((o) => o.statusCode === 201)).toBe(true);
    const items = await partition(memberId);
    const entries = items.filter((i) => i.kind === 'entry');
    const events = items.filter((i) => i.kind === 'event');
    const balance = items.find((i) => i.kind === 'balance')!;
    const total = amounts.reduce((a, b) => a + b, 0);
    console.log(
      `concurrent earns on one member: ${amounts.length} committed in ${elapsedMs} ms, balance ` +
        `${balance.availablePoints} = sum of entries ${total}`,
    );
    expect(entries.reduce((sum, e) => sum + (e.amountPoints as number), 0)).toBe(total);
    expect(balance.availablePoints).toBe(total);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(balance.seq).toBe(13);
  });

  it('returns the winning balance with a lost race, so the loser re-plans without another read', async () => {
    // Prepare: two plans from the same balance; the first commits.
    const memberId = await enrolMember(service, 't1', `stale-${Date.now()}`);
    const store = new DynamoLedgerStore(local.documents, local.tableName);
    const start = (await store.getBalance('t1', memberId))!;
    const winner = planEarn(
      start,
      { amountPoints: 5, reason: 'a', idempotencyKey: 'w' },
      new Date(),
      programmeSettings.parse({}),
    );
    const loser = planEarn(
      start,
      { amountPoints: 7, reason: 'b', idempotencyKey: 'l' },
      new Date(),
      programmeSettings.parse({}),
    );
    const record = (key: string) => ({
      tenantId: 't1',
      key: `${memberId}-${key}`,
      requestHash: 'h',
      statusCode: 201,
      body: '{}',
      createdAt: new Date().toISOString(),
    });
    expect(await store.commit(winner, record('w'))).toEqual({ ok: true });

    // Act
    const result = await store.commit(loser, record('l'));

    // Assess
    expect(result).toEqual({ ok: false, conflict: 'version', current: winner.balance });
  });

  it('gives one effect for 20 concurrent duplicates of one Idempotency-Key', async () => {
    // Prepare
    const memberId = await enrolMember(service, 't1', `dup-${Date.now()}`);
    const body = { amountPoints: 70, reason: 'dup' };
    const idem = {
      key: `dup-${memberId}`,
      requestHash: requestHash('POST', `/v1/members/${memberId}/points/earn`, body),
    };

    // Act
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => service.earn('t1', memberId, idem, body)));

    // Assess
    expect(outcomes.every((o) => o.statusCode === 201)).toBe(true);
    expect(new Set(outcomes.map((o) => JSON.stringify(o.body))).size).toBe(1);
    const items = await partition(memberId);
    expect(items.filter((i) => i.kind === 'entry')).toHaveLength(1);
    expect(items.find((i) => i.kind === 'balance')!.availablePoints).toBe(70);
  });

  it('writes nothing for an unknown member but remembers the failure for its key', async () => {
    const body = { amountPoints: 1, reason: 'x' };
    const idem = { key: 'unknown-member-1', requestHash: 'h' };
    const first = await service.earn('t1', 'mem_nobody', idem, body);
    expect(first.statusCode).toBe(404);
    expect(await partition('mem_nobody')).toHaveLength(0);
    expect((await service.earn('t1', 'mem_nobody', idem, body)).replayed).toBe(true);
  });

  it('lets exactly the affordable share of 200 concurrent redemptions through, with no overdraft', async () => {
    // Prepare: 500 points, each redemption wants 10, so 50 of 200 can be paid.
    const memberId = await enrolMember(service, 't1', `redeem-race-${Date.now()}`);
    await service.earn(
      't1',
      memberId,
      { key: `seed-${memberId}`, requestHash: 'h' },
      { amountPoints: 500, reason: 'seed' },
    );
    const attempts = 200;
    // DynamoDB Local is far slower than DynamoDB, so a queue of 200 takes longer here; the budget
    // is raised so the test measures correctness, not the emulator.
    const store = new DynamoLedgerStore(local.documents, local.tableName);
    const counts = countCommits(store);
    const patient = new LedgerService(store, fixedProgrammes(), systemClock, ledgerReplies, {
      commitBudgetMs: 120_000,
    });

    // Act
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        patient.redeem(
          't1',
          memberId,
          { key: `redeem-${memberId}-${i}`, requestHash: `r${i}` },
          { amountPoints: 10, reason: 'race' },
        ),
      ),
    );
    const elapsedMs = Math.round(performance.now() - started);

    // Assess
    const succeeded = outcomes.filter((o) => o.statusCode === 201).length;
    const refused = outcomes.filter(
      (o) => o.statusCode === 422 && (o.body as { code: string }).code === 'insufficient_points',
    ).length;
    const items = await partition(memberId);
    const balance = items.find((i) => i.kind === 'balance')!;
    const entries = items.filter((i) => i.kind === 'entry');
    console.log(
      `redemption race: ${attempts} concurrent redemptions of 10 against 500 points: ${succeeded} succeeded, ` +
        `${refused} refused (insufficient_points), ${attempts - succeeded - refused} other, ` +
        `final balance ${balance.availablePoints}, in ${elapsedMs} ms; ${counts.attempts} commit attempts, ` +
        `${counts.tickets} writers queued (pure retrying would take about ${(attempts * attempts) / 2} attempts)`,
    );
    expect(succeeded).toBe(50);
    // The queue keeps the cost linear: at most one first attempt and one turn per writer, plus the few a writer that
    // did not queue displaces.
    expect(counts.attempts).toBeLessThan(2 * attempts);
    expect(refused).toBe(150);
    expect(balance.availablePoints).toBe(0);
    expect(entries.reduce((sum, e) => sum + (e.amountPoints as number), 0)).toBe(0);
    expect(entries.filter((e) => e.type === 'redeem')).toHaveLength(50);
    expect(items.filter((i) => i.kind === 'event').map((e) => e.seq)).toEqual(
      Array.from({ length: 52 }, (_, i) => i + 1),
    );
  }, 180_000);

  it('serves 150 concurrent redemptions of 1 on 100 points from three containers: 100 paid, 50 refused', async () => {
    // Prepare: three containers (services with their own store client and lanes) on one member.
    const memberId = await enrolMember(service, 't1', `hot-${Date.now()}`);
    const seed = { key: `seed-${memberId}`, requestHash: 'h' };
    await service.earn('t1', memberId, seed, { amountPoints: 100, reason: 'seed' });
    const containers = Array.from({ length: 3 }, () => {
      const store = new DynamoLedgerStore(local.documents, local.tableName);
      const counts = countCommits(store);
      return { counts, service: new LedgerService(store, fixedProgrammes(), systemClock, ledgerReplies) };
    });
    const attempts = 150;
    let retries = 0;
    /** A caller that retries a 409 concurrent_update with the same Idempotency-Key, as its Retry-After says. */
    const redeemUntilAnswered = async (i: number): Promise<Reply> => {
      for (;;) {
        try {
          return await containers[i % containers.length]!.service.redeem(
            't1',
            memberId,
            { key: `hot-${memberId}-${i}`, requestHash: `r${i}` },
            { amountPoints: 1, reason: 'hot' },
          );
        } catch (error) {
          if (!(error instanceof Problem) || error.code !== 'concurrent_update') throw error;
          retries += 1;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };

    // Act
    const outcomes = await Promise.all(Array.from({ length: attempts }, (_, i) => redeemUntilAnswered(i)));
    const replays = await Promise.all(Array.from({ length: attempts }, (_, i) => redeemUntilAnswered(i)));

    // Assess
    const code = (reply: Reply) => (reply.body as { code?: string }).code;
    const paid = outcomes.filter((o) => o.statusCode === 201);
    const refused = outcomes.filter((o) => o.statusCode === 422 && code(o) === 'insufficient_points');
    const items = await partition(memberId);
    const balance = items.find((i) => i.kind === 'balance')!;
    const entries = items.filter((i) => i.kind === 'entry');
    const groups = containers.reduce((sum, c) => sum + c.counts.groups, 0);
    console.log(
      `hot member, 3 containers: ${attempts} redemptions of 1 on 100 points: ${paid.length} paid, ` +
        `${refused.length} refused, ${retries} client retries, ${groups} group commit attempts carrying ` +
        `${containers.reduce((sum, c) => sum + c.counts.grouped, 0)} commands (replays included), ` +
        `${containers.reduce((sum, c) => sum + c.counts.tickets, 0)} queue tickets`,
    );
    expect(paid).toHaveLength(100);
    expect(refused).toHaveLength(50);
    expect(balance.availablePoints).toBe(0);
    expect(entries.reduce((sum, e) => sum + (e.amountPoints as number), 0)).toBe(0);
    expect(items.filter((i) => i.kind === 'event').map((e) => e.seq)).toEqual(
      Array.from({ length: 102 }, (_, i) => i + 1),
    );
    // Each command kept its own reply: a retry replays it, and the paid ones name distinct entries.
    expect(replays.map((r) => [r.statusCode, r.replayed])).toEqual(outcomes.map((o) => [o.statusCode, true]));
    expect(replays.map((r) => JSON.stringify(r.body))).toEqual(outcomes.map((o) => JSON.stringify(o.body)));
    expect(new Set(paid.map((o) => (o.body as { entry: { entryId: string } }).entry.entryId)).size).toBe(100);
  }, 180_000);
});
