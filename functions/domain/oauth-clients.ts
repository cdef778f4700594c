import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { grantableTenantScopes, type Principal, type TenantScope } from './credentials';
import { Problem } from '../shared/problem';

/**
 * A tenant's OAuth clients (RFC 6749 §4.4 client credentials). The client id is public; the secret is a random
 * 256-bit value shown once, of which only the SHA-256 is kept: the token endpoint only ever verifies it, so unlike
 * a webhook secret it never needs to be read back, and a hash leaks nothing usable (RFC 6819 §5.1.4.1.3).
 */
export const CLIENT_ID_PREFIX = 'occ';
export const CLIENT_SECRET_PREFIX = 'lcs_';
/** The longest overlap a rotation may give the old secret (a week). */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 86_400;

export interface OAuthClient {
  clientId: string;
  tenantId: string;
  name: string;
  scopes: TenantScope[];
  status: 'active' | 'revoked';
  createdAt: string;
  secretRotatedAt?: string;
  revokedAt?: string;
}

/** A stored secret: its SHA-256, and until when it is accepted when a rotation replaced it. */
export interface ClientSecretHash {
  hash: string;
  validUntil?: string;
}

/** What the token endpoint verifies a client against. */
export interface OAuthClientCredential extends OAuthClient {
  secrets: ClientSecretHash[];
  /** Optimistic concurrency of secret rotations. */
  version: number;
}

/** Where clients are kept. Mutations name the acting principal, so each one becomes one audit event. */
export interface OAuthClientStore {
  create(client: OAuthClient, secret: ClientSecretHash, actor: Principal): Promise<void>;
  list(tenantId: string): Promise<OAuthClient[]>;
  /** The tenant's client, or null when it does not exist or belongs to another tenant. */
  get(tenantId: string, clientId: string): Promise<OAuthClient | null>;
  /** A client by id alone (the token endpoint and the authorizer know no tenant before it). */
  findCredential(clientId: string): Promise<OAuthClientCredential | null>;
  /** Replaces the secrets if the client is still at `expectedVersion` and active; false otherwise. */
  replaceSecrets(
    credential: OAuthClientCredential,
    secrets: ClientSecretHash[],
    rotatedAt: string,
    actor: Principal,
  ): Promise<boolean>;
  /** Marks the tenant's client revoked; null when there is no such client. */
  revoke(tenantId: string, clientId: string, revokedAt: string, actor: Principal): Promise<OAuthClient | null>;
}

export const hashClientSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
const newClientSecret = () => CLIENT_SECRET_PREFIX + randomBytes(32).toString('base64url');

/**
 * Whether `secret` is one of the client's accepted secrets at `now`. Every stored hash is compared, each in constant
 * time, so the answer's timing tells nothing about which (or how much of one) matched.
 */
export function secretMatches(credential: OAuthClientCredential, secret: string, now: Date): boolean {
  const presented = Buffer.from(hashClientSecret(secret), 'hex');
  let matched = false;
  for (const stored of credential.secrets) {
    const current = !stored.validUntil || Date.parse(stored.validUntil) > now.getTime();
    const candidate = Buffer.from(stored.hash, 'hex');
    const equal = candidate.length === presented.length && timingSafeEqual(candidate, presented);
    matched = (equal && current) || matched;
  }
  return matched;
}

/** Client lifecycle: create, read, rotate the secret with an overlap, revoke. */
export class OAuthClientService {
  constructor(
    private readonly store: OAuthClientStore,
    private readonly tenants: { getTenant(tenantId: string): Promise<{ tenantId: string } | null> },
    private readonly now: () => Date,
    private readonly newClientId: () => string,
  ) {}

  /** An operator creates a client for a tenant (onboarding); the tenant must exist. */
  async createForTenant(actor: Principal, tenantId: string, input: { name: string; scopes: readonly string[] }) {
    if (!(await this.tenants.getTenant(tenantId))) throw new Problem('tenant_not_found');
    return this.create(actor, tenantId, input);
  }

  /** A new client of the tenant; its secret is in the answer only. */
  async create(actor: Principal, tenantId: string, input: { name: string; scopes: readonly string[] }) {
    const client: OAuthClient = {
      clientId: this.newClientId(),
      tenantId,
      name: input.name,
      scopes: grantableTenantScopes(input.scopes),
      status: 'active',
      createdAt: this.now().toISOString(),
    };
    const clientSecret = newClientSecret();
    await this.store.create(client, { hash: hashClientSecret(clientSecret) }, actor);
    return { client, clientSecret };
  }

  list(tenantId: string) {
    return this.store.list(tenantId);
  }

  async get(tenantId: string, clientId: string): Promise<OAuthClient> {
    const client = await this.store.get(tenantId, clientId);
    if (!client) throw new Problem('oauth_client_not_found');
    return client;
  }

  /**
   * A new secret; the ones accepted until now stay accepted for `overlapSeconds` (0: at once no more), so the
   * caller can roll the new one out before the old one stops working.
   */
  async rotateSecret(actor: Principal, tenantId: string, clientId: string, overlapSeconds: number) {
    const credential = await this.store.findCredential(clientId);
    if (!credential || credential.tenantId !== tenantId) throw new Problem('oauth_client_not_found');
    if (credential.status !== 'active') throw new Problem('oauth_client_revoked');
    const now = this.now();
    const until = new Date(now.getTime() + overlapSeconds * 1000);
    // Each accepted secret keeps working until the overlap ends (or its own earlier end); none with no overlap.
    const kept: ClientSecretHash[] =
      overlapSeconds <= 0
        ? []
        : credential.secrets.flatMap((stored) => {
            const ends = Math.min(Date.parse(stored.validUntil ?? until.toISOString()), until.getTime());
            return ends > now.getTime() ? [{ hash: stored.hash, validUntil: new Date(ends).toISOString() }] : [];
          });
    const clientSecret = newClientSecret();
    const rotatedAt = now.toISOString();
    const replaced = await this.store.replaceSecrets(
      credential,
      [{ hash: hashClientSecret(clientSecret) }, ...kept],
      rotatedAt,
      actor,
    );
    if (!replaced) throw new Problem('concurrent_update', 'The client changed meanwhile; rotate again');
    const { secrets: _secrets, version: _version, ...client } = credential;
    return {
      client: { ...client, secretRotatedAt: rotatedAt },
      clientSecret,
      previousSecretValidUntil: kept[0]?.validUntil ?? null,
    };
  }

  async revoke(actor: Principal, tenantId: string, clientId: string): Promise<OAuthClient> {
    const client = await this.store.revoke(tenantId, clientId, this.now().toISOString(), actor);
    if (!client) throw new Problem('oauth_client_not_found');
    return client;
  }
}
