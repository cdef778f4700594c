import { DEFAULT_TENANT_LIMITS } from '../domain/credentials';
import type { Tenant } from '../domain/ports';

/** The authorizer context fields that carry a tenant's API throttle (numbers, as API Gateway passes them on). */
export interface ThrottleContext {
  requestsPerSecond: number;
  burst: number;
}

/** What the authorizer adds to its answer for a tenant's caller, so that the gateway throttles the tenant. */
export interface UsageIdentity {
  /**
   * Deployed, API Gateway finds the tenant's usage plan by this key (`apiKeySourceType: AUTHORIZER`) and throttles
   * it there; a tenant without one (its limits never applied) is refused by the gateway (403).
   */
  usageIdentifierKey?: string;
  /** The tenant's limits: the twin's gateway throttles with them, as the usage plan of these limits does. */
  context: ThrottleContext;
}

/** The usage identity of a tenant: its usage identifier key, if its limits were applied, and its limits. */
export function usageIdentityOf(tenant: Partial<Pick<Tenant, 'limits' | 'usageIdentifierKey'>>): UsageIdentity {
  const { requestsPerSecond, burst } = tenant.limits ?? DEFAULT_TENANT_LIMITS;
  return {
    ...(tenant.usageIdentifierKey ? { usageIdentifierKey: tenant.usageIdentifierKey } : {}),
    context: { requestsPerSecond, burst },
  };
}

/** The throttle a gateway applies for an authorizer context, or undefined when it carries none (operators). */
export function throttleOfContext(context: Record<string, unknown> | undefined): ThrottleContext | undefined {
  if (context?.requestsPerSecond === undefined || context.burst === undefined) return undefined;
  const throttle = { requestsPerSecond: Number(context.requestsPerSecond), burst: Number(context.burst) };
  return Number.isFinite(throttle.requestsPerSecond) && Number.isFinite(throttle.burst) ? throttle : undefined;
}
