import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Problem } from '../shared/problem';
import { OPERATOR_SCOPE, TENANT_SCOPES, type Principal, type TenantScope } from './credentials';

/**
 * API keys: the rules of their life (issue, use, rotate with an overlap, revoke, expire), with no I/O.
 *
 * A key's secret reads `llk_<keyId>_<43 base64url characters>`: 256 random bits after the key's own id. The id lets
 * the authorizer fetch the one key record by its id and compare the SHA-256 of what it was given with the stored
 * hashes in constant time; it also lets the API address a key (list, rotate, revoke, last used) without the secret.
 * Only the hash is stored: a table dump yields no usable key, and a plain SHA-256 is enough for 256 random bits (a
 * slow password hash guards low-entropy secrets, which these are not).
 */
export const API_KEY_PREFIX = 'llk_';
const SECRET_BYTES = 32;
const API_KEY_PATTERN = /^llk_((?:key|opk)_[0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

/** Longest a rotated-out secret may keep working: a week covers any deployment calendar. */
export const MAX_ROTATION_OVERLAP_SECONDS = 7 * 86_400;
/** The authorizer records a key's last use at most this often per key (and per authorizer container). */
export const LAST_USED_GRANULARITY_MS = 60_000;

export type ApiKeyOwner = { kind: 'tenant'; tenantId: string } | { kind: 'operator' };

/** A key as stored: never its secret, only the secret's hash (and the previous one's during a rotation overlap). */
export interface ApiKey {
  keyId: string;
  owner: ApiKeyOwner;
  name: string;
  scopes: string[];
  status: 'active' | 'revoked';
  createdAt: string;
  /** When the key stops working by itself (absent: it does not expire). */
  expiresAt?: string;
  lastUsedAt?: string;
  rotatedAt?: string;
  revokedAt?: string;
  secretHash: string;
  /** The secret before the last rotation, accepted until `previousSecretRetiresAt`. */
  previousSecretHash?: string;
  previousSecretRetiresAt?: string;
}

/** What an API answer shows of a key (never a hash). */
export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

export const hashApiKey = (apiKey: string): string => createHash('sha256').update(apiKey).digest('hex');

/** A new key's secret for `keyId`; the caller shows it once and stores only its hash. */
export function newApiKeySecret(keyId: string): string {
  return `${API_KEY_PREFIX}${keyId}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** The key id a presented secret names, or null when it is not shaped like one of ours (nothing to look up). */
export function keyIdOf(apiKey: string): string | null {
  return API_KEY_PATTERN.exec(apiKey)?.[1] ?? null;
}

export function statusOf(key: ApiKey, now: Date): ApiKeyStatus {
  if (key.status === 'revoked') return 'revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

const sameHash = (a: string, b: string) => {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * Whether `secretHash` opens the key now, and until when that answer holds without looking again: the key's
 * expiry, or the previous secret's retirement when it is the previous secret. Both hashes are always compared, so
 * the time taken says nothing of which one matched.
 */
export function verifySecret(key: ApiKey, secretHash: string, now: Date): { validUntilMs: number } | null {
  if (statusOf(key, now) !== 'active') return null;
  const current = sameHash(key.secretHash, secretHash);
  const previous = key.previousSecretHash !== undefined && sameHash(key.previousSecretHash, secretHash);
  const retiresMs = key.previousSecretRetiresAt ? Date.parse(key.previousSecretRetiresAt) : 0;
  const expiresMs = key.expiresAt ? Date.parse(key.expiresAt) : Number.POSITIVE_INFINITY;
  if (current) return { validUntilMs: expiresMs };
  if (previous && retiresMs > now.getTime()) return { validUntilMs: Math.min(expiresMs, retiresMs) };
  return null;
}

/** The principal a verified key stands for; a stored scope the platform no longer knows grants nothing. */
export function principalOfKey(key: ApiKey): Principal {
  if (key.owner.kind === 'operator') {
    if (!key.scopes.includes(OPERATOR_SCOPE)) throw new Error('An operator key without the admin scope');
    return { kind: 'operator', credentialId: key.keyId, scopes: [OPERATOR_SCOPE] };
  }
  const scopes = key.scopes.filter((scope): scope is TenantScope =>
    (TENANT_SCOPES as readonly string[]).includes(scope),
  );
  return { kind: 'tenant', tenantId: key.owner.tenantId, credentialId: key.keyId, scopes };
}

/**
 * Who may hand out a key of `scopes`: an operator any tenant scopes; a tenant credential only scopes it holds
 * itself, so `credentials:manage` never becomes a way to more rights than the caller has.
 */
export function requireScopesHeldBy(actor: Principal, scopes: readonly string[]): void {
  if (actor.kind === 'operator') return;
  const missing = scopes.filter((scope) => !(actor.scopes as string[]).includes(scope));
  if (missing.length > 0) {
    throw new Problem('forbidden', `A credential can only hand out scopes it holds; missing: ${missing.join(', ')}`);
  }
}

/** An expiry for a new key: in the future, or absent. */
export function checkedExpiry(expiresAt: string | undefined, now: Date): string | undefined {
  if (expiresAt === undefined) return undefined;
  if (Date.parse(expiresAt) <= now.getTime()) throw new Problem('validation_failed', 'expiresAt must be in the future');
  return new Date(expiresAt).toISOString();
}

/**
 * The key after a rotation to `newSecretHash`: the current secret keeps working for `overlapSeconds` (0: it stops
 * at once). A rotation during an overlap keeps the secret that was in use before it (with the sooner of the two
 * retirement times) and drops the secret the earlier rotation issued: a retried rotation whose answer was lost
 * never cuts off the secret callers still hold.
 */
export function rotated(key: ApiKey, newSecretHash: string, overlapSeconds: number, now: Date): ApiKey {
  const retiresAt = new Date(now.getTime() + overlapSeconds * 1000).toISOString();
  const { previousSecretHash, previousSecretRetiresAt } = key;
  const previous =
    previousSecretHash !== undefined &&
    previousSecretRetiresAt !== undefined &&
    Date.parse(previousSecretRetiresAt) > now.getTime()
      ? {
          previousSecretHash,
          previousSecretRetiresAt: previousSecretRetiresAt < retiresAt ? previousSecretRetiresAt : retiresAt,
        }
      : { previousSecretHash: key.secretHash, previousSecretRetiresAt: retiresAt };
  return { ...key, secretHash: newSecretHash, ...previous, rotatedAt: now.toISOString() };
}
