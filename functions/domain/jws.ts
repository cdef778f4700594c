/**
 * Assembling a compact JWS (RFC 7515) around a signature made elsewhere: KMS deployed, a generated key on the
 * twin. Both return ECDSA signatures DER-encoded; JWS wants the raw r||s of RFC 7518 §3.4, 32 bytes each for
 * P-256. Verification is the JOSE library's job, never this module's.
 */

const P256_COORDINATE_BYTES = 32;

/** Base64url without padding (RFC 7515 §2). */
export const base64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

/** One DER INTEGER at `offset`: its content bytes and where the next element starts. */
function readInteger(der: Uint8Array, offset: number): { value: Uint8Array; next: number } {
  if (der[offset] !== 0x02) throw new Error('DER signature: INTEGER expected');
  const length = der[offset + 1];
  // P-256 integers are at most 33 bytes (a leading zero keeps them positive): always the short length form.
  if (length === undefined || length === 0 || length > P256_COORDINATE_BYTES + 1)
    throw new Error('DER signature: bad INTEGER length');
  const start = offset + 2;
  if (start + length > der.length) throw new Error('DER signature: truncated');
  return { value: der.subarray(start, start + length), next: start + length };
}

/** An INTEGER's content as exactly 32 big-endian bytes: sign padding dropped, short values left-padded. */
function toCoordinate(integer: Uint8Array): Uint8Array {
  let bytes = integer;
  while (bytes.length > P256_COORDINATE_BYTES && bytes[0] === 0) bytes = bytes.subarray(1);
  if (bytes.length > P256_COORDINATE_BYTES) throw new Error('DER signature: INTEGER too large for P-256');
  const out = new Uint8Array(P256_COORDINATE_BYTES);
  out.set(bytes, P256_COORDINATE_BYTES - bytes.length);
  return out;
}

/**
 * An ECDSA P-256 signature from DER (`SEQUENCE { INTEGER r, INTEGER s }`, as KMS `Sign` returns it) to the JOSE
 * form r||s (64 bytes). Throws on anything else, so a malformed signature never becomes a token.
 * @example derToJose(kmsSignature).length // 64
 */
export function derToJose(der: Uint8Array): Uint8Array {
  if (der[0] !== 0x30) throw new Error('DER signature: SEQUENCE expected');
  const length = der[1];
  // Two INTEGERs of at most 35 bytes each fit the short length form (< 128).
  if (length === undefined || length >= 0x80 || length + 2 !== der.length)
    throw new Error('DER signature: bad SEQUENCE length');
  const r = readInteger(der, 2);
  const s = readInteger(der, r.next);
  if (s.next !== der.length) throw new Error('DER signature: trailing bytes');
  const jose = new Uint8Array(2 * P256_COORDINATE_BYTES);
  jose.set(toCoordinate(r.value), 0);
  jose.set(toCoordinate(s.value), P256_COORDINATE_BYTES);
  return jose;
}

/** What signs a JWS: the key's id for the header and an ECDSA P-256/SHA-256 signature in DER. */
export interface DerSigner {
  keyId(): Promise<string>;
  /** Signs the message (hashing it with SHA-256 itself, as KMS does with MessageType RAW). */
  signDer(message: Uint8Array): Promise<Uint8Array>;
}

/**
 * A compact ES256 JWT of these claims, signed by `signer`.
 * @example await signJwt({ sub: 'occ_…' }, localSigner) // 'eyJhbGciOiJFUzI1NiIs…'
 */
export async function signJwt(claims: object, signer: DerSigner, type = 'at+jwt'): Promise<string> {
  const header = { alg: 'ES256', typ: type, kid: await signer.keyId() };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = derToJose(await signer.signDer(Buffer.from(signingInput, 'ascii')));
  return `${signingInput}.${base64url(signature)}`;
}

/** A public key as the JWKS publishes it (RFC 7517; EC P-256 only). */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/** The public keys tokens may be signed with: the active key and, after a rotation, the previous one. */
export interface PublicKeySet {
  jwks(): Promise<{ keys: PublicJwk[] }>;
}
