import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { LAKE_READERS_MAX } from '../../lib/lake-readers';
import { isAllowed, type RequestContext, type ResolvedStatement } from '../../functions/declaration/iam-policy';
import { addLoyaltyPlatform } from '../../lib/loyalty-app';
import { logicalId, removeAssembly, synthesize, type Synthesized } from './synth';
import { render, WORST } from './worst-case';

/**
 * Per-tenant read access to the lake (`-c lakeReaders=…`): each tenant's role reads its own prefixes and nothing
 * else, proven by evaluating the synthesized policies (tokens rendered to a real deployment's ARNs), and the
 * number of readers stays within what one template holds.
 */

const ACME = {
  tenantId: 'acme',
  principalArn: 'arn:aws:iam::123456789012:user/abc1-b-self1234',
  externalId: 'ACME_SFCRole=2_a=',
};
const GLOBEX = {
  tenantId: 'glo-bex',
  principalArn: 'arn:aws:iam::210987654321:root',
  externalId: 'globex-external-id',
};
/** CloudFormation's per-template limits, and IAM's default for a role's trust policy and its inline policies. */
const MAX_OUTPUTS = 200;
const MAX_RESOURCES = 500;
const MAX_TEMPLATE_BYTES = 1_000_000;
const MAX_TRUST_POLICY_CHARS = 2_048;
const MAX_INLINE_POLICY_CHARS = 10_240;
/** Skips bundling the functions: these syntheses check templates only. */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

let synth: Synthesized;
let worst: Synthesized;
const rendered = (value: unknown, s: Synthesized = synth) => render(value, s.stack.stackName, s.resources);

/** A worst case: a custom domain, Snowpipe, the maximum of readers, one of them with every field at its longest. */
function worstCaseReaders() {
  const longest = {
    tenantId: `t${'x'.repeat(63)}`,
    principalArn: `arn:aws-us-gov:iam::123456789012:user/${'p'.repeat(400)}/${'u'.repeat(64)}`,
    externalId: 'e'.repeat(256),
    roleName: 'r'.repeat(64),
  };
  const others = Array.from({ length: LAKE_READERS_MAX - 1 }, (_, index) => ({
    tenantId: `tenant-${String(index).padStart(3, '0')}`,
    principalArn: ACME.principalArn,
    externalId: `ext-${index}`,
  }));
  return [longest, ...others];
}

beforeAll(() => {
  synth = synthesize('test', { context: { ...NO_BUNDLING, lakeReaders: JSON.stringify([ACME, GLOBEX]) } });
  worst = synthesize('production-eu-west-1', {
    context: {
      ...NO_BUNDLING,
      lakeReaders: JSON.stringify(worstCaseReaders()),
      domainName: 'api.loyalty.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012',
      snowpipeSqsArn: 'arn:aws:sqs:eu-west-1:123456789012:sf-snowpipe-AIDAEXAMPLE-abcdEFGH',
    },
  });
});
afterAll(() => {
  removeAssembly(synth);
  removeAssembly(worst);
});

/** A reader role's template resource. */
function roleOf(tenantId: string, s: Synthesized = synth) {
  const role = s.stack.lakeAccess.roles[tenantId];
  if (!role) throw new Error(`no reader role for ${tenantId}`);
  return s.resources[logicalId(s.stack, role)]!;
}

/** A reader role's inline policy as deployed: every token rendered to the ARN AWS would put there. */
function deployedPolicy(tenantId: string): ResolvedStatement[] {
  const [document] = roleOf(tenantId).Properties!.Policies as { PolicyDocument: { Statement: any[] } }[];
  return rendered(document!.PolicyDocument.Statement).map((statement: Record<string, any>) => {
    expect(statement.Effect).toBe('Allow');
    return {
      actions: [statement.Action].flat(),
      resources: [statement.Resource].flat(),
      conditions: statement.Condition,
    };
  });
}

const bucketArn = () => rendered({ 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.lake.bucket), 'Arn'] });
const keyArn = () =>
  rendered({ 'Fn::GetAtt': [synth.stack.getLogicalId(synth.stack.lake.key.node.defaultChild as never), 'Arn'] });
const object = (key: string) => `${bucketArn()}/${key}`;
const viaS3: RequestContext = { 'kms:ViaService': `s3.${WORST.region}.amazonaws.com` };

describe('a tenant reader role', () => {
  it("names its own tenant's prefixes and never another tenant's", () => {
    // Act
    const acme = JSON.stringify(roleOf('acme').Properties!.Policies);
    const globex = JSON.stringify(roleOf('glo-bex').Properties!.Policies);

    // Assess
    expect(acme).toContain('events/tenant=acme/*');
    expect(acme).toContain('exports/tenant=acme/*');
    expect(acme).not.toContain('glo-bex');
    expect(globex).toContain('events/tenant=glo-bex/*');
    expect(globex).not.toMatch(/tenant=acme/);
  });

  it.each([
    ['reads its own events', 's3:GetObject', 'events/tenant=acme/date=2026-12-02/hour=20/f-1.ndjson.gz', true],
    [
      'reads an older version of its own file',
      's3:GetObjectVersion',
      'events/tenant=acme/date=2026-12-02/hour=20/f',
      true,
    ],
    [
      'reads its own exports',
      's3:GetObject',
      'exports/tenant=acme/export=exp_1/window=20261202T2000Z/part-00000.ndjson.gz',
      true,
    ],
    [
      "cannot read another tenant's events",
      's3:GetObject',
      'events/tenant=glo-bex/date=2026-12-02/hour=20/f.ndjson.gz',
      false,
    ],
    [
      "cannot read another tenant's exports",
      's3:GetObject',
      'exports/tenant=glo-bex/export=exp_1/window=x/part-00000',
      false,
    ],
    [
      'cannot read a tenant whose id starts with its own',
      's3:GetObject',
      'events/tenant=acme2/date=2026-12-02/hour=20/f',
      false,
    ],
    [
      'cannot read the error prefix (records of every tenant)',
      's3:GetObject',
      'errors/processing-failed/date=2026-12-02/f',
      false,
    ],
    ['cannot write to its own prefix', 's3:PutObject', 'events/tenant=acme/date=2026-12-02/hour=20/f', false],
    ['cannot delete its own files', 's3:DeleteObject', 'events/tenant=acme/date=2026-12-02/hour=20/f', false],
  ])('%s', (_, action, key, allowed) => {
    expect(isAllowed(deployedPolicy('acme'), action, object(key), {})).toBe(allowed);
  });

  it.each([
    ['its events prefix', 'events/tenant=acme/', true],
    ['inside its events prefix', 'events/tenant=acme/date=2026-12-02/', true],
    ['its exports prefix', 'exports/tenant=acme/', true],
    ["another tenant's prefix", 'events/tenant=glo-bex/', false],
    ['a prefix that would match acme2 too', 'events/tenant=acme', false],
    ['the root of the events', 'events/', false],
  ])('lists the bucket with %s: %s', (_, prefix, allowed) => {
    expect(isAllowed(deployedPolicy('acme'), 's3:ListBucket', bucketArn(), { 's3:prefix': prefix })).toBe(allowed);
  });

  it('cannot list the bucket without a prefix', () => {
    expect(isAllowed(deployedPolicy('acme'), 's3:ListBucket', bucketArn(), {})).toBe(false);
  });

  it('decrypts with the lake key through S3 only, and no other key', () => {
    const policy = deployedPolicy('acme');
    expect(isAllowed(policy, 'kms:Decrypt', keyArn(), viaS3)).toBe(true);
    expect(isAllowed(policy, 'kms:Decrypt', keyArn(), {})).toBe(false);
    expect(isAllowed(policy, 'kms:Decrypt', keyArn(), { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' })).toBe(
      false,
    );
    expect(isAllowed(policy, 'kms:GenerateDataKey', keyArn(), viaS3)).toBe(false);
    expect(isAllowed(policy, 'kms:Decrypt', keyArn().replace(/key\/.*/, 'key/other'), viaS3)).toBe(false);
  });

  it('may be assumed by its principal only, with its external id', () => {
    expect(roleOf('acme').Properties!.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: ACME.principalArn },
        Condition: { StringEquals: { 'sts:ExternalId': ACME.externalId } },
      },
    ]);
    expect(roleOf('acme').Properties!.RoleName).toBe('LoyaltyLedger-test-lake-acme');
  });

  it('needs no bucket or key policy statement: the bucket policy only denies plain HTTP, the key trusts IAM', () => {
    // Prepare
    const bucketPolicies = Object.values(synth.resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
    const lakeBucketPolicy = bucketPolicies.find(
      (p) => p.Properties!.Bucket.Ref === logicalId(synth.stack, synth.stack.lake.bucket),
    )!;
    const keyPolicy =
      synth.resources[synth.stack.getLogicalId(synth.stack.lake.key.node.defaultChild as never)]!.Properties!.KeyPolicy;

    // A dev-settings stack (removal `destroy`) also lets CDK's bucket-emptying provider delete objects: not a reader.
    const emptying = (statement: any) =>
      JSON.stringify(statement.Principal ?? {}).includes('CustomS3AutoDeleteObjectsCustomResourceProviderRole');

    // Assess
    expect(
      lakeBucketPolicy
        .Properties!.PolicyDocument.Statement.filter((s: any) => !emptying(s))
        .map((s: any) => [s.Effect, s.Condition]),
    ).toEqual([['Deny', { Bool: { 'aws:SecureTransport': 'false' } }]]);
    expect(rendered(keyPolicy.Statement)).toContainEqual({
      Action: 'kms:*',
      Effect: 'Allow',
      Principal: { AWS: `arn:${WORST.partition}:iam::${WORST.account}:root` },
      Resource: '*',
    });
  });
});

describe('stack outputs', () => {
  it('name the bucket, the prefix layout, and each reader role with its prefixes', () => {
    // Prepare
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const bucket = rendered({ Ref: logicalId(synth.stack, synth.stack.lake.bucket) });
    const value = (name: string) => rendered(outputs[name]?.Value);

    // Assess
    expect(value('LakeBucketName')).toBe(bucket);
    expect(value('LakeEventsPrefixTemplate')).toBe('events/tenant=<tenantId>/');
    expect(value('LakeExportsPrefixTemplate')).toBe('exports/tenant=<tenantId>/');
    expect(value('LakeReaderacmeRoleArn')).toBe(
      `arn:${WORST.partition}:iam::${WORST.account}:role/LoyaltyLedger-test-lake-acme`,
    );
    expect(value('LakeReaderacmePrefixes')).toBe(
      `s3://${bucket}/events/tenant=acme/ s3://${bucket}/exports/tenant=acme/`,
    );
    // A tenant id with characters outputs cannot carry gets its letters and digits plus a hash of the whole id.
    expect(Object.keys(outputs).filter((name) => name.startsWith('LakeReaderglobex'))).toEqual([
      expect.stringMatching(/^LakeReaderglobex[0-9a-f]{8}RoleArn$/),
      expect.stringMatching(/^LakeReaderglobex[0-9a-f]{8}Prefixes$/),
    ]);
  });

  it('are the three lake outputs alone when no reader is configured', () => {
    // Act
    const app = new App({ context: { stage: 'test', ...NO_BUNDLING } });
    const stack = addLoyaltyPlatform(app);
    const { template } = app.synth().getStackByName(stack.stackName);

    // Assess
    expect(Object.keys(stack.lakeAccess.roles)).toEqual([]);
    const outputs = Object.keys((template as { Outputs: object }).Outputs).filter((name) => name.startsWith('Lake'));
    expect(outputs.sort()).toEqual(['LakeBucketName', 'LakeEventsPrefixTemplate', 'LakeExportsPrefixTemplate']);
  });
});

describe('limits', () => {
  it(`fits ${LAKE_READERS_MAX} readers with every option on in one template`, () => {
    // Act
    const template = worst.template.toJSON();
    const outputs = Object.keys(template.Outputs).length;
    const resources = Object.keys(template.Resources).length;
    const bytes = Buffer.byteLength(JSON.stringify(template));

    // Assess
    console.log(`lake readers ${LAKE_READERS_MAX}: ${outputs} outputs, ${resources} resources, ${bytes} B`);
    expect(Object.keys(worst.stack.lakeAccess.roles)).toHaveLength(LAKE_READERS_MAX);
    expect(outputs).toBeLessThanOrEqual(MAX_OUTPUTS);
    expect(resources).toBeLessThanOrEqual(MAX_RESOURCES);
    expect(bytes).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
  });

  it("keeps the longest reader's trust and inline policies within IAM's default sizes", () => {
    // Prepare: IAM counts characters without whitespace
    const role = roleOf(`t${'x'.repeat(63)}`, worst).Properties!;
    const trust = JSON.stringify(rendered(role.AssumeRolePolicyDocument, worst));
    const inline = JSON.stringify(rendered(role.Policies[0].PolicyDocument, worst));

    // Assess
    console.log(`longest reader: trust policy ${trust.length} chars, inline policy ${inline.length} chars`);
    expect(trust.length).toBeLessThanOrEqual(MAX_TRUST_POLICY_CHARS);
    expect(inline.length).toBeLessThanOrEqual(MAX_INLINE_POLICY_CHARS);
  });

  it(`refuses more than ${LAKE_READERS_MAX} readers at synth`, () => {
    const readers = Array.from({ length: LAKE_READERS_MAX + 1 }, (_, index) => ({ ...ACME, tenantId: `t${index}` }));
    expect(() =>
      addLoyaltyPlatform(new App({ context: { stage: 'test', ...NO_BUNDLING, lakeReaders: JSON.stringify(readers) } })),
    ).toThrow(`lakeReaders: at most ${LAKE_READERS_MAX} readers per stack`);
  });
});

describe('configuration', () => {
  it.each([
    ['not JSON', '[{', /lakeReaders must be a JSON array/],
    [
      'a wildcard principal',
      JSON.stringify([{ ...ACME, principalArn: '*' }]),
      /lakeReaders\.0\.principalArn: an IAM user/,
    ],
    ['an external id with a space', JSON.stringify([{ ...ACME, externalId: 'a b' }]), /lakeReaders\.0\.externalId/],
    ['the same tenant twice', JSON.stringify([ACME, { ...ACME, tenantId: 'ACME' }]), /tenant ACME is listed twice/],
  ])('fails the synth on %s, naming the problem', (_, lakeReaders, message) => {
    expect(() => addLoyaltyPlatform(new App({ context: { stage: 'test', ...NO_BUNDLING, lakeReaders } }))).toThrow(
      message,
    );
  });

  it('adds no cdk-nag finding with readers, each wildcard suppressed with its reason on the role', () => {
    const annotations = Annotations.fromStack(synth.stack);
    const findings = [
      ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];
    expect(findings.map((finding) => finding.id)).toEqual([]);
    expect(roleOf('acme').Metadata.cdk_nag.rules_to_suppress).toEqual([
      expect.objectContaining({
        id: 'AwsSolutions-IAM5',
        applies_to: [
          `Resource::<${logicalId(synth.stack, synth.stack.lake.bucket)}.Arn>/events/tenant=acme/*`,
          `Resource::<${logicalId(synth.stack, synth.stack.lake.bucket)}.Arn>/exports/tenant=acme/*`,
        ],
      }),
    ]);
  });
});
