import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import { Problem } from '../shared/problem';
import {
  MAX_ROTATION_OVERLAP_SECONDS,
  checkedExpiry,
  hashApiKey,
  newApiKeySecret,
  requireScopesHeldBy,
  rotated,
  type ApiKey,
  type ApiKeyOwner,
} from './api-keys';
import { OPERATOR_SCOPE, grantableTenantScopes, type Principal } from './credentials';
import type { Page } from './ports';

/** Where keys are kept: by id, listed per owner (tenant or the operators). */
export interface ApiKeyStore {
  /** Stores a new key; for a tenant's key, only if the tenant exists (false otherwise). */
  create(key: ApiKey): Promise<boolean>;
  get(keyId: string): Promise<ApiKey | null>;
  list(owner: ApiKeyOwner, query: { limit: number; cursor?: string }): Promise<Page<ApiKey>>;
  /** Replaces the key's secret hashes, if its current hash is still `expectedSecretHash`. */
  replaceSecret(key: ApiKey, expectedSecretHash: string): Promise<boolean>;
  revoke(keyId: string, at: string): Promise<void>;
  /** Sets the key's last use to `at` unless a use at or after `since` is recorded already. */
  recordUse(keyId: string, at: string, since: string): Promise<void>;
  hasActiveOperatorKey(now: Date): Promise<boolean>;
}

export interface NewKey {
  name: string;
  scopes: readonly string[];
  expiresAt?: string;
}

/** A key just issued or rotated: the secret, shown this once. */
export interface IssuedKey {
  key: ApiKey;
  apiKey: string;
}

const sameOwner = (key: ApiKey, owner: ApiKeyOwner) =>
  key.owner.kind === owner.kind &&
  (owner.kind === 'operator' || (key.owner as typeof owner).tenantId === owner.tenantId);

/**
 * The key lifecycle as the API, the admin CLI and the twin's seed run it. Every change names the acting principal
 * (the audit trail records it); a tenant's credential reaches only its own tenant's keys: another tenant's key id is
 * "not found", exactly as an id nobody has.
 */
export class ApiKeyService {
  constructor(
    private readonly store: ApiKeyStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Issues a key to a tenant (its own credential, or an operator onboarding it); 404 if the tenant does not exist.
   * No actor: the platform's own tools with table access (the twin's demo seed, tests).
   */
  async createTenantKey(actor: Principal | null, tenantId: string, request: NewKey): Promise<IssuedKey> {
    const scopes = grantableTenantScopes(request.scopes);
    if (actor) requireScopesHeldBy(actor, scopes);
    return this.issue({ kind: 'tenant', tenantId }, 'key', request.name, scopes, request.expiresAt);
  }

  /** Issues an operator key (scope `admin`); no actor: the bootstrap, with the deployer's access to the table. */
  async createOperatorKey(actor: Principal | null, request: Omit<NewKey, 'scopes'>): Promise<IssuedKey> {
    if (actor && actor.kind !== 'operator') throw new Problem('forbidden', 'Only operators issue operator keys');
    return this.issue({ kind: 'operator' }, 'opk', request.name, [OPERATOR_SCOPE], request.expiresAt);
  }

  private async issue(owner: ApiKeyOwner, prefix: 'key' | 'opk', name: string, scopes: string[], expiresAt?: string) {
    const now = this.clock.now();
    const keyId = newId(prefix, now.getTime());
    const apiKey = newApiKeySecret(keyId);
    const expiry = checkedExpiry(expiresAt, now);
    const key: ApiKey = {
      keyId,
      owner,
      name,
      scopes,
      status: 'active',
      createdAt: now.toISOString(),
      ...(expiry ? { expiresAt: expiry } : {}),
      secretHash: hashApiKey(apiKey),
    };
    if (!(await this.store.create(key))) {
      throw new Problem('tenant_not_found', `No tenant ${owner.kind === 'tenant' ? owner.tenantId : ''}`);
    }
    return { key, apiKey };
  }

  /** One key of the owner's; 404 for any other key id. */
  async get(owner: ApiKeyOwner, keyId: string): Promise<ApiKey> {
    const key = await this.store.get(keyId);
    if (!key || !sameOwner(key, owner)) throw new Problem('api_key_not_found', `No API key ${keyId}`);
    return key;
  }

  list(owner: ApiKeyOwner, query: { limit: number; cursor?: string }): Promise<Page<ApiKey>> {
    return this.store.list(owner, query);
  }

  /**
   * A new secret for the same key (same id, name, scopes, expiry); the old one keeps working for `overlapSeconds`.
   * Rotating hands out the key's rights, so a tenant credential must hold all of the key's scopes.
   */
  async rotate(actor: Principal, owner: ApiKeyOwner, keyId: string, overlapSeconds: number): Promise<IssuedKey> {
    if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_ROTATION_OVERLAP_SECONDS) {
      throw new Problem('validation_failed', `overlapSeconds must be 0 to ${MAX_ROTATION_OVERLAP_SECONDS}`);
    }
    const key = await this.get(owner, keyId);
    if (key.status === 'revoked') throw new Problem('api_key_revoked', `API key ${keyId} is revoked`);
    requireScopesHeldBy(actor, key.scopes);
    const apiKey = newApiKeySecret(keyId);
    const next = rotated(key, hashApiKey(apiKey), overlapSeconds, this.clock.now());
    if (!(await this.store.replaceSecret(next, key.secretHash))) {
      throw new Problem('concurrent_update', 'The key was rotated or revoked meanwhile; read it and try again');
    }
    return { key: next, apiKey };
  }

  /** Revokes the key (both its secrets) for good; revoking a revoked key changes nothing. Any holder of
   * `credentials:manage` may revoke any key of its tenant: taking rights away hands none out. (`_actor`: for the
   * audit trail.) */
  async revoke(_actor: Principal, owner: ApiKeyOwner, keyId: string): Promise<ApiKey> {
    const key = await this.get(owner, keyId);
    if (key.status === 'revoked') return key;
    const revokedAt = this.clock.now().toISOString();
    await this.store.revoke(keyId, revokedAt);
    return { ...key, status: 'revoked', revokedAt };
  }
}
