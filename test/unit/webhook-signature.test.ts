import { createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import {
  generateSecret,
  generateSigningKeyPair,
  publicKeyOf,
  sign,
  signEd25519,
  signedHeaders,
  verify,
  type WebhookHeaders,
} from '../../functions/domain/webhooks/signature';

/** The receiver's time, in the Unix seconds a webhook timestamp carries. */
const atSeconds = (seconds: number) => new Date(seconds * 1000);

describe('Standard Webhooks signatures', () => {
  const vector = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestampSeconds: 1614265330,
    body: '{"test": 2432232314}',
  };

  /** Either scheme refuses a delivery checked past the tolerance, and one without its headers. */
  function expectStaleAndUnsignedRefused(
    credential: { secret: string } | { publicKey: string },
    headers: WebhookHeaders,
  ) {
    const late = { now: atSeconds(vector.timestampSeconds + 301) };
    expect(verify({ ...credential, headers: { ...headers }, body: vector.body, ...late })).toEqual({
      ok: false,
      reason: 'timestamp_out_of_tolerance',
    });
    expect(verify({ ...credential, headers: {}, body: vector.body })).toEqual({
      ok: false,
      reason: 'missing_headers',
    });
  }

  it('matches the official test vector', () => {
    expect(sign(vector)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies its own deliveries and rejects tampering, stale timestamps and wrong secrets', () => {
    // Prepare
    const headers = signedHeaders({
      secrets: [vector.secret],
      id: vector.id,
      timestampSeconds: vector.timestampSeconds,
      body: vector.body,
    });
    const at = { now: atSeconds(vector.timestampSeconds + 10) };

    // Act / Assess
    expect(verify({ secret: vector.secret, headers: { ...headers }, body: vector.body, ...at })).toEqual({ ok: true });
    expect(verify({ secret: vector.secret, headers: { ...headers }, body: '{"test": 1}', ...at })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
    expect(verify({ secret: generateSecret(), headers: { ...headers }, body: vector.body, ...at })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
    expectStaleAndUnsignedRefused({ secret: vector.secret }, headers);
  });

  it('signs with every active secret during rotation, and either verifies', () => {
    const previous = generateSecret();
    const next = generateSecret();
    const headers = signedHeaders({
      secrets: [next, previous],
      id: 'evt_1',
      timestampSeconds: 1_700_000_000,
      body: '{}',
    });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [previous, next]) {
      expect(verify({ secret, headers: { ...headers }, body: '{}', now: atSeconds(1_700_000_000) }).ok).toBe(true);
    }
  });

  it('generates whsec_ secrets of 24 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(generateSecret()).not.toBe(secret);
  });

  describe('ed25519 (v1a)', () => {
    const keys = generateSigningKeyPair();
    const delivery = { id: vector.id, timestampSeconds: vector.timestampSeconds, body: vector.body };
    const at = { now: atSeconds(vector.timestampSeconds + 10) };

    it('matches the Standard Webhooks Go library vector, given the key as a seed or in the 64-byte form', () => {
      // libraries/go/webhook_asymmetric_test.go (standard-webhooks PR #253): the spec itself has no v1a vector.
      const seed = 'whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=';
      const expected = 'v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==';
      const publicKey = publicKeyOf(seed);
      const seedAndPublicKey =
        'whsk_' +
        Buffer.concat([Buffer.from(seed.slice(5), 'base64'), Buffer.from(publicKey.slice(5), 'base64')]).toString(
          'base64',
        );

      expect(signEd25519({ secretKey: seed, ...delivery })).toBe(expected);
      expect(signEd25519({ secretKey: seedAndPublicKey, ...delivery })).toBe(expected);
      expect(publicKeyOf(seedAndPublicKey)).toBe(publicKey);
      const headers = {
        'webhook-id': vector.id,
        'webhook-timestamp': String(vector.timestampSeconds),
        'webhook-signature': expected,
      };
      expect(verify({ publicKey, headers, body: vector.body, ...at })).toEqual({ ok: true });
    });

    it('reads keys as raw RFC 8032 bytes: the RFC seed derives the RFC public key', () => {
      // RFC 8032 section 7.1, TEST 1.
      const secretKey =
        'whsk_' +
        Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex').toString('base64');
      expect(publicKeyOf(secretKey)).toBe(
        'whpk_' +
          Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64'),
      );
    });

    it('interoperates with any ed25519 implementation, both ways', () => {
      // Our signature checks out against a key object built on its own from the whpk_ bytes (SPKI, RFC 8410).
      const spki = Buffer.concat([
        Buffer.from('302a300506032b6570032100', 'hex'),
        Buffer.from(keys.publicKey.slice(5), 'base64'),
      ]);
      const theirKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      const signature = Buffer.from(signEd25519({ secretKey: keys.secretKey, ...delivery }).slice(4), 'base64');
      expect(
        nodeVerify(null, Buffer.from(`${vector.id}.${vector.timestampSeconds}.${vector.body}`), theirKey, signature),
      ).toBe(true);

      // And a signature made elsewhere verifies with our receiver given only its whpk_.
      const pair = generateKeyPairSync('ed25519');
      const theirPublicKey =
        'whpk_' + pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
      const theirSignature = nodeSign(
        null,
        Buffer.from(`${vector.id}.${vector.timestampSeconds}.${vector.body}`),
        pair.privateKey,
      ).toString('base64');
      const headers = {
        'webhook-id': vector.id,
        'webhook-timestamp': String(vector.timestampSeconds),
        'webhook-signature': `v1a,${theirSignature}`,
      };
      expect(verify({ publicKey: theirPublicKey, headers, body: vector.body, ...at })).toEqual({ ok: true });
    });

    it('verifies its own deliveries and rejects a tampered body, another key, another id or timestamp', () => {
      // Prepare
      const headers = signedHeaders({ secrets: [], signingKeys: [keys.secretKey], ...delivery });
      const check = (overrides: { publicKey?: string; body?: string; headers?: Record<string, string> }) =>
        verify({
          publicKey: overrides.publicKey ?? keys.publicKey,
          headers: { ...headers, ...overrides.headers },
          body: overrides.body ?? vector.body,
          ...at,
        });

      // Act / Assess
      expect(headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
      expect(check({})).toEqual({ ok: true });
      const rejected = { ok: false, reason: 'no_matching_signature' };
      expect(check({ body: '{"test": 2432232315}' })).toEqual(rejected);
      expect(check({ publicKey: generateSigningKeyPair().publicKey })).toEqual(rejected);
      expect(check({ headers: { 'webhook-id': 'msg_other' } })).toEqual(rejected);
      expect(check({ headers: { 'webhook-timestamp': String(vector.timestampSeconds + 1) } })).toEqual(rejected);
      expectStaleAndUnsignedRefused({ publicKey: keys.publicKey }, headers);
    });

    it('sends v1 then v1a signatures in one header, and each receiver checks only its own scheme', () => {
      const previous = generateSigningKeyPair();
      const headers = signedHeaders({
        secrets: [vector.secret],
        signingKeys: [keys.secretKey, previous.secretKey],
        ...delivery,
      });
      const entries = headers['webhook-signature'].split(' ');

      expect(entries.map((entry) => entry.split(',')[0])).toEqual(['v1', 'v1a', 'v1a']);
      expect(entries[0]).toBe(sign({ secret: vector.secret, ...delivery }));
      for (const key of [{ secret: vector.secret }, { publicKey: keys.publicKey }, { publicKey: previous.publicKey }]) {
        expect(verify({ ...key, headers: { ...headers }, body: vector.body, ...at })).toEqual({ ok: true });
      }
      const only = (version: string) => ({
        ...headers,
        'webhook-signature': entries.filter((entry) => entry.startsWith(`${version},`)).join(' '),
      });
      expect(verify({ secret: vector.secret, headers: only('v1a'), body: vector.body, ...at }).ok).toBe(false);
      expect(verify({ publicKey: keys.publicKey, headers: only('v1'), body: vector.body, ...at }).ok).toBe(false);
    });

    it('skips malformed v1a entries instead of throwing', () => {
      const good = signEd25519({ secretKey: keys.secretKey, ...delivery });
      const headers = { 'webhook-id': vector.id, 'webhook-timestamp': String(vector.timestampSeconds) };
      for (const bad of [
        'v1a,',
        'v1a,not base64!',
        good.slice(0, -4),
        `${good}AAAA`,
        `${good}!`,
        'v1a',
        good.replace('v1a,', 'v1,'),
      ]) {
        expect(
          verify({
            publicKey: keys.publicKey,
            headers: { ...headers, 'webhook-signature': bad },
            body: vector.body,
            ...at,
          }).ok,
        ).toBe(false);
        expect(
          verify({
            publicKey: keys.publicKey,
            headers: { ...headers, 'webhook-signature': `${bad} ${good}` },
            body: vector.body,
            ...at,
          }).ok,
        ).toBe(true);
      }
    });

    it('generates whsk_/whpk_ keys of 32 bytes each, the public one derivable from the secret one', () => {
      expect(keys.secretKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
      expect(keys.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(keys.secretKey.slice(5), 'base64')).toHaveLength(32);
      expect(Buffer.from(keys.publicKey.slice(5), 'base64')).toHaveLength(32);
      expect(publicKeyOf(keys.secretKey)).toBe(keys.publicKey);
      expect(generateSigningKeyPair().secretKey).not.toBe(keys.secretKey);
    });

    it('refuses malformed or mixed-up keys, which are configuration errors', () => {
      const other = generateSigningKeyPair();
      const mismatched =
        'whsk_' +
        Buffer.concat([
          Buffer.from(keys.secretKey.slice(5), 'base64'),
          Buffer.from(other.publicKey.slice(5), 'base64'),
        ]).toString('base64');
      const headers = signedHeaders({ secrets: [], signingKeys: [keys.secretKey], ...delivery });

      for (const secretKey of [
        keys.publicKey,
        vector.secret,
        keys.secretKey.slice(5),
        'whsk_' + Buffer.alloc(31).toString('base64'),
        'whsk_!!!!',
        mismatched,
      ]) {
        expect(() => signEd25519({ secretKey, ...delivery })).toThrow();
      }
      for (const publicKey of [
        keys.secretKey,
        vector.secret,
        keys.publicKey.slice(5),
        'whpk_' + Buffer.alloc(64).toString('base64'),
        `${keys.publicKey}=`,
      ]) {
        expect(() => verify({ publicKey, headers: { ...headers }, body: vector.body, ...at })).toThrow();
      }
      expect(() => verify({ headers, body: vector.body } as unknown as Parameters<typeof verify>[0])).toThrow(
        'verify needs a secret or a publicKey',
      );
    });
  });
});
