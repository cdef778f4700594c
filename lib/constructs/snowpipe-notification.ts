import type * as s3 from 'aws-cdk-lib/aws-s3';
import { rawEvents } from '../../functions/declaration/topology';

/** An SQS queue ARN, as Snowflake names the queue its pipes listen on (`SHOW PIPES` → notification_channel). */
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/;

/** The folder above the raw-event partitions (`events/`): every event file and no error file is under it. */
export function rawEventsRootPrefix(): string {
  const fixed = rawEvents.prefixTemplate.slice(0, rawEvents.prefixTemplate.indexOf('{'));
  return fixed.slice(0, fixed.lastIndexOf('/') + 1);
}

/**
 * Tells Snowpipe of every new lake file: an S3 event notification (object created under the events prefix, so
 * the error prefix stays out) to the SQS queue Snowflake runs for the account. Set on the bucket resource itself
 * rather than through CDK's notification custom resource: no Lambda function and role exist only to configure
 * it. The queue belongs to Snowflake, whose queue policy already lets S3 send to it.
 */
export function notifySnowpipe(bucket: s3.Bucket, queueArn: string): void {
  if (!SQS_ARN.test(queueArn)) {
    throw new Error(`snowpipeSqsArn must be an SQS queue ARN (SHOW PIPES → notification_channel), got '${queueArn}'`);
  }
  const resource = bucket.node.defaultChild as s3.CfnBucket;
  resource.notificationConfiguration = {
    queueConfigurations: [
      {
        event: 's3:ObjectCreated:*',
        queue: queueArn,
        filter: { s3Key: { rules: [{ name: 'prefix', value: rawEventsRootPrefix() }] } },
      },
    ],
  };
}
