import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoLedgerStore } from '../../functions/adapters/dynamo-ledger-store';
import { ledgerReplies } from '../../functions/api/ledger-views';
import { keys } from '../../functions/domain/keys';
import { LedgerService } from '../../functions/domain/ledger-service';
import { systemClock } from '../../functions/shared/clock';
import { countCommits, enrolMember } from '../support/ledger-helpers';
import { fixedProgrammes } from '../support/memory-ledger-store';
import { useLocalTable } from '../support/local-table';

/**
 * Containers that plan on the balance they last committed, on DynamoDB Local: a balance another
 * container has changed since fails the version condition and costs a retry, never a wrong balance.
 */
const local = useLocalTable();

/** A container: its own store client, lanes and balance memory. */
function container() {
  const store = new DynamoLedgerStore(local.documents, local.tableName);
  const counts = countCommits(store);
  let reads = 0;
  const getBalance = store.getBalance.bind(store);
  store.getBalance = (tenantId, memberId) => {
    reads += 1;
    return getBalance(tenantId, memberId);
  };
  const service = new LedgerService(store, fixedProgrammes(), systemClock, ledgerReplies, {
    balanceMemoryMs: 60_000,
  });
  return { service, counts, reads: () => reads };
}

async function partition(memberId: string) {
  const { Items } = await local.documents.send(
    new QueryCommand({
      TableName: local.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.memberPk('t1', memberId) },
      ConsistentRead: true,
    }),
  );
  const items = Items ?? [];
  const entries = items.filter((i) => i.kind === 'entry');
  return { balance: items.find((i) => i.kind === 'balance')!, entries };
}

const drained = () => new Promise((resolve) => setImmediate(resolve));

describe('balance memory on DynamoDB Local', () => {
  it('commits on the current balance after a stale memory cost one failed transaction', async () => {
    // Prepare: A remembers the balance after its earn; B earns after it.
    const [a, b] = [container(), container()];
    const memberId = await enrolMember(a.service, 't1', `memory-${Date.now()}`);
    const earn = (c: ReturnType<typeof container>, key: string, amountPoints: number) =>
      c.service.earn('t1', memberId, { key: `${memberId}-${key}`, requestHash: key }, { amountPoints, reason: 'm' });
    await earn(a, 'a1', 10);
    await earn(b, 'b1', 5);
    await drained();
    const [attemptsBefore, readsBefore] = [a.counts.attempts, a.reads()];

    // Act
    const reply = await earn(a, 'a2', 7);

    // Assess
    const { balance, entries } = await partition(memberId);
    expect(reply.statusCode).toBe(201);
    expect(a.counts.attempts - attemptsBefore).toBe(2);
    expect(a.counts.tickets).toBe(0);
    expect(a.reads() - readsBefore).toBe(0);
    expect(balance).toMatchObject({ availablePoints: 22, seq: 4 });
    expect(entries.reduce((sum, e) => sum + (e.amountPoints as number), 0)).toBe(22);
  }, 60_000);

  it('keeps the balance equal to its entries when three containers earn on one member at once', async () => {
    // Prepare
    const containers = [container(), container(), container()];
    const memberId = await enrolMember(containers[0]!.service, 't1', `memory-hot-${Date.now()}`);
    const earns = 60;

    // Act: rounds of concurrent earns, so each container's memory goes stale between them.
    const replies = [];
    for (let round = 0; round < 4; round++) {
      replies.push(
        ...(await Promise.all(
          Array.from({ length: earns / 4 }, (_, i) => {
            const n = round * (earns / 4) + i;
            return containers[n % 3]!.service.earn(
              't1',
              memberId,
              { key: `${memberId}-${n}`, requestHash: `h${n}` },
              { amountPoints: n + 1, reason: 'm' },
            );
          }),
        )),
      );
      await drained();
    }

    // Assess
    const { balance, entries } = await partition(memberId);
    const total = (earns * (earns + 1)) / 2;
    expect(replies.every((r) => r.statusCode === 201)).toBe(true);
    expect(balance).toMatchObject({ availablePoints: total, seq: earns + 1 });
    expect(entries).toHaveLength(earns);
    expect(entries.reduce((sum, e) => sum + (e.amountPoints as number), 0)).toBe(total);
  }, 120_000);
});
