import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { StageSettings } from '../../functions/declaration/stages';
import { importsBucket } from '../../functions/declaration/topology';
import { dataRemovalPolicy } from './removal-policy';

export interface ImportsBucketProps extends Pick<StageSettings, 'removalPolicy'> {
  /** Where S3 writes the bucket's server access logs (the lake's access-log bucket, under `imports/`). */
  readonly accessLogsBucket: s3.IBucket;
}

/**
 * The imports bucket (`importsBucket` in the topology): tenants upload their import files through presigned PUTs,
 * the import runner reads them and writes error reports beside them. Private, TLS only, encrypted with its own
 * rotating key (the signer of a presigned PUT is granted its data keys), and every object expires after the
 * declared days: the rows live in the ledger once applied, the file and its report are only kept for people to read.
 */
export class ImportsBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: ImportsBucketProps) {
    super(scope, id);
    const removalPolicy = dataRemovalPolicy(props.removalPolicy);
    this.key = new kms.Key(this, 'Key', {
      description: "Encrypts tenants' import files and their error reports",
      enableKeyRotation: true,
      removalPolicy,
    });
    this.bucket = new s3.Bucket(this, importsBucket.bucketId, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'imports/',
      removalPolicy,
      autoDeleteObjects: props.removalPolicy === 'destroy',
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-import-files', expiration: Duration.days(importsBucket.retentionDays) },
      ],
    });
  }
}
