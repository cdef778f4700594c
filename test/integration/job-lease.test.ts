import { DynamoJobLease } from '../../functions/adapters/job-lease';
import { useLocalTable } from '../support/local-table';

let lease: DynamoJobLease;

useLocalTable(({ documents, tableName }) => {
  lease = new DynamoJobLease(documents, tableName);
});

describe('scheduled job lease on DynamoDB Local', () => {
  it('lets exactly one of many overlapping runs start', async () => {
    // Act
    const now = Date.now();
    const taken = await Promise.all(
      Array.from({ length: 8 }, (_, i) => lease.acquire('race', `run-${i}`, now, now + 60_000)),
    );

    // Assess
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it('is free again once its holder releases it, and only its holder can', async () => {
    // Prepare
    const now = Date.now();
    expect(await lease.acquire('release', 'first', now, now + 60_000)).toBe(true);

    // Act
    await lease.release('release', 'someone-else');
    const whileHeld = await lease.acquire('release', 'second', now, now + 60_000);
    await lease.release('release', 'first');
    const afterRelease = await lease.acquire('release', 'second', now, now + 60_000);

    // Assess
    expect([whileHeld, afterRelease]).toEqual([false, true]);
  });

  it('can be taken over when the holder ran out of time (a crashed run)', async () => {
    // Prepare
    const start = Date.now();
    expect(await lease.acquire('crash', 'crashed', start, start + 1_000)).toBe(true);

    // Act
    const beforeExpiry = await lease.acquire('crash', 'next', start + 500, start + 60_000);
    const afterExpiry = await lease.acquire('crash', 'next', start + 1_001, start + 60_000);

    // Assess
    expect([beforeExpiry, afterExpiry]).toEqual([false, true]);
  });
});
