import { hashApiKey, keyIdOf, LAST_USED_GRANULARITY_MS, principalOfKey, verifySecret } from '../domain/api-keys';
import type { ApiKey } from '../domain/api-keys';
import type { Principal } from '../domain/credentials';
import type { Tenant } from '../domain/ports';
import type { Clock } from '../shared/clock';
import { expiringCache } from '../shared/expiring-cache';
import { logger } from '../shared/logger';
import { usageIdentityOf, type UsageIdentity } from './usage-identity';

/** What the API-key path of the authorizer reads (a key by id, its tenant) and writes (the key's last use). */
export interface ApiKeyDirectory {
  getApiKey(keyId: string): Promise<ApiKey | null>;
  getTenant(tenantId: string): Promise<Tenant | null>;
  recordUse(keyId: string, at: string, since: string): Promise<void>;
}

/** A verified credential: its principal and, for a tenant's, the tenant's usage identity (what throttles it). */
export interface Authenticated {
  principal: Principal;
  usage?: UsageIdentity;
}

/** Verifies one credential to its principal, or throws 'Unauthorized' (API Gateway's 401). */
export type Authenticate = (credential: string) => Promise<Authenticated>;

/** The longest secret the authorizer reads at all: ours are 80 characters, anything far longer is refused unread. */
const MAX_API_KEY_LENGTH = 200;
/** Verified keys one container remembers; the oldest go first beyond it. */
const MAX_CACHED_KEYS = 10_000;

export const unauthorized = () => new Error('Unauthorized');

/**
 * The API-key path of the authorizer. A verified key's principal is cached per container under the hash of the
 * secret for `cacheTtlMs`, never past what was known when it was verified (the key's expiry, the end of the overlap
 * of a previous secret): an expiry takes effect exactly; a revocation, a suspension, or the end of an overlap shorter
 * than the cache time, within `cacheTtlMs`. Rejections are not cached (each is one read by key id, and only for
 * secrets shaped like ours).
 */
export function apiKeyAuthenticator(
  directory: ApiKeyDirectory,
  clock: Clock,
  options: { cacheTtlMs: number },
): Authenticate {
  const verified = expiringCache<Authenticated>(clock, MAX_CACHED_KEYS);
  const useRecorded = expiringCache<true>(clock, MAX_CACHED_KEYS);

  const reject = (reason: string, keyId?: string): never => {
    logger.info('Rejected API key', { reason, ...(keyId ? { keyId } : {}) });
    throw unauthorized();
  };

  /** The key's last use, at most once a minute per key from this container; a failure never fails the request. */
  async function recordUse(keyId: string) {
    if (useRecorded.get(keyId)) return;
    const now = clock.now();
    useRecorded.set(keyId, true, now.getTime() + LAST_USED_GRANULARITY_MS);
    const since = new Date(now.getTime() - LAST_USED_GRANULARITY_MS).toISOString();
    try {
      await directory.recordUse(keyId, now.toISOString(), since);
    } catch (error) {
      logger.warn('Could not record the last use of an API key', { keyId, error: error as Error });
    }
  }

  async function verify(apiKey: string, secretHash: string): Promise<{ verdict: Authenticated; untilMs: number }> {
    const keyId = keyIdOf(apiKey);
    if (!keyId) return reject('malformed');
    const key = await directory.getApiKey(keyId);
    if (!key) return reject('unknown', keyId);
    const now = clock.now();
    const verdict = verifySecret(key, secretHash, now);
    if (!verdict) return reject(key.status === 'revoked' ? 'revoked' : 'expired or wrong secret', keyId);
    const principal = principalOfKey(key);
    let usage: UsageIdentity | undefined;
    if (principal.kind === 'tenant') {
      // A suspended tenant's key still stands for it: the API refuses the request (403 tenant_suspended) on a fresh
      // read of the tenant, so the refusal neither waits for this cache nor turns into a 401 once cached.
      const tenant = await directory.getTenant(principal.tenantId);
      if (!tenant) return reject('unknown tenant', keyId);
      usage = usageIdentityOf(tenant);
    }
    const untilMs = Math.min(verdict.validUntilMs, now.getTime() + options.cacheTtlMs);
    return { verdict: { principal, ...(usage ? { usage } : {}) }, untilMs };
  }

  return async (apiKey) => {
    if (apiKey.length > MAX_API_KEY_LENGTH) return reject('oversized');
    const secretHash = hashApiKey(apiKey);
    let authenticated = verified.get(secretHash);
    if (!authenticated) {
      const fresh = await verify(apiKey, secretHash);
      verified.set(secretHash, fresh.verdict, fresh.untilMs);
      authenticated = fresh.verdict;
    }
    await recordUse(authenticated.principal.credentialId);
    return authenticated;
  };
}
