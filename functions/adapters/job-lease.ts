import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { ttlAttribute } from '../shared/item-ttl';
import { applied } from './conditional-write';

/**
 * One run of a scheduled job at a time. EventBridge Scheduler may start a run while the last one
 * is still going (a slow run, a delayed or retried invocation); the later run finds the lease
 * taken and skips. A lease ends when its holder releases it or its time runs out (a crashed run).
 *
 * @example
 * const lease = new DynamoJobLease(client, tableName);
 * if (!(await lease.acquire('housekeeping', requestId, now, now + timeoutMs))) return { skipped: true };
 * try { await work(); } finally { await lease.release('housekeeping', requestId); }
 */
export class DynamoJobLease {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Takes the lease until `untilMs` unless another holder has it; true when taken. */
  async acquire(job: string, holder: string, nowMs: number, untilMs: number): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.jobLease(job),
            holder,
            leaseUntilMs: untilMs,
            // TTL cleans up the lease of a run that crashed, well after it ended.
            ...ttlAttribute(Math.ceil(untilMs / 1000) + 86_400),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntilMs < :now OR holder = :holder',
          ExpressionAttributeValues: { ':now': nowMs, ':holder': holder },
        }),
      ),
    );
  }

  /** Gives the lease back, if this holder still has it. */
  async release(job: string, holder: string): Promise<void> {
    await applied(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.jobLease(job),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }
}
