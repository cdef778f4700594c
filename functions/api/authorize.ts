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
import {
  principalOfBearerToken,
  bearerTokenOf,
  type BearerTokenDirectory,
  type BearerTokenVerifier,
} from './bearer-token';
import { apiKeyOf, header } from './http';

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

/** The principal a key stands for: an operator, or a tenant that exists and is active. */
async function principalOf(record: ApiKeyRecord, tenants: CredentialDirectory): Promise<Principal> {
  if (record.principal === 'operator') {
    if (!record.scopes.includes(OPERATOR_SCOPE)) throw new Error('Unauthorized');
    return { kind: 'operator', credentialId: record.keyId, scopes: [OPERATOR_SCOPE] };
  }
  const tenant = await tenants.getTenant(record.tenantId);
  if (!tenant || tenant.status !== 'active') throw new Error('Unauthorized');
  // A stored scope the platform no longer knows (or `admin`, never a tenant's) grants nothing.
  const scopes = record.scopes.filter((scope): scope is TenantScope =>
    (TENANT_SCOPES as readonly string[]).includes(scope),
  );
  return { kind: 'tenant', tenantId: record.tenantId, credentialId: record.keyId, scopes };
}

/** How the authorizer checks OAuth access tokens (`Authorization: Bearer <jwt>`). */
export interface BearerTokens {
  verifier: BearerTokenVerifier;
  directory: BearerTokenDirectory;
}

/** The answer for a verified principal: every method of the API, the principal in the context. */
function allowed(principal: Principal, methodArn: string): APIGatewayAuthorizerResult {
  const owner = principal.kind === 'tenant' ? principal.tenantId : 'operator';
  return {
    principalId: `${owner}/${principal.credentialId}`,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(methodArn) }],
    },
    context: { ...principalContext(principal) },
  };
}

/**
 * REQUEST authorizer: resolves an API key or an OAuth access token to its tenant and scopes. API Gateway turns
 * the thrown 'Unauthorized' into a 401; the tenant id reaches the API only through this context.
 */
export async function authorize(
  event: APIGatewayRequestAuthorizerEvent,
  tenants: CredentialDirectory,
  bearer?: BearerTokens,
): Promise<APIGatewayAuthorizerResult> {
  const apiKey = apiKeyOf(event.headers);
  const token = bearerTokenOf(header(event.headers, 'authorization'));
  if (token && bearer) {
    // One credential per request: with two, which one acts would be a guess.
    if (apiKey !== undefined) throw new Error('Unauthorized');
    return allowed(await principalOfBearerToken(token, bearer.verifier, bearer.directory), event.methodArn);
  }
  if (!apiKey || apiKey.length > 200) throw new Error('Unauthorized');

  const record = await tenants.findApiKey(apiKey);
  if (!record || record.status !== 'active') {
    logger.info('Rejected API key', { reason: record ? 'revoked' : 'unknown' });
    throw new Error('Unauthorized');
  }
  return allowed(await principalOf(record, tenants), event.methodArn);
}
