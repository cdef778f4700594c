/**
 * Who may read a tenant's lake files: the CDK context value `lakeReaders`, one entry per tenant naming its data
 * team's principal (e.g. the IAM user of a Snowflake storage integration) and the external id it presents. The
 * platform team grants access by deploying with the entry (no code change); a bad value fails `cdk synth`.
 */

import { z } from 'zod';
import { TENANT_ID_PATTERN } from '../functions/domain/tenants';

/**
 * How many readers one stack takes. Each reader is one resource of CloudFormation's 500 per template, and the rest
 * of the stack, with every option on, takes 465 (inbound queues and imports brought it there
 * from 409); 25 readers keep the worst case at 490. Outputs are not the bound (each reader adds two of the 200).
 * `test/infra/lake-access.test.ts` checks both. Raising it means moving the reader roles out of this template
 * (a nested stack of their own), since they are the one part of it that grows with configuration.
 */
export const LAKE_READERS_MAX = 25;

/** IAM: a role name has at most 64 characters of these; names are unique per account, ignoring case. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** Who may assume a reader role: an IAM user or role (Snowflake's is a user), or a whole account (`:root`). */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|(user|role)\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64})$/;
/** STS: an external id is 2–1224 of these; 256 keep the trust policy far below IAM's 2,048-character default. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,256}$/;

const lakeReader = z
  .object({
    tenantId: z.string().regex(TENANT_ID_PATTERN, "letters, digits, '-' and '_' (at most 64), starting alnum"),
    principalArn: z
      .string()
      .max(512)
      .regex(PRINCIPAL_ARN, 'an IAM user, role or account root ARN (Snowflake: STORAGE_AWS_IAM_USER_ARN)'),
    externalId: z
      .string()
      .regex(EXTERNAL_ID, '2–256 of letters, digits and _+=,.@:/- (Snowflake: STORAGE_AWS_EXTERNAL_ID)'),
    roleName: z.string().regex(ROLE_NAME, 'at most 64 of letters, digits and _+=,.@-').optional(),
  })
  .strict();

export type LakeReaderEntry = z.infer<typeof lakeReader>;

/** A reader as the stack builds it: its role's name settled. */
export interface LakeReader extends LakeReaderEntry {
  roleName: string;
}

const lakeReaders = z
  .array(lakeReader)
  .max(LAKE_READERS_MAX, `at most ${LAKE_READERS_MAX} readers per stack (CloudFormation's 200 outputs)`);

/** The default role name: predictable, so a data team can name it in its storage integration before deploy. */
export const defaultRoleName = (stackName: string, tenantId: string) => `${stackName}-lake-${tenantId}`;

/**
 * Reads the `lakeReaders` context value: a JSON array (a string on the command line, an array in cdk.json),
 * or nothing. Throws one message naming every problem, so a bad value fails `cdk synth`, not the deploy.
 * @example parseLakeReaders('[{"tenantId":"acme","principalArn":"arn:aws:iam::123456789012:user/sf",
 *   "externalId":"ACME_SFCRole=2_abc="}]', 'LoyaltyLedger-prod') // role LoyaltyLedger-prod-lake-acme
 */
export function parseLakeReaders(value: unknown, stackName: string): LakeReader[] {
  if (value === undefined || value === null || value === '') return [];
  let json: unknown = value;
  if (typeof value === 'string') {
    try {
      json = JSON.parse(value);
    } catch (error) {
      throw new Error(`lakeReaders must be a JSON array: ${(error as Error).message}`, { cause: error });
    }
  }
  const parsed = lakeReaders.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${['lakeReaders', ...issue.path].join('.')}: ${issue.message}`,
    );
    throw new Error(`Invalid lakeReaders context value: ${problems.join('; ')}`);
  }
  const readers = parsed.data.map((entry) => ({
    ...entry,
    roleName: entry.roleName ?? defaultRoleName(stackName, entry.tenantId),
  }));
  const problems = [
    ...readers
      .filter((reader) => !ROLE_NAME.test(reader.roleName))
      .map((r) => `role name '${r.roleName}' of tenant ${r.tenantId} is over 64 characters: set its roleName`),
    ...duplicates(readers.map((reader) => reader.tenantId)).map((id) => `tenant ${id} is listed twice`),
    ...duplicates(readers.map((reader) => reader.roleName)).map((name) => `role name ${name} is used twice`),
  ];
  if (problems.length > 0) throw new Error(`Invalid lakeReaders context value: ${problems.join('; ')}`);
  return readers;
}

/** Values that occur more than once, ignoring case (IAM role names, and so tenants, compare that way). */
function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = value.toLowerCase();
    if (!seen.has(key)) seen.add(key);
    else return true;
    return false;
  });
}
