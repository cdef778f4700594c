import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditTrail } from '../../functions/adapters/dynamo-audit-trail';
import { DynamoLedgerStore } from '../../functions/adapters/dynamo-ledger-store';
import { DynamoOfferStore } from '../../functions/adapters/dynamo-offer-store';
import { DynamoRewardStore } from '../../functions/adapters/dynamo-reward-store';
import { DynamoTenantStore } from '../../functions/adapters/dynamo-tenant-store';
import { catalogueReplies } from '../../functions/api/catalogue-views';
import { importRowApplier } from '../../functions/api/import-rows';
import type { CommandServices } from '../../functions/api/inbound-commands';
import { ledgerReplies } from '../../functions/api/ledger-views';
import type { ImportRowApplier, ImportRowOutcome } from '../../functions/domain/import-rows';
import { keys } from '../../functions/domain/keys';
import type { Balance, LedgerEntry } from '../../functions/domain/ledger';
import { LedgerService } from '../../functions/domain/ledger-service';
import { programmeSettings } from '../../functions/domain/programme';
import { RewardCatalogue } from '../../functions/domain/reward-catalogue';
import { newTenant } from '../../functions/domain/tenants';
import { systemClock } from '../../functions/shared/clock';
import { fixedProgrammes } from '../support/memory-ledger-store';
import { useLocalTable } from '../support/local-table';

/**
 * Import rows applied to DynamoDB Local through the applier an import job calls, with the command worker's services:
 * 20 members with opening balances (lots, some expired), tiers and history, then every row again (nothing changes),
 * then bad rows, each with its code.
 */
const TENANT = 'imp-t1';
const DAY_MS = 86_400_000;
const MEMBERS = 20;
const TIERS = ['blue', 'silver', 'gold'] as const;
const THRESHOLDS = { blue: 0, silver: 2000, gold: 10000 };
const ladder = programmeSettings.parse({
  tiers: {
    window: { kind: 'rolling', days: 365 },
    tiers: TIERS.map((tierId) => ({ tierId, name: tierId, thresholdPoints: THRESHOLDS[tierId], benefits: {} })),
  },
});

let apply: ImportRowApplier;
let ledger: LedgerService;
const local = useLocalTable(({ documents, tableName }) => {
  const store = new DynamoLedgerStore(documents, tableName);
  ledger = new LedgerService(store, fixedProgrammes(ladder), systemClock, ledgerReplies);
  // As the command worker composes them (functions/composition/batches.ts), with this test's programme.
  const services: CommandServices = {
    ledger,
    offers: new DynamoOfferStore(documents, tableName),
    catalogue: new RewardCatalogue(new DynamoRewardStore(documents, tableName), store, systemClock, catalogueReplies),
    audit: new DynamoAuditTrail(documents, tableName),
    clock: systemClock,
    tenantStore: new DynamoTenantStore(documents, tableName),
  };
  apply = importRowApplier(services, (tenantId, externalId) => store.findMemberIdByExternalId(tenantId, externalId));
});

const iso = (ms: number) => new Date(ms).toISOString();
const start = Date.now();
const asOf = iso(start - 3 * DAY_MS);
const liveExpiry = iso(start + 200 * DAY_MS);
const pastExpiry = iso(start - 30 * DAY_MS);

/** A member's rows in file order: member, opening balance, three history lines. */
function memberRows(i: number): Record<string, unknown>[] {
  const externalId = `crm-${String(i).padStart(4, '0')}`;
  const tier = TIERS[i % 3]!;
  return [
    {
      type: 'member',
      externalId,
      email: `m${i}@example.com`,
      firstName: `First${i}`,
      segments: i % 2 ? ['vip'] : [],
      enrolledAt: `2019-04-${String((i % 28) + 1).padStart(2, '0')}T10:00:00+02:00`,
    },
    {
      type: 'opening_balance',
      externalId,
      asOf,
      lots: [
        { points: 100 * (i + 1), expiresAt: liveExpiry },
        { points: 7, expiresAt: pastExpiry },
        ...(i % 2 ? [{ points: i, expiresAt: null }] : []),
      ],
      lifetimePoints: 20000 + i,
      qualifyingPoints: THRESHOLDS[tier] + i,
      tier,
    },
    ...(['earn', 'redeem', 'expire'] as const).map((kind, n) => ({
      type: 'transaction',
      externalId,
      transactionId: `old-${i}-${n}`,
      occurredAt: `2024-0${n + 1}-15T08:30:00-05:00`,
      kind,
      points: 10 * (n + 1),
      source: 'legacy-pms',
    })),
  ];
}

/** Each member's rows in order, members in parallel, as an import job applies a file. */
async function applyFile(members: Record<string, unknown>[][]): Promise<ImportRowOutcome[][]> {
  return Promise.all(
    members.map(async (rows, i) => {
      const outcomes: ImportRowOutcome[] = [];
      for (const [n, row] of rows.entries())
        outcomes.push(await apply(TENANT, row, { importId: 'imp_1', line: i * 5 + n }));
      return outcomes;
    }),
  );
}

async function scan(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await local.documents.send(
      new ScanCommand({ TableName: local.tableName, ExclusiveStartKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const id = (item: Record<string, unknown>) => `${String(item.pk)}\n${String(item.sk)}`;
  return items.sort((a, b) => (id(a) < id(b) ? -1 : 1));
}

async function partition(memberId: string) {
  const { Items = [] } = await local.documents.send(
    new QueryCommand({
      TableName: local.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.memberPk(TENANT, memberId) },
      ConsistentRead: true,
    }),
  );
  return {
    balance: Items.find((item) => item.kind === 'balance') as unknown as Balance,
    entries: Items.filter((item) => item.kind === 'entry') as unknown as LedgerEntry[],
    events: Items.filter((item) => item.kind === 'event'),
  };
}

describe('import rows on DynamoDB Local', () => {
  const file = Array.from({ length: MEMBERS }, (_, i) => memberRows(i));

  beforeAll(async () => {
    await new DynamoTenantStore(local.documents, local.tableName).createTenant(
      newTenant({ tenantId: TENANT, name: 'Imports' }, new Date(start)),
    );
  });

  it('loads members, opening balances with lots and tiers, and history with its original times', async () => {
    // Act
    const outcomes = await applyFile(file);

    // Assess
    expect(outcomes.flat().map((o) => o.outcome)).toEqual(Array(MEMBERS * 5).fill('applied'));
    for (const [i, rows] of outcomes.entries()) {
      const memberId = (rows[0] as { memberId: string }).memberId;
      expect(rows.every((o) => (o as { memberId: string }).memberId === memberId)).toBe(true);
      const { balance, entries, events } = await partition(memberId);
      const live = 100 * (i + 1) + (i % 2 ? i : 0);
      expect(balance).toMatchObject({ availablePoints: live, pendingPoints: 0, lifetimePoints: 20000 + i, seq: 2 });
      expect(balance.lots.reduce((sum, lot) => sum + lot.points, 0)).toBe(balance.availablePoints);
      expect(balance.lots.map((lot) => lot.expiresAt)).toEqual(i % 2 ? [liveExpiry, null] : [liveExpiry]);
      expect(balance.tierState).toMatchObject({ tierId: TIERS[i % 3], since: asOf, graceUntil: null });
      expect(balance.tierState.reviewAt).toBe(i % 3 ? iso(Date.parse(asOf) + 365 * DAY_MS) : null);
      expect(entries).toEqual([
        expect.objectContaining({
          type: 'opening_balance',
          amountPoints: live,
          asOf,
          expiredLots: [{ points: 7, expiresAt: pastExpiry }],
          availableAfter: live,
        }),
      ]);
      expect(events.map((event) => event.type)).toEqual(['member.enrolled', 'member.imported']);
      expect(events[0]).toMatchObject({ data: { enrolledAt: iso(Date.parse(String(file[i]![0]!.enrolledAt))) } });
      expect(events[1]).toMatchObject({
        seq: 2,
        data: {
          entryId: entries[0]!.entryId,
          amountPoints: live,
          expiredPoints: 7,
          tier: TIERS[i % 3],
          importId: 'imp_1',
        },
      });
      const history = await ledger.listHistory(TENANT, memberId, { limit: 10, order: 'asc' });
      expect(history.items.map((line) => [line.transactionId, line.type, line.amountPoints, line.occurredAt])).toEqual([
        [`old-${i}-0`, 'earn', 10, '2024-01-15T13:30:00.000Z'],
        [`old-${i}-1`, 'redeem', -20, '2024-02-15T13:30:00.000Z'],
        [`old-${i}-2`, 'expire', -30, '2024-03-15T13:30:00.000Z'],
      ]);
      expect(history.items.every((line) => line.recordedAt >= iso(start))).toBe(true);
    }
  });

  it('answers unchanged for every row applied again and leaves the table as it was', async () => {
    // Prepare
    const before = await scan();

    // Act
    const outcomes = await applyFile(file);

    // Assess
    expect(outcomes.flat().map((o) => o.outcome)).toEqual(Array(MEMBERS * 5).fill('unchanged'));
    expect(await scan()).toEqual(before);
  });

  it('refuses each bad row with its code, changing nothing, and the same again the next time', async () => {
    // Prepare
    const [m1, m2, m3] = [file[1]!, file[2]!, file[3]!];
    const bad: [Record<string, unknown> | unknown[], string][] = [
      [{ type: 'voucher', externalId: 'crm-0001' }, 'invalid_row'],
      [[], 'invalid_row'],
      [{ ...m1[1], lots: [{ points: 0, expiresAt: null }] }, 'invalid_row'],
      [{ ...m1[2], occurredAt: 'yesterday' }, 'invalid_row'],
      [{ ...m1[0], firstName: 'Someone else' }, 'member_exists_different'],
      [{ ...m2[1], lifetimePoints: 99999 }, 'opening_balance_exists'],
      [{ ...m2[1], tier: 'platinum', externalId: 'crm-0002' }, 'unknown_tier'],
      [{ ...m3[2], points: 11 }, 'transaction_already_posted'],
      [{ ...m3[1], externalId: 'crm-ghost' }, 'member_not_found'],
      [{ ...m3[3], externalId: 'crm-ghost' }, 'member_not_found'],
    ];
    const before = await scan();
    const applyAll = async () => {
      const codes: string[] = [];
      for (const [n, [row]] of bad.entries()) {
        const outcome = await apply(TENANT, row, { importId: 'imp_2', line: n + 1 });
        codes.push(outcome.outcome === 'rejected' ? outcome.code : outcome.outcome);
      }
      return codes;
    };

    // Act
    const first = await applyAll();
    const afterFirst = await scan();
    const second = await applyAll();

    // Assess: refusals a row could fix change nothing; a refusal of a planned change is remembered by its key only.
    expect(first).toEqual(bad.map(([, code]) => code));
    expect(second).toEqual(first);
    const added = afterFirst.filter((item) => !before.some((old) => old.pk === item.pk && old.sk === item.sk));
    expect(added.every((item) => item.kind === 'idempotency')).toBe(true);
    expect(await scan()).toEqual(afterFirst);
  });

  it('records no history for an erased member', async () => {
    // Prepare
    const rows = memberRows(MEMBERS);
    const { memberId } = (await apply(TENANT, rows[0], { importId: 'imp_3', line: 1 })) as { memberId: string };
    await ledger.erase(TENANT, memberId, { key: `erase-${memberId}`, requestHash: 'erase' });

    // Act
    const outcome = await apply(TENANT, rows[2], { importId: 'imp_3', line: 2 });
    const direct = ledger.importHistory(
      TENANT,
      memberId,
      { key: 'history-after-erasure', requestHash: 'h' },
      { transactionId: 'old-x', kind: 'earn', points: 5, occurredAt: '2024-01-01T00:00:00.000Z' },
    );

    // Assess: the external id was released by the erasure; the member id is refused by the commit's condition.
    expect(outcome).toMatchObject({ outcome: 'rejected', code: 'member_not_found' });
    await expect(direct).rejects.toMatchObject({ code: 'member_erased' });
    expect((await ledger.listHistory(TENANT, memberId, { limit: 10, order: 'asc' })).items).toEqual([]);
  });
});
