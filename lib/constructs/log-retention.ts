import * as logs from 'aws-cdk-lib/aws-logs';

/** A stage's log retention (`logRetentionDays` in stages.ts) as CloudWatch Logs accepts it (certain day counts). */
export function logRetention(days: number): logs.RetentionDays {
  const valid = Object.values(logs.RetentionDays).filter(
    (value): value is logs.RetentionDays => typeof value === 'number',
  );
  const found = new Map<number, logs.RetentionDays>(valid.map((value) => [value, value])).get(days);
  if (found === undefined) throw new Error(`CloudWatch Logs cannot keep logs for ${days} days`);
  return found;
}
