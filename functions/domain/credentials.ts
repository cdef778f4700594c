import { Problem } from '../shared/problem';

/**
 * Who may call the platform, and with what. Two kinds of principal: a tenant's credentials (API keys and OAuth
 * clients) act within their tenant only, with tenant scopes; the platform team's operator credentials act on the
 * platform (tenants, their limits, their first credentials) with the `admin` scope, which no tenant credential can
 * ever hold. The tenant comes from the credential alone, never from a path, header or body.
 */

/** What a tenant credential may be granted. */
export const TENANT_SCOPES = [
  'members:read',
  'members:write',
  'members:erase',
  'points:write',
  'points:adjust',
  'programme:manage',
  'webhooks:manage',
  'credentials:manage',
  'audit:read',
  'events:read',
  /** Lake settings and the pseudonymisation key that re-identifies members: data-sharing, not programme, staff. */
  'data:manage',
] as const;
export type TenantScope = (typeof TENANT_SCOPES)[number];

/** The operator scope: the admin API. Only operator credentials hold it. */
export const OPERATOR_SCOPE = 'admin';
export type Scope = TenantScope | typeof OPERATOR_SCOPE;

export type Principal =
  | { kind: 'tenant'; tenantId: string; credentialId: string; scopes: TenantScope[] }
  | { kind: 'operator'; credentialId: string; scopes: [typeof OPERATOR_SCOPE] };

/** Who did something, as audit events and logs name them (never a secret: ids only). */
export const actorOf = (principal: Principal) =>
  principal.kind === 'operator'
    ? { kind: 'operator' as const, credentialId: principal.credentialId }
    : { kind: 'tenant' as const, credentialId: principal.credentialId };

/** A tenant's limits, kept with the tenant: API throttling (per tenant), webhook endpoints, feed consumers. */
export interface TenantLimits {
  /** Steady API requests per second (token bucket rate). */
  requestsPerSecond: number;
  /** Requests allowed at once above the steady rate (token bucket size). */
  burst: number;
  /** Webhook endpoints the tenant may register. */
  webhookEndpoints: number;
  /** Event feed consumers (cursors) the tenant may hold. */
  feedConsumers: number;
}

export const DEFAULT_TENANT_LIMITS: TenantLimits = {
  requestsPerSecond: 50,
  burst: 100,
  webhookEndpoints: 10,
  feedConsumers: 5,
};

/**
 * The scopes a new tenant credential asks for, checked: known tenant scopes only, at least one, no repeats.
 * `admin` is refused with its own message: it is not a tenant scope, whoever asks.
 */
export function grantableTenantScopes(requested: readonly string[]): TenantScope[] {
  if (requested.includes(OPERATOR_SCOPE)) {
    throw new Problem('validation_failed', 'The admin scope cannot be granted to a tenant credential');
  }
  const unknown = requested.filter((scope) => !(TENANT_SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) {
    throw new Problem('validation_failed', `Unknown scope(s): ${unknown.join(', ')}`);
  }
  if (requested.length === 0) throw new Problem('validation_failed', 'A credential needs at least one scope');
  return [...new Set(requested as TenantScope[])];
}

/**
 * What the authorizer hands API Gateway (a flat map of strings: API Gateway's authorizer context) and what the API
 * reads back. The limits travel too: the local twin throttles from them as a usage plan does deployed.
 */
export interface AuthorizerContext {
  principal: Principal['kind'];
  /** Empty for operators. */
  tenantId: string;
  credentialId: string;
  /** Space-separated. */
  scopes: string;
}

export const principalContext = (principal: Principal): AuthorizerContext => ({
  principal: principal.kind,
  tenantId: principal.kind === 'tenant' ? principal.tenantId : '',
  credentialId: principal.credentialId,
  scopes: principal.scopes.join(' '),
});

/** The principal of a request from its authorizer context; null when the context is missing or malformed. */
export function principalFromContext(context: Record<string, unknown> | null | undefined): Principal | null {
  if (!context) return null;
  const { principal, tenantId, credentialId, scopes } = context;
  if (typeof credentialId !== 'string' || credentialId === '' || typeof scopes !== 'string') return null;
  const granted = scopes.split(' ').filter((scope) => scope !== '');
  if (principal === 'operator') {
    return granted.includes(OPERATOR_SCOPE) ? { kind: 'operator', credentialId, scopes: [OPERATOR_SCOPE] } : null;
  }
  if (principal !== 'tenant' || typeof tenantId !== 'string' || tenantId === '') return null;
  const tenantScopes = granted.filter((scope): scope is TenantScope =>
    (TENANT_SCOPES as readonly string[]).includes(scope),
  );
  return { kind: 'tenant', tenantId, credentialId, scopes: tenantScopes };
}
