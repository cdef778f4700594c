import { createHash } from 'node:crypto';
import { Aws, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { lakePrefixTemplates, lakeReaderPolicy, tenantLakePrefixes } from '../../functions/declaration/lake-access';
import type { LakeReader } from '../lake-readers';

export interface TenantLakeAccessProps {
  readonly bucket: s3.Bucket;
  /** The lake's key: readers decrypt with it through S3. Its key policy lets IAM policies of the account grant it. */
  readonly key: kms.Key;
  /** The configured readers (context `lakeReaders`, parsed by `parseLakeReaders`). */
  readonly readers: readonly LakeReader[];
}

/**
 * Read access to the lake, one tenant at a time: per reader, a role that only its principal may assume and only
 * with its external id (the Snowflake storage integration pattern), allowed to list and read the tenant's event
 * and export prefixes and nothing else. Stack outputs name the bucket, the prefix layout and each reader's role
 * and prefixes. Same-account roles need no bucket or key policy statement: the bucket policy only refuses
 * plain HTTP, and the key policy delegates to IAM.
 */
export class TenantLakeAccess extends Construct {
  /** Each reader's role, by tenant id. */
  readonly roles: Record<string, iam.Role> = {};

  constructor(scope: Construct, id: string, { bucket, key, readers }: TenantLakeAccessProps) {
    super(scope, id);
    this.output('LakeBucketName', bucket.bucketName, 'The lake bucket: raw events and scheduled exports');
    this.output('LakeEventsPrefixTemplate', lakePrefixTemplates.events, "A tenant's raw-event files");
    this.output('LakeExportsPrefixTemplate', lakePrefixTemplates.exports, "A tenant's scheduled-export files");

    const bucketLogicalId = Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    const outputKeys = new Set<string>();
    for (const reader of readers) {
      const { tenantId } = reader;
      const prefixes = Object.values(tenantLakePrefixes(tenantId));
      const policy = lakeReaderPolicy(tenantId, {
        bucketArn: bucket.bucketArn,
        keyArn: key.keyArn,
        region: Aws.REGION,
      });
      const role = new iam.Role(this, tenantId, {
        roleName: reader.roleName,
        assumedBy: new iam.ArnPrincipal(reader.principalArn).withConditions({
          StringEquals: { 'sts:ExternalId': reader.externalId },
        }),
        description: `Reads tenant ${tenantId}'s lake files (events and exports), for its data team`,
        // Inline: created with the role, so the first AssumeRole after the deploy already reads.
        inlinePolicies: {
          read: new iam.PolicyDocument({
            statements: policy.map(
              ({ actions, resources, conditions }) =>
                new iam.PolicyStatement({ actions: [...actions], resources: [...resources], conditions }),
            ),
          }),
        },
      });
      NagSuppressions.addResourceSuppressions(role, [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "A data team loads every file under its tenant's prefixes, named by Firehose and the export runs as " +
            'they are written; the trailing slash keeps other tenants (acme2 for acme) out.',
          appliesTo: prefixes.map((prefix) => `Resource::<${bucketLogicalId}.Arn>/${prefix}*`),
        },
      ]);
      this.roles[tenantId] = role;

      const outputKey = outputKeyOf(tenantId);
      if (outputKeys.has(outputKey)) throw new Error(`Two lake readers share the output name ${outputKey}`);
      outputKeys.add(outputKey);
      this.output(`LakeReader${outputKey}RoleArn`, role.roleArn, `Tenant ${tenantId}: the role its data team assumes`);
      this.output(
        `LakeReader${outputKey}Prefixes`,
        prefixes.map((prefix) => `s3://${bucket.bucketName}/${prefix}`).join(' '),
        `Tenant ${tenantId}: what its role may list and read`,
      );
    }
  }

  /** An output under exactly this name (not the path-and-hash CDK would make), so runbooks can name it. */
  private output(name: string, value: string, description: string): void {
    new CfnOutput(this, name, { value, description }).overrideLogicalId(name);
  }
}

/**
 * A tenant id as it may appear in an output name (letters and digits): itself when it has nothing else, or its
 * letters and digits plus a hash of the whole id, so `a-b` and `ab_` never meet.
 */
function outputKeyOf(tenantId: string): string {
  const alphanumeric = tenantId.replace(/[^A-Za-z0-9]/g, '');
  if (alphanumeric === tenantId) return tenantId;
  return `${alphanumeric}${createHash('sha256').update(tenantId).digest('hex').slice(0, 8)}`;
}
