import { createHash } from 'node:crypto';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { TENANT_SCOPES, type Principal, type TenantScope } from '../domain/credentials';
import type { PublicKeySet } from '../domain/jws';
import { TENANT_CLAIM, TOKEN_CLOCK_TOLERANCE_SECONDS } from '../domain/oauth';
import type { OAuthClientCredential } from '../domain/oauth-clients';
import type { Tenant } from '../domain/ports';
import type { Clock } from '../shared/clock';
import { expiringCache } from '../shared/expiring-cache';
import { logger } from '../shared/logger';
import { unauthorized, type Authenticate, type Authenticated } from './authorize-api-key';
import { usageIdentityOf } from './usage-identity';

/** What a bearer token is checked against besides its signature: its client and its tenant, still in good standing. */
export interface BearerTokenDirectory {
  findCredential(clientId: string): Promise<OAuthClientCredential | null>;
  getTenant(tenantId: string): Promise<Tenant | null>;
}

export interface BearerTokenVerifier {
  publicKeys: PublicKeySet;
  issuer: string;
  audience: string;
}

/** Longer than any token the endpoint issues; a longer header is refused before any parsing. */
const MAX_TOKEN_LENGTH = 4096;
/** The JWKS is read once per container and again after this, so a newly rotated key is seen within it. */
const JWKS_TTL_MS = 5 * 60_000;
/** A token naming an unknown key reloads the JWKS at most this often (a rotation that just happened). */
const JWKS_RELOAD_AFTER_MS = 30_000;

let cachedKeys: { source: PublicKeySet; keySet: ReturnType<typeof createLocalJWKSet>; readAt: number } | undefined;

async function keySetOf(source: PublicKeySet, nowMs: number, reload = false) {
  if (!cachedKeys || cachedKeys.source !== source || nowMs - cachedKeys.readAt > JWKS_TTL_MS || reload) {
    cachedKeys = { source, keySet: createLocalJWKSet(await source.jwks()), readAt: nowMs };
  }
  return cachedKeys.keySet;
}

/** The `Authorization: Bearer` token of a request, or undefined when there is none. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  const match = /^Bearer +([A-Za-z0-9_.~+/-]+=*) *$/i.exec(authorization ?? '');
  return match?.[1];
}

async function verifiedClaims(token: string, verifier: BearerTokenVerifier): Promise<JWTPayload> {
  const options = {
    issuer: verifier.issuer,
    audience: verifier.audience,
    algorithms: ['ES256'],
    typ: 'at+jwt',
    clockTolerance: TOKEN_CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['sub', 'exp', 'nbf', 'iat', 'jti', 'scope', TENANT_CLAIM],
  };
  const now = Date.now();
  try {
    return (await jwtVerify(token, await keySetOf(verifier.publicKeys, now), options)).payload;
  } catch (error) {
    const stale = cachedKeys !== undefined && now - cachedKeys.readAt > JWKS_RELOAD_AFTER_MS;
    if (!(error instanceof joseErrors.JWKSNoMatchingKey) || !stale) throw error;
    return (await jwtVerify(token, await keySetOf(verifier.publicKeys, now, true), options)).payload;
  }
}

/**
 * The principal a bearer token stands for: its signature verified against the published keys, `iss`, `aud`, `exp`
 * and `nbf` checked (with a small clock tolerance), the tenant taken from its claim alone and the scopes from its
 * `scope`. The client must still be active: a revoked client's tokens stop within the authorizer's cache time, not
 * at expiry. A suspended tenant's token still stands for it: the API refuses the request (403 tenant_suspended) on
 * a fresh read of the tenant. Throws 'Unauthorized' (API Gateway's 401) for anything else.
 */
export async function verifyBearerToken(
  token: string,
  verifier: BearerTokenVerifier,
  directory: BearerTokenDirectory,
): Promise<{ verdict: Authenticated; expiresAtMs: number }> {
  if (token.length > MAX_TOKEN_LENGTH) throw unauthorized();
  let claims: JWTPayload;
  try {
    claims = await verifiedClaims(token, verifier);
  } catch (error) {
    // The reason (expired, bad signature, wrong audience) and never the token.
    logger.info('Rejected bearer token', { reason: (error as { code?: string }).code ?? 'invalid' });
    // API Gateway reads only the message; the cause stays out of the answer.
    throw new Error('Unauthorized', { cause: error });
  }
  const clientId = claims.sub;
  const tenantId = claims[TENANT_CLAIM];
  const scope = claims.scope;
  if (typeof clientId !== 'string' || typeof tenantId !== 'string' || tenantId === '' || typeof scope !== 'string')
    throw unauthorized();
  const [client, tenant] = await Promise.all([directory.findCredential(clientId), directory.getTenant(tenantId)]);
  if (!client || client.status !== 'active' || client.tenantId !== tenantId) {
    logger.info('Rejected bearer token', { reason: client ? 'client revoked' : 'client unknown' });
    throw unauthorized();
  }
  if (!tenant) throw unauthorized();
  // Scopes the client lost since the token was issued are not honoured either.
  const scopes = scope
    .split(' ')
    .filter((granted): granted is TenantScope => (TENANT_SCOPES as readonly string[]).includes(granted))
    .filter((granted) => client.scopes.includes(granted));
  const principal: Principal = { kind: 'tenant', tenantId, credentialId: clientId, scopes };
  return { verdict: { principal, usage: usageIdentityOf(tenant) }, expiresAtMs: (claims.exp ?? 0) * 1000 };
}

/** Verified tokens one container remembers; the oldest go first beyond it. */
const MAX_CACHED_TOKENS = 10_000;

/**
 * The bearer-token path of the authorizer: a verified token's answer is cached per container under the token's
 * hash for `cacheTtlMs`, never past the token's expiry, as the API-key path caches keys. Rejections are not cached.
 */
export function bearerAuthenticator(
  verifier: BearerTokenVerifier,
  directory: BearerTokenDirectory,
  clock: Clock,
  options: { cacheTtlMs: number },
): Authenticate {
  const verified = expiringCache<Authenticated>(clock, MAX_CACHED_TOKENS);
  return async (token) => {
    const tokenHash = createHash('sha256').update(token).digest('hex');
    const cached = verified.get(tokenHash);
    if (cached) return cached;
    const { verdict, expiresAtMs } = await verifyBearerToken(token, verifier, directory);
    verified.set(tokenHash, verdict, Math.min(expiresAtMs, clock.now().getTime() + options.cacheTtlMs));
    return verdict;
  };
}
