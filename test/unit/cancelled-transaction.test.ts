import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { cancelledTransaction } from '../../functions/adapters/cancelled-transaction';

const cancellation = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

describe('cancelledTransaction', () => {
  it('answers null for a committed transaction', async () => {
    // Act
    const cancelled = await cancelledTransaction(Promise.resolve({}));

    // Assess
    expect(cancelled).toBeNull();
  });

  it('reads which actions failed their condition, and whether another transaction conflicted', async () => {
    // Act
    const failed = await cancelledTransaction(
      Promise.reject(cancellation('None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed')),
    );
    const conflicted = await cancelledTransaction(Promise.reject(cancellation('TransactionConflict', 'None')));

    // Assess
    expect(failed!.failedConditions()).toEqual([1, 3]);
    expect([
      failed!.conditionFailed,
      failed!.conditionFailedAt(0),
      failed!.conditionFailedAt(3),
      failed!.conflicted,
    ]).toEqual([true, false, true, false]);
    expect([conflicted!.conditionFailed, conflicted!.conflicted]).toEqual([false, true]);
    expect(conflicted!.error).toBeInstanceOf(TransactionCanceledException);
  });

  it('throws any other error as it is', async () => {
    // Prepare
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });

    // Act
    const sent = cancelledTransaction(Promise.reject(throttled));

    // Assess
    await expect(sent).rejects.toBe(throttled);
  });
});
