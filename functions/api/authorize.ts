import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import {
  OPERATOR_SCOPE,
  principalContext,
  TENANT_SCOPES,
  type Principal,
  type TenantScope,
} from '../domain/credentials';
import type { ApiKeyRecord, Tenant } from '../domain/ports';
import { logger } from '../shared/logger';
import { apiKeyOf } from './http';

/** What the authorizer resolves credentials against: keys by their secret, tenants by id. */
export interface CredentialDirectory {
  findApiKey(apiKey: string): Promise<ApiKeyRecord | null>;
  getTenant(tenantId: string): Promise<Tenant | null>;
}

/** Allows every method of the API: results are cached per key, not per route. */
function wholeApiArn(methodArn: string): string {
  const [arnPrefix, stage] = methodArn.split('/');
  return `${arnPrefix}/${stage}/*/*`;
}

/** The principal a key stands for: an operator, or a tenant that exists. */
async function principalOf(record: ApiKeyRecord, tenants: CredentialDirectory): Promise<Principal> {
  if (record.principal === 'operator') {
    if (!record.scopes.includes(OPERATOR_SCOPE)) throw new Error('Unauthorized');
    return { kind: 'operator', credentialId: record.keyId, scopes: [OPERATOR_SCOPE] };
  }
  // A suspended tenant's key still stands for it: the API refuses the request (403 tenant_suspended) on a fresh read
  // of the tenant, so the answer neither depends on a cache nor turns into a 401 once this result is cached.
  const tenant = await tenants.getTenant(record.tenantId);
  if (!tenant) throw new Error('Unauthorized');
  // A stored scope the platform no longer knows (or `admin`, never a tenant's) grants nothing.
  const scopes = record.scopes.filter((scope): scope is TenantScope =>
    (TENANT_SCOPES as readonly string[]).includes(scope),
  );
  return { kind: 'tenant', tenantId: record.tenantId, credentialId: record.keyId, scopes };
}

/**
 * REQUEST authorizer: resolves an API key to its tenant and scopes. API Gateway turns the thrown
 * 'Unauthorized' into a 401; the tenant id reaches the API only through this context.
 */
export async function authorize(
  event: APIGatewayRequestAuthorizerEvent,
  tenants: CredentialDirectory,
): Promise<APIGatewayAuthorizerResult> {
  const apiKey = apiKeyOf(event.headers);
  if (!apiKey || apiKey.length > 200) throw new Error('Unauthorized');

  const record = await tenants.findApiKey(apiKey);
  if (!record || record.status !== 'active') {
    logger.info('Rejected API key', { reason: record ? 'revoked' : 'unknown' });
    throw new Error('Unauthorized');
  }
  const principal = await principalOf(record, tenants);

  return {
    principalId: principal.kind === 'tenant' ? `${principal.tenantId}/${record.keyId}` : `operator/${record.keyId}`,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(event.methodArn) }],
    },
    context: { ...principalContext(principal) },
  };
}
