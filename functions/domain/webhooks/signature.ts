import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign as ed25519Sign,
  timingSafeEqual,
  verify as ed25519Verify,
  type KeyObject,
} from 'node:crypto';
import { systemClock } from '../../shared/clock';

/**
 * Standard Webhooks signatures: `v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`,
 * secrets as `whsec_<base64>`. During rotation several signatures are sent, space separated.
 * @example sign({ secret, id: 'evt_1', timestampSeconds: 1614265330, body }) // 'v1,g0hM9S…'
 */
export const SECRET_PREFIX = 'whsec_';

/**
 * The spec's asymmetric scheme, for receivers who should not hold anything that can forge a delivery:
 * `v1a,<base64 ed25519 signature>` over the same content. The secret key is `whsk_` + base64 of the
 * 32-byte RFC 8032 seed; the public key, which is safe to publish, is `whpk_` + base64 of the raw 32 bytes.
 * @example signEd25519({ secretKey, id: 'evt_1', timestampSeconds: 1614265330, body }) // 'v1a,tQ9V2X…'
 */
export const SIGNING_KEY_PREFIX = 'whsk_';
export const PUBLIC_KEY_PREFIX = 'whpk_';

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

type Delivery = { id: string; timestampSeconds: number; body: string };

/** The one string both schemes sign, so an HMAC and an ed25519 signature always cover the same delivery. */
function signedContent(input: Delivery): string {
  return `${input.id}.${input.timestampSeconds}.${input.body}`;
}

export function sign(input: { secret: string; id: string; timestampSeconds: number; body: string }): string {
  const mac = createHmac('sha256', secretBytes(input.secret)).update(signedContent(input)).digest('base64');
  return `v1,${mac}`;
}

/** Buffer's base64 decoder skips what it cannot read, so only a round trip proves the text was base64. */
function strictBase64(encoded: string): Buffer | undefined {
  const bytes = Buffer.from(encoded, 'base64');
  return bytes.toString('base64') === encoded ? bytes : undefined;
}

/** A malformed key is a configuration error, so it throws rather than failing every delivery quietly. */
function keyBytes(key: string, prefix: string, lengths: number[]): Buffer {
  const bytes = key.startsWith(prefix) ? strictBase64(key.slice(prefix.length)) : undefined;
  if (!bytes || !lengths.includes(bytes.length)) {
    throw new Error(`Expected ${prefix} followed by the base64 of ${lengths.join(' or ')} bytes`);
  }
  return bytes;
}

// RFC 8410 PKCS#8 header for an Ed25519 private key; the 32-byte seed follows it.
const PKCS8_ED25519_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');

function rawPublicKey(key: KeyObject): Buffer {
  return Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x ?? '', 'base64url');
}

/**
 * Reads a `whsk_` key. Besides the 32-byte seed it accepts the 64-byte seed-and-public-key form
 * that Svix's server emits, after checking that its second half really is the seed's public key.
 */
function privateKey(secretKey: string): KeyObject {
  const bytes = keyBytes(secretKey, SIGNING_KEY_PREFIX, [32, 64]);
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_HEADER, bytes.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  if (bytes.length === 64 && !rawPublicKey(key).equals(bytes.subarray(32))) {
    throw new Error(`A 64-byte ${SIGNING_KEY_PREFIX} key must end with the public key of its first 32 bytes`);
  }
  return key;
}

function publicKey(key: string): KeyObject {
  const x = keyBytes(key, PUBLIC_KEY_PREFIX, [32]).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/**
 * A fresh ed25519 pair: keep `secretKey` like any secret, hand `publicKey` to the receiver.
 * @example const { secretKey, publicKey } = generateSigningKeyPair(); // 'whsk_…', 'whpk_…'
 */
export function generateSigningKeyPair(): { secretKey: string; publicKey: string } {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return {
    secretKey: SIGNING_KEY_PREFIX + Buffer.from(jwk.d ?? '', 'base64url').toString('base64'),
    publicKey: PUBLIC_KEY_PREFIX + Buffer.from(jwk.x ?? '', 'base64url').toString('base64'),
  };
}

/** So a stored `whsk_` key is the only thing to keep: its `whpk_` can always be shown again. */
export function publicKeyOf(secretKey: string): string {
  return PUBLIC_KEY_PREFIX + rawPublicKey(privateKey(secretKey)).toString('base64');
}

export function signEd25519(input: { secretKey: string; id: string; timestampSeconds: number; body: string }): string {
  const signature = ed25519Sign(null, Buffer.from(signedContent(input)), privateKey(input.secretKey));
  return `v1a,${signature.toString('base64')}`;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Every active HMAC secret signs, then every active ed25519 key (newest first), so a receiver on either
 * scheme, with either the old or the new key, finds a signature it can check.
 * @example signedHeaders({ secrets: [secret], signingKeys: [secretKey], id, timestampSeconds, body }) // 'v1,… v1a,…'
 */
export function signedHeaders(input: {
  secrets: string[];
  signingKeys?: string[];
  id: string;
  timestampSeconds: number;
  body: string;
}): WebhookHeaders {
  const delivery = { id: input.id, timestampSeconds: input.timestampSeconds, body: input.body };
  const signatures = [
    ...input.secrets.map((secret) => sign({ secret, ...delivery })),
    ...(input.signingKeys ?? []).map((secretKey) => signEd25519({ secretKey, ...delivery })),
  ];
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestampSeconds),
    'webhook-signature': signatures.join(' '),
  };
}

export type VerifyResult =
  { ok: true } | { ok: false; reason: 'missing_headers' | 'timestamp_out_of_tolerance' | 'no_matching_signature' };

/** A receiver holds one of these: the shared HMAC secret (`whsec_…`) or the sender's public key (`whpk_…`). */
export type VerificationKey = { secret: string; publicKey?: undefined } | { publicKey: string; secret?: undefined };

/**
 * What a receiver does: check the timestamp tolerance, then look for a matching signature. With a
 * `secret` only `v1,` entries can match, compared in constant time; with a `publicKey` only `v1a,` entries.
 * Throws when the key is missing or the `publicKey` is malformed: configuration errors, not bad deliveries.
 * @example verify({ publicKey: 'whpk_…', headers, body }) // { ok: true }
 */
export function verify(
  input: VerificationKey & {
    headers: Record<string, string | undefined>;
    body: string;
    /** The receiver's time, from its clock (the system's by default). */
    now?: Date;
    toleranceSeconds?: number;
  },
): VerifyResult {
  const matcher =
    input.publicKey !== undefined ? ed25519Matcher(publicKey(input.publicKey)) : hmacMatcher(input.secret);
  const id = input.headers['webhook-id'];
  const timestamp = input.headers['webhook-timestamp'];
  const signatures = input.headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing_headers' };
  const ts = Number(timestamp);
  const now = Math.floor((input.now ?? systemClock.now()).getTime() / 1000);
  if (!Number.isInteger(ts) || Math.abs(now - ts) > (input.toleranceSeconds ?? 300)) {
    return { ok: false, reason: 'timestamp_out_of_tolerance' };
  }
  const matches = matcher({ id, timestampSeconds: ts, body: input.body });
  return signatures.split(' ').some(matches) ? { ok: true } : { ok: false, reason: 'no_matching_signature' };
}

function hmacMatcher(secret: string): (delivery: Delivery) => (candidate: string) => boolean {
  // Checked before any header is read, so a receiver missing its secret fails loudly on the first delivery.
  if (typeof secret !== 'string') throw new Error('verify needs a secret or a publicKey');
  return (delivery) => {
    const expected = Buffer.from(sign({ secret, ...delivery }));
    return (candidate) => {
      const given = Buffer.from(candidate);
      return given.length === expected.length && timingSafeEqual(given, expected);
    };
  };
}

/**
 * Signatures are public, so no constant-time care is needed here; malformed entries are skipped like unknown versions.
 */
function ed25519Matcher(key: KeyObject): (delivery: Delivery) => (candidate: string) => boolean {
  return (delivery) => {
    const content = Buffer.from(signedContent(delivery));
    return (candidate) => {
      if (!candidate.startsWith('v1a,')) return false;
      const signature = strictBase64(candidate.slice('v1a,'.length));
      return signature?.length === 64 && ed25519Verify(null, content, key, signature);
    };
  };
}
