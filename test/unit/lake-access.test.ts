import { lakeReaderPolicy, tenantLakePrefixes } from '../../functions/declaration/lake-access';
import { LAKE_READERS_MAX, parseLakeReaders } from '../../lib/lake-readers';
import { isAllowed, type ResolvedStatement } from '../../functions/declaration/iam-policy';

/** The `lakeReaders` context value and the reader policy's rules, without a synth. */

const STACK = 'LoyaltyLedger-prod';
const ACME = {
  tenantId: 'acme',
  principalArn: 'arn:aws:iam::123456789012:user/abc1-b-self1234',
  externalId: 'ACME_SFCRole=2_kPvM0tLv2iAIs2tWUK0GV1Y7c5M=',
};
const parse = (value: unknown) => parseLakeReaders(value, STACK);

describe('parseLakeReaders', () => {
  it('reads nothing as no readers', () => {
    expect([parse(undefined), parse(''), parse('[]'), parse([])]).toEqual([[], [], [], []]);
  });

  it('reads a JSON string (the command line) and an array (cdk.json) alike, naming each role after the stack', () => {
    // Act
    const fromString = parse(JSON.stringify([ACME]));
    const fromArray = parse([ACME]);

    // Assess
    expect(fromString).toEqual([{ ...ACME, roleName: 'LoyaltyLedger-prod-lake-acme' }]);
    expect(fromArray).toEqual(fromString);
  });

  it('keeps a role name given for a tenant whose default name would be too long', () => {
    // Prepare
    const tenantId = `t${'x'.repeat(50)}`;

    // Act / Assess
    expect(() => parse([{ ...ACME, tenantId }])).toThrow(`role name '${STACK}-lake-${tenantId}' of tenant ${tenantId}`);
    expect(parse([{ ...ACME, tenantId, roleName: 'lake-long-tenant' }])[0]?.roleName).toBe('lake-long-tenant');
  });

  it.each([
    ['an IAM role with a path', 'arn:aws:iam::123456789012:role/data/loader'],
    ['an account', 'arn:aws:iam::123456789012:root'],
    ['a user in another partition', 'arn:aws-cn:iam::123456789012:user/sf'],
  ])('accepts %s as principal', (_, principalArn) => {
    expect(parse([{ ...ACME, principalArn }])[0]?.principalArn).toBe(principalArn);
  });

  it.each([
    ['a value that is not an array', '{"tenantId":"acme"}', 'lakeReaders: Invalid input: expected array'],
    ['a missing external id', [{ tenantId: 'acme', principalArn: ACME.principalArn }], 'lakeReaders.0.externalId'],
    ['a tenant id with a slash', [{ ...ACME, tenantId: 'ac/me' }], "lakeReaders.0.tenantId: letters, digits, '-'"],
    ['a wildcard principal', [{ ...ACME, principalArn: 'arn:aws:iam::*:root' }], 'lakeReaders.0.principalArn'],
    ['a bucket as principal', [{ ...ACME, principalArn: 'arn:aws:s3:::lake' }], 'lakeReaders.0.principalArn'],
    ['a one-character external id', [{ ...ACME, externalId: 'x' }], 'lakeReaders.0.externalId: 2–256'],
    ['an unknown field', [{ ...ACME, prefix: 'events/' }], 'Unrecognized key: "prefix"'],
    ['a tenant twice, in other case', [ACME, { ...ACME, tenantId: 'Acme' }], 'tenant Acme is listed twice'],
    ['a role name twice', [ACME, { ...ACME, tenantId: 'b', roleName: `${STACK}-lake-ACME` }], 'used twice'],
  ])('refuses %s, naming the entry and field', (_, value, message) => {
    expect(() => parse(typeof value === 'string' ? value : JSON.stringify(value))).toThrow(message);
  });

  it(`takes ${LAKE_READERS_MAX} readers and refuses one more`, () => {
    // Prepare
    const readers = (count: number) => Array.from({ length: count }, (_, i) => ({ ...ACME, tenantId: `t${i}` }));

    // Act / Assess
    expect(parse(readers(LAKE_READERS_MAX))).toHaveLength(LAKE_READERS_MAX);
    expect(() => parse(readers(LAKE_READERS_MAX + 1))).toThrow(`at most ${LAKE_READERS_MAX} readers per stack`);
  });
});

describe('lakeReaderPolicy', () => {
  const BUCKET = 'arn:aws:s3:::lake';
  const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/k';
  const policy = lakeReaderPolicy('acme', { bucketArn: BUCKET, keyArn: KEY, region: 'eu-west-1' });

  it('covers the tenant events and exports prefixes, each closed by a slash', () => {
    expect(tenantLakePrefixes('acme')).toEqual({ events: 'events/tenant=acme/', exports: 'exports/tenant=acme/' });
  });

  it.each([
    ['s3:GetObject', `${BUCKET}/events/tenant=acme/date=2026-12-02/hour=20/f.ndjson.gz`, {}, true],
    ['s3:GetObject', `${BUCKET}/events/tenant=acme-eu/date=2026-12-02/hour=20/f.ndjson.gz`, {}, false],
    ['s3:ListBucket', BUCKET, { 's3:prefix': 'exports/tenant=acme/export=exp_1/' }, true],
    ['s3:ListBucket', BUCKET, { 's3:prefix': 'exports/' }, false],
    ['s3:GetBucketLocation', BUCKET, {}, true],
    ['kms:Decrypt', KEY, { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' }, true],
    ['kms:Decrypt', KEY, { 'kms:ViaService': 's3.us-east-1.amazonaws.com' }, false],
  ])('%s on %s with %j: %s', (action, resource, context, allowed) => {
    expect(isAllowed(policy, action, resource, context)).toBe(allowed);
  });
});

describe('isAllowed with conditions', () => {
  const policy: ResolvedStatement[] = [
    { actions: ['s3:ListBucket'], resources: ['arn:aws:s3:::b'], conditions: { StringLike: { 's3:prefix': 'a/*' } } },
    { actions: ['kms:Decrypt'], resources: ['*'], conditions: { Null: { 'kms:EncryptionContext:tenantId': 'false' } } },
    { actions: ['kms:Sign'], resources: ['*'], conditions: { NumericLessThan: { 'aws:MultiFactorAuthAge': '60' } } },
  ];

  it('ignores conditions when asked without a context, as the twin asks', () => {
    expect(isAllowed(policy, 's3:ListBucket', 'arn:aws:s3:::b')).toBe(true);
  });

  it('evaluates them against a context, condition keys ignoring case', () => {
    expect(isAllowed(policy, 's3:ListBucket', 'arn:aws:s3:::b', { 'S3:Prefix': 'a/b/' })).toBe(true);
    expect(isAllowed(policy, 's3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'b/' })).toBe(false);
    expect(isAllowed(policy, 'kms:Decrypt', 'k', { 'kms:EncryptionContext:tenantId': 't' })).toBe(true);
    expect(isAllowed(policy, 'kms:Decrypt', 'k', {})).toBe(false);
  });

  it('refuses to guess an operator it does not model', () => {
    expect(() => isAllowed(policy, 'kms:Sign', 'k', {})).toThrow('Condition operator NumericLessThan is not modelled');
  });
});
