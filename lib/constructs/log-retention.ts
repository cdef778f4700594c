import * as logs from 'aws-cdk-lib/aws-logs';
import { logRetentionDays } from '../../functions/declaration/topology';

/** The topology's log retention as CloudWatch Logs accepts it (only certain day counts are valid). */
export function logRetention(days: number = logRetentionDays): logs.RetentionDays {
  const valid = Object.values(logs.RetentionDays).filter(
    (value): value is logs.RetentionDays => typeof value === 'number',
  );
  const found = new Map<number, logs.RetentionDays>(valid.map((value) => [value, value])).get(days);
  if (found === undefined) throw new Error(`CloudWatch Logs cannot keep logs for ${days} days`);
  return found;
}
