import { generateKeyPairSync, sign } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, createLocalJWKSet } from 'jose';
import { LocalTokenKeys } from '../../functions/adapters/token-keys';
import { derToJose, signJwt } from '../../functions/domain/jws';
import {
  ACCESS_TOKEN_LIFETIME_SECONDS,
  accessTokenClaims,
  grantedScopes,
  OAuthError,
  oauthErrorAnswer,
  parseTokenRequest,
} from '../../functions/domain/oauth';
import { hashClientSecret, secretMatches, type OAuthClientCredential } from '../../functions/domain/oauth-clients';

const FORM = 'application/x-www-form-urlencoded';
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** The error a token request is refused with, or undefined when it is accepted. */
function refusal(input: Parameters<typeof parseTokenRequest>[0]) {
  try {
    parseTokenRequest(input);
    return undefined;
  } catch (error) {
    if (error instanceof OAuthError) return error.code;
    throw error;
  }
}

describe('token requests (RFC 6749 §4.4.2)', () => {
  it('takes the client from HTTP Basic or from the form, and the scope narrowing', () => {
    // Act
    const byBasic = parseTokenRequest({
      contentType: `${FORM}; charset=utf-8`,
      authorization: basic('occ_1', 's:e/c r+t'),
      body: 'grant_type=client_credentials&scope=members%3Aread+points%3Awrite',
    });
    const byForm = parseTokenRequest({
      contentType: FORM,
      authorization: undefined,
      body: 'grant_type=client_credentials&client_id=occ_1&client_secret=lcs_x',
    });

    // Assess
    expect(byBasic).toEqual({
      clientId: 'occ_1',
      clientSecret: 's:e/c r+t',
      authMethod: 'client_secret_basic',
      requestedScopes: ['members:read', 'points:write'],
    });
    expect(byForm).toEqual({ clientId: 'occ_1', clientSecret: 'lcs_x', authMethod: 'client_secret_post' });
  });

  it.each([
    ['a JSON body', { contentType: 'application/json', body: '{}' }, 'invalid_request'],
    ['no grant_type', { body: 'client_id=a&client_secret=b' }, 'invalid_request'],
    [
      'a repeated parameter',
      { body: 'grant_type=client_credentials&grant_type=client_credentials' },
      'invalid_request',
    ],
    ['another grant', { body: 'grant_type=password&client_id=a&client_secret=b' }, 'unsupported_grant_type'],
    ['no client authentication', { body: 'grant_type=client_credentials' }, 'invalid_client'],
    ['a secret without id', { body: 'grant_type=client_credentials&client_secret=b' }, 'invalid_client'],
    [
      'Basic and a form secret at once',
      { authorization: basic('a', 'b'), body: 'grant_type=client_credentials&client_secret=b' },
      'invalid_request',
    ],
    ['malformed Basic', { authorization: 'Basic !!!', body: 'grant_type=client_credentials' }, 'invalid_client'],
  ])('refuses %s', (_name, input, code) => {
    expect(refusal({ contentType: FORM, authorization: undefined, ...input })).toBe(code);
  });

  it('grants what is asked when the client holds it, all it holds when nothing is asked, else invalid_scope', () => {
    const held = ['members:read', 'points:write'];
    expect(grantedScopes(held)).toEqual(held);
    expect(grantedScopes(held, ['points:write'])).toEqual(['points:write']);
    expect(() => grantedScopes(held, ['members:erase'])).toThrow(expect.objectContaining({ code: 'invalid_scope' }));
    expect(() => grantedScopes(held, ['admin'])).toThrow(expect.objectContaining({ code: 'invalid_scope' }));
  });
});

describe('token errors (RFC 6749 §5.2)', () => {
  it.each([
    ['invalid_request', 400],
    ['invalid_client', 401],
    ['invalid_grant', 400],
    ['unauthorized_client', 400],
    ['unsupported_grant_type', 400],
    ['invalid_scope', 400],
  ] as const)('answers %s with %i as JSON, never cached', (code, status) => {
    // Act
    const answer = oauthErrorAnswer(new OAuthError(code, 'why'), 'client_secret_post');

    // Assess
    expect(answer.statusCode).toBe(status);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(answer.body)).toEqual({ error: code, error_description: 'why' });
    expect(answer.headers).not.toHaveProperty('www-authenticate');
  });

  it('asks a client that used HTTP Basic to authenticate again (WWW-Authenticate)', () => {
    const answer = oauthErrorAnswer(new OAuthError('invalid_client', 'no'), 'client_secret_basic');
    expect(answer.statusCode).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });
});

describe('access token claims', () => {
  it('names issuer, audience, client, tenant and scope, and lives 15 minutes from now', () => {
    const claims = accessTokenClaims({
      issuer: 'https://api.example.com',
      audience: 'https://api.example.com/v1',
      clientId: 'occ_1',
      tenantId: 'acme',
      scopes: ['members:read', 'points:write'],
      issuedAtSeconds: 1_800_000_000,
      tokenId: 'tok_1',
    });
    expect(claims).toEqual({
      iss: 'https://api.example.com',
      aud: 'https://api.example.com/v1',
      sub: 'occ_1',
      client_id: 'occ_1',
      tenant_id: 'acme',
      scope: 'members:read points:write',
      iat: 1_800_000_000,
      nbf: 1_800_000_000,
      exp: 1_800_000_000 + 900,
      jti: 'tok_1',
    });
    expect(ACCESS_TOKEN_LIFETIME_SECONDS).toBe(900);
  });
});

describe('DER to JOSE signatures', () => {
  it('turns node’s DER ECDSA signatures into the r||s that verifies as ES256', async () => {
    // Prepare: many signatures, so short r or s (leading zero bytes) and 33-byte ones (sign padding) occur.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = createLocalJWKSet({
      keys: [{ ...publicKey.export({ format: 'jwk' }), alg: 'ES256', kid: 'k' }],
    });

    for (let i = 0; i < 200; i++) {
      // Act
      const token = await signJwt(
        { i },
        { keyId: () => Promise.resolve('k'), signDer: (m) => Promise.resolve(sign('sha256', m, privateKey)) },
      );

      // Assess
      const { payload } = await jwtVerify(token, jwks, { algorithms: ['ES256'] });
      expect(payload.i).toBe(i);
    }
  });

  it('pads short integers and drops the sign byte', () => {
    const r = [0x00, 0x80, ...new Array<number>(31).fill(1)]; // 33 bytes: sign padding
    const s = [0x05]; // 1 byte: left-padded to 32
    const der = Uint8Array.from([0x30, 2 + r.length + 2 + s.length, 0x02, r.length, ...r, 0x02, s.length, ...s]);
    const jose = derToJose(der);
    expect(jose.length).toBe(64);
    expect([...jose.subarray(0, 32)]).toEqual(r.slice(1));
    expect([...jose.subarray(32)]).toEqual([...new Array<number>(31).fill(0), 5]);
  });

  it.each([
    ['not a SEQUENCE', [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['a wrong length', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['trailing bytes', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]],
    ['an INTEGER too large', [0x30, 0x26, 0x02, 0x22, ...new Array<number>(34).fill(1), 0x02, 0x00]],
  ])('refuses %s', (_name, bytes) => {
    expect(() => derToJose(Uint8Array.from(bytes))).toThrow(/DER signature/);
  });

  it('signs locally through the same DER path, with the key’s thumbprint as kid', async () => {
    // Prepare
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keys = new LocalTokenKeys(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());

    // Act
    const token = await signJwt({ sub: 'x' }, keys);

    // Assess
    const { keys: published } = await keys.jwks();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: published[0]!.kid });
    await expect(jwtVerify(token, createLocalJWKSet({ keys: published }))).resolves.toBeDefined();
  });
});

describe('client secrets', () => {
  const credential = (secrets: OAuthClientCredential['secrets']): OAuthClientCredential => ({
    clientId: 'occ_1',
    tenantId: 'acme',
    name: 'ETL',
    scopes: ['members:read'],
    status: 'active',
    createdAt: '2026-01-01T00:00:00Z',
    secrets,
    version: 1,
  });
  const now = new Date('2026-06-01T00:00:00Z');

  it('accepts the current secret and an old one until its overlap ends, nothing else', () => {
    const client = credential([
      { hash: hashClientSecret('new') },
      { hash: hashClientSecret('old'), validUntil: '2026-06-01T01:00:00Z' },
      { hash: hashClientSecret('older'), validUntil: '2026-05-31T23:00:00Z' },
    ]);
    expect(secretMatches(client, 'new', now)).toBe(true);
    expect(secretMatches(client, 'old', now)).toBe(true);
    expect(secretMatches(client, 'older', now)).toBe(false);
    expect(secretMatches(client, 'other', now)).toBe(false);
    expect(secretMatches(client, '', now)).toBe(false);
  });
});
