import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { firehosePrefix, metadataExtractionQuery } from '../../functions/declaration/lake-partitioning';
import type { StageSettings } from '../../functions/declaration/stages';
import { rawEvents } from '../../functions/declaration/topology';
import { logRetention } from './log-retention';
import { dataRemovalPolicy } from './removal-policy';

/** What the lake takes from the stage's settings. */
export type RawEventsLakeProps = Pick<StageSettings, 'lakeBuffering' | 'logRetentionDays' | 'removalPolicy'>;

/**
 * Raw events to the data lake: a Firehose delivery stream (direct PUT from the lake router)
 * that partitions records by the event's own tenant, type, date and hour, and writes gzip NDJSON
 * files to a versioned, encrypted, private bucket that Snowpipe (or any lake loader) reads.
 */
export class RawEventsLake extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  /** Where S3 writes the lake bucket's server access logs, and the key they are encrypted with. */
  readonly accessLogsBucket: s3.Bucket;
  readonly accessLogsKey: kms.Key;
  readonly deliveryStream: firehose.CfnDeliveryStream;
  /** Name and ARN of the delivery stream, for environment variables and grants. */
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  /** The bucket's request-metrics filter on the error prefix (`FilterId` of its `AWS/S3` metrics). */
  readonly errorsMetricsFilterId = 'raw-events-errors';

  constructor(scope: Construct, id: string, props: RawEventsLakeProps) {
    super(scope, id);
    assertDynamicPartitioningBuffering(props.lakeBuffering);
    const removalPolicy = dataRemovalPolicy(props.removalPolicy);
    // A bucket with objects cannot be deleted: where the stage removes its data, CDK empties the buckets first.
    const autoDeleteObjects = props.removalPolicy === 'destroy';

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the raw-event files of the data lake',
      enableKeyRotation: true,
      removalPolicy,
    });

    // Server access logs may go to a bucket encrypted with a customer-managed key (not the AWS-managed aws/s3 key,
    // which the logging service cannot use). CDK lets the logging service principal use the key in its key policy,
    // so it gets a key of its own: that grant then reaches access logs and nothing else.
    this.accessLogsKey = new kms.Key(this, 'AccessLogsKey', {
      description: 'Encrypts the server access logs of the data lake bucket',
      enableKeyRotation: true,
      removalPolicy,
    });
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.accessLogsKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy,
      autoDeleteObjects,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.logRetentionDays) }],
    });
    this.accessLogsBucket = accessLogs;

    this.bucket = new s3.Bucket(this, rawEvents.bucketId, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket instead of per object: far fewer KMS calls for many small files.
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'raw-events/',
      // No Firehose metric counts the records written under the error prefix: S3's request metrics on it do.
      metrics: [{ id: this.errorsMetricsFilterId, prefix: errorPrefixRoot(rawEvents.errorPrefix) }],
      removalPolicy,
      autoDeleteObjects,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        // The files are the lake's raw archive: current versions stay, superseded ones go.
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) },
        {
          id: 'archive-tiering',
          transitions: [{ storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(30) }],
        },
      ],
    });

    const logGroup = new logs.LogGroup(this, 'DeliveryLogs', { retention: logRetention(props.logRetentionDays) });
    const logStream = new logs.LogStream(this, 'DeliveryLogStream', { logGroup });

    const objectsArn = this.bucket.arnForObjects('*');
    // Inline policy: created with the role, so it exists before Firehose checks its access.
    const role = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': Aws.ACCOUNT_ID } },
      }),
      description: 'Lets the raw-event delivery stream write files to the lake bucket',
      inlinePolicies: {
        delivery: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
              resources: [this.bucket.bucketArn],
            }),
            new iam.PolicyStatement({
              actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
              resources: [objectsArn],
            }),
            new iam.PolicyStatement({
              actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
              resources: [this.key.keyArn],
              conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
            }),
            new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
          ],
        }),
      },
    });
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    NagSuppressions.addResourceSuppressions(role, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Firehose names each file itself (partition prefix plus a generated suffix), so it may write any object ' +
          'key in this one bucket; it can reach no other bucket.',
        appliesTo: [`Resource::<${bucketLogicalId}.Arn>/*`],
      },
    ]);

    this.deliveryStream = new firehose.CfnDeliveryStream(this, rawEvents.id, {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: firehosePrefix(rawEvents.prefixTemplate, rawEvents.partitionKeys),
        errorOutputPrefix: rawEvents.errorPrefix,
        compressionFormat: rawEvents.compression,
        fileExtension: rawEvents.fileExtension,
        bufferingHints: {
          intervalInSeconds: props.lakeBuffering.intervalSeconds,
          sizeInMBs: props.lakeBuffering.sizeMiB,
        },
        dynamicPartitioningConfiguration: { enabled: true },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'MetadataExtraction',
              parameters: [
                {
                  parameterName: 'MetadataExtractionQuery',
                  parameterValue: metadataExtractionQuery(rawEvents.partitionKeys),
                },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
          ],
        },
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: this.key.keyArn } },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
        s3BackupMode: 'Disabled',
      },
    });
    this.deliveryStreamName = this.deliveryStream.ref;
    this.deliveryStreamArn = this.deliveryStream.attrArn;
  }
}

/** The fixed start of Firehose's error prefix, before its first expression: `errors/`. */
function errorPrefixRoot(errorPrefix: string): string {
  const [root = ''] = errorPrefix.split('!{');
  if (!root.endsWith('/')) throw new Error(`The error prefix ${errorPrefix} must start with a fixed folder`);
  return root;
}

/** Firehose refuses dynamic partitioning below 64 MiB / 60 s, and any stream above 128 MiB / 900 s. */
function assertDynamicPartitioningBuffering({
  intervalSeconds,
  sizeMiB,
}: {
  intervalSeconds: number;
  sizeMiB: number;
}): void {
  if (intervalSeconds < 60 || intervalSeconds > 900 || sizeMiB < 64 || sizeMiB > 128) {
    throw new Error(`Raw-event buffering ${sizeMiB} MiB / ${intervalSeconds} s is outside 64–128 MiB and 60–900 s`);
  }
}
