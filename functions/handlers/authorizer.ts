import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { correlationIdOf } from '../api/correlation';
import { apiKeyOf } from '../api/http';
import { tenantDirectory } from '../composition/authorizer';
import { lambdaHandler } from '../shared/lambda-handler';
import { logger } from '../shared/logger';

/** Built once per container, on the first invocation (settings are read then). */
let tenants: ReturnType<typeof tenantDirectory> | undefined;

/** Allows every method of the API: results are cached per key, not per route. */
function wholeApiArn(methodArn: string): string {
  const [arnPrefix, stage] = methodArn.split('/');
  return `${arnPrefix}/${stage}/*/*`;
}

/**
 * REQUEST authorizer: resolves an API key to its tenant and scopes. API Gateway turns the thrown
 * 'Unauthorized' into a 401; the tenant id reaches the API only through this context.
 */
async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const apiKey = apiKeyOf(event.headers);
  if (!apiKey || apiKey.length > 200) throw new Error('Unauthorized');

  tenants ??= tenantDirectory();
  const record = await tenants.findApiKey(apiKey);
  if (!record || record.status !== 'active') {
    logger.info('Rejected API key', { reason: record ? 'revoked' : 'unknown' });
    throw new Error('Unauthorized');
  }
  const tenant = await tenants.getTenant(record.tenantId);
  if (!tenant || tenant.status !== 'active') throw new Error('Unauthorized');

  return {
    principalId: `${record.tenantId}/${record.keyId}`,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(event.methodArn) }],
    },
    context: { tenantId: record.tenantId, keyId: record.keyId, scopes: record.scopes.join(' ') },
  };
}

export const handler = lambdaHandler(authorize, { correlationId: correlationIdOf });
