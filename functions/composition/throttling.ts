import type { TenantThrottling } from '../domain/ports';
import { apiGatewayClient } from '../adapters/aws-clients';
import { ApiGatewayThrottling } from '../adapters/api-gateway-throttling';
import { LocalThrottling } from '../adapters/local-throttling';
import { setting } from './config';

/**
 * The throttling of the function's `TENANT_THROTTLING`: the usage plans of the API stage it names
 * (`api-gateway:<rest api id>/<stage>`, deployed) or the twin's gateway (`local`). Tenant admin operations call
 * `applyTenantLimits(tenant, { throttling: tenantThrottling(), tenants })` after creating a tenant or changing
 * its limits.
 */
export function tenantThrottling(where = setting('TENANT_THROTTLING')): TenantThrottling {
  if (where === 'local') return new LocalThrottling();
  const [restApiId, stage] = where.slice('api-gateway:'.length).split('/');
  if (!restApiId || !stage) throw new Error(`TENANT_THROTTLING '${where}' names no API stage`);
  return new ApiGatewayThrottling(apiGatewayClient(), { restApiId, stage });
}
