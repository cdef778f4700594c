import { generateKeyPairSync, sign } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { KmsPublicKeySet, KmsTokenSigner, LocalTokenKeys } from '../../functions/adapters/token-keys';
import { verifyBearerToken, type BearerTokenDirectory } from '../../functions/api/bearer-token';
import { DEFAULT_TENANT_LIMITS } from '../../functions/domain/credentials';
import { signJwt } from '../../functions/domain/jws';
import { accessTokenClaims } from '../../functions/domain/oauth';
import type { OAuthClientCredential } from '../../functions/domain/oauth-clients';

const ISSUER = 'https://api.example.com';
const AUDIENCE = `${ISSUER}/v1`;
const pem = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

const activeClient: OAuthClientCredential = {
  clientId: 'occ_1',
  tenantId: 'acme',
  name: 'ETL',
  scopes: ['members:read', 'points:write'],
  status: 'active',
  createdAt: '2026-01-01T00:00:00Z',
  secrets: [],
  version: 1,
};

function directory(
  overrides: {
    client?: Partial<OAuthClientCredential>;
    tenantStatus?: 'active' | 'suspended';
    tenantMissing?: boolean;
  } = {},
) {
  return {
    findCredential: () => Promise.resolve({ ...activeClient, ...overrides.client }),
    getTenant: (tenantId: string) =>
      Promise.resolve(
        overrides.tenantMissing
          ? null
          : {
              tenantId,
              name: 'Acme',
              status: overrides.tenantStatus ?? ('active' as const),
              limits: DEFAULT_TENANT_LIMITS,
              createdAt: '2026-01-01T00:00:00Z',
              updatedAt: '2026-01-01T00:00:00Z',
            },
      ),
  } satisfies BearerTokenDirectory;
}

function tokenClaims(overrides: Record<string, unknown> = {}) {
  return {
    ...accessTokenClaims({
      issuer: ISSUER,
      audience: AUDIENCE,
      clientId: 'occ_1',
      tenantId: 'acme',
      scopes: ['members:read', 'points:write'],
      issuedAtSeconds: Math.floor(Date.now() / 1000),
      tokenId: 'tok_1',
    }),
    ...overrides,
  };
}

/** The principal a token stands for, as the authorizer's bearer path verifies it. */
const principalOf = async (...args: Parameters<typeof verifyBearerToken>) =>
  (await verifyBearerToken(...args)).verdict.principal;

describe('bearer tokens in the authorizer', () => {
  const keys = new LocalTokenKeys(pem());
  const verifier = { publicKeys: keys, issuer: ISSUER, audience: AUDIENCE };

  it('takes tenant and scopes from a valid token', async () => {
    // Act
    const principal = await principalOf(await signJwt(tokenClaims(), keys), verifier, directory());

    // Assess
    expect(principal).toEqual({
      kind: 'tenant',
      tenantId: 'acme',
      credentialId: 'occ_1',
      scopes: ['members:read', 'points:write'],
    });
  });

  it('drops scopes the client no longer holds', async () => {
    const principal = await principalOf(
      await signJwt(tokenClaims(), keys),
      verifier,
      directory({ client: { scopes: ['members:read'] } }),
    );
    expect(principal.scopes).toEqual(['members:read']);
  });

  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ['another issuer', { iss: 'https://evil.example.com' }, {}],
    ['another audience', { aud: 'https://api.example.com/other' }, {}],
    ['an expired token', { iat: now() - 3600, nbf: now() - 3600, exp: now() - 60 }, {}],
    ['a token not valid yet', { nbf: now() + 600 }, {}],
    ['no tenant claim', { tenant_id: undefined }, {}],
    ['a revoked client', {}, { client: { status: 'revoked' as const } }],
    ['a client of another tenant', {}, { client: { tenantId: 'other' } }],
    ['an unknown tenant', {}, { tenantMissing: true }],
  ])('refuses %s', async (_name, claims, state) => {
    const token = await signJwt(tokenClaims(claims), keys);
    await expect(principalOf(token, verifier, directory(state))).rejects.toThrow('Unauthorized');
  });

  it('refuses a token signed by a key outside the JWKS, and one of another type', async () => {
    const stranger = new LocalTokenKeys(pem());
    await expect(principalOf(await signJwt(tokenClaims(), stranger), verifier, directory())).rejects.toThrow(
      'Unauthorized',
    );
    await expect(principalOf(await signJwt(tokenClaims(), keys, 'JWT'), verifier, directory())).rejects.toThrow(
      'Unauthorized',
    );
  });
});

describe('KMS signing', () => {
  it('signs with KMS Sign and publishes GetPublicKey, so the token verifies against the JWKS', async () => {
    // Prepare: KMS stood in by a key pair: Sign answers DER as KMS does, GetPublicKey the SPKI DER.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kms = mockClient(KMSClient);
    kms
      .on(SignCommand)
      .callsFake((input: { Message: Uint8Array }) => ({ Signature: sign('sha256', input.Message, privateKey) }));
    kms.on(GetPublicKeyCommand, { KeyId: 'key-a' }).resolves({
      PublicKey: publicKey.export({ format: 'der', type: 'spki' }),
    });
    kms
      .on(GetPublicKeyCommand, { KeyId: 'key-b' })
      .rejects(Object.assign(new Error('disabled'), { name: 'DisabledException' }));
    const client = new KMSClient({ region: 'eu-west-1' });

    // Act
    const token = await signJwt({ sub: 'occ_1' }, new KmsTokenSigner(client, 'key-a'));
    const jwks = await new KmsPublicKeySet(client, ['key-a', 'key-b']).jwks();

    // Assess: one key published (the unreadable slot left out), and it verifies the token.
    expect(jwks.keys).toHaveLength(1);
    await expect(jwtVerify(token, createLocalJWKSet(jwks))).resolves.toBeDefined();
    expect(kms.commandCalls(SignCommand)[0]!.args[0].input).toMatchObject({
      KeyId: 'key-a',
      MessageType: 'RAW',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    kms.restore();
  });
});
