/**
 * Per-tenant read access to the lake: which prefixes a tenant's data team may read and the policy of the role it
 * assumes. Plain data and pure functions (no CDK), so the rules are unit-tested and the stack only turns them into
 * resources (`lib/constructs/tenant-lake-access.ts`; readers are configured in `lib/lake-readers.ts`).
 */
import type { ResolvedStatement } from './iam-policy';
import { rawEvents } from './topology';

/** Root of the scheduled exports' files (`exports/tenant=<t>/export=<id>/window=<start>/…`). */
export const EXPORTS_ROOT = 'exports/';

/** Root of the raw-event files (`events/`): what precedes the tenant, which must be the first partition. */
const EVENTS_ROOT = rawEvents.prefixTemplate.slice(0, rawEvents.prefixTemplate.indexOf('tenant={tenant}/'));
if (EVENTS_ROOT.includes('{') || !rawEvents.prefixTemplate.startsWith(`${EVENTS_ROOT}tenant={tenant}/`)) {
  throw new Error('Per-tenant lake access needs the tenant as the first partition of the raw-event prefix');
}

/** The prefixes one tenant's readers may list and read, each ending in `/` (so `acme` never reaches `acme2`). */
export function tenantLakePrefixes(tenantId: string): { events: string; exports: string } {
  return { events: `${EVENTS_ROOT}tenant=${tenantId}/`, exports: `${EXPORTS_ROOT}tenant=${tenantId}/` };
}

/** The same prefixes with a placeholder, for the stack outputs a data team reads. */
export const lakePrefixTemplates = tenantLakePrefixes('<tenantId>');

/** Where one deployment's lake is: resolved to ARNs in a test, to CDK tokens in the stack. */
export interface LakeAccessTargets {
  bucketArn: string;
  keyArn: string;
  region: string;
}

/**
 * The identity policy of a tenant's reader role: read (any version of) the objects under the tenant's prefixes,
 * list the bucket only with such a prefix, and decrypt with the lake key only through S3. The key cannot be
 * narrowed to a prefix (with S3 Bucket Keys the encryption context is the bucket ARN); S3 narrows the reads.
 */
export function lakeReaderPolicy(
  tenantId: string,
  { bucketArn, keyArn, region }: LakeAccessTargets,
): ResolvedStatement[] {
  const prefixes = Object.values(tenantLakePrefixes(tenantId));
  return [
    {
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: prefixes.map((prefix) => `${bucketArn}/${prefix}*`),
    },
    {
      actions: ['s3:ListBucket'],
      resources: [bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
    },
    // Snowflake asks for the bucket's region before it lists; the location is all it reveals.
    { actions: ['s3:GetBucketLocation'], resources: [bucketArn] },
    {
      actions: ['kms:Decrypt'],
      resources: [keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
    },
  ];
}
