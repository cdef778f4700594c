import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

/**
 * A DynamoDB transaction that was cancelled: the reasons, one per action in the order sent
 * (`Code` 'None' for an action that passed), and the error to rethrow when no reason applies.
 */
export class CancelledTransaction {
  constructor(
    readonly error: Error,
    readonly reasons: CancellationReason[],
  ) {}

  /** True when the action at `index` failed its condition (the state was not what it expected). */
  conditionFailedAt(index: number): boolean {
    return this.reasons[index]?.Code === 'ConditionalCheckFailed';
  }

  /** The indexes of the actions whose condition failed. */
  failedConditions(): number[] {
    return this.reasons.flatMap((_, index) => (this.conditionFailedAt(index) ? [index] : []));
  }

  /** True when some action failed its condition. */
  get conditionFailed(): boolean {
    return this.failedConditions().length > 0;
  }

  /** True when another transaction touched the same items at the same time (a retry may pass). */
  get conflicted(): boolean {
    return this.reasons.some((reason) => reason.Code === 'TransactionConflict');
  }
}

/**
 * Awaits a TransactWriteItems: null when it committed, a `CancelledTransaction` when DynamoDB
 * cancelled it; any other error throws. The one way adapters read a cancelled transaction.
 * @example
 * const cancelled = await cancelledTransaction(client.send(new TransactWriteCommand({ TransactItems })));
 * if (cancelled?.conditionFailedAt(TransactItems.length - 1)) return false; // the idempotency record exists
 * if (cancelled) throw cancelled.error;
 */
export async function cancelledTransaction(write: Promise<unknown>): Promise<CancelledTransaction | null> {
  try {
    await write;
    return null;
  } catch (error) {
    if ((error as Error).name !== 'TransactionCanceledException') throw error;
    const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
    return new CancelledTransaction(error as Error, reasons);
  }
}

/**
 * Sends one TransactWriteItems and reads it as `cancelledTransaction` does: null when it
 * committed, a `CancelledTransaction` when DynamoDB cancelled it; any other error throws.
 * @example
 * const cancelled = await transactWrite(this.client, [{ Update: update }, { Put: put }]);
 * if (cancelled?.conditionFailedAt(0)) return 'stale';
 */
export const transactWrite = (
  client: DynamoDBDocumentClient,
  items: NonNullable<TransactWriteCommandInput['TransactItems']>,
): Promise<CancelledTransaction | null> =>
  cancelledTransaction(client.send(new TransactWriteCommand({ TransactItems: items })));
