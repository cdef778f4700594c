import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { principalContext } from '../domain/credentials';
import { unauthorized, type Authenticate } from './authorize-api-key';
import { apiKeyOf } from './http';

export { apiKeyAuthenticator, type ApiKeyDirectory, type Authenticate, type Authenticated } from './authorize-api-key';

/** One verifier per kind of credential the authorizer accepts (a bearer token's slots in beside the API key's). */
export interface Authenticators {
  apiKey: Authenticate;
}

/** Allows every method of the API: the answer holds for the credential, not for one route. */
function wholeApiArn(methodArn: string): string {
  const [arnPrefix, stage] = methodArn.split('/');
  return `${arnPrefix}/${stage}/*/*`;
}

/**
 * REQUEST authorizer: resolves the request's credential to its principal (a tenant and its scopes, or an
 * operator). API Gateway turns the thrown 'Unauthorized' into a 401 and caches nothing (its result cache is off:
 * each authenticator caches verified credentials itself); the tenant id reaches the API only through this context.
 */
export async function authorize(
  event: APIGatewayRequestAuthorizerEvent,
  authenticators: Authenticators,
): Promise<APIGatewayAuthorizerResult> {
  const apiKey = apiKeyOf(event.headers);
  if (!apiKey) throw unauthorized();
  const { principal, usage } = await authenticators.apiKey(apiKey);

  return {
    principalId:
      principal.kind === 'tenant'
        ? `${principal.tenantId}/${principal.credentialId}`
        : `operator/${principal.credentialId}`,
    // A tenant's caller is throttled by the tenant's limits (usage plan deployed, token bucket on the twin).
    ...(usage?.usageIdentifierKey ? { usageIdentifierKey: usage.usageIdentifierKey } : {}),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(event.methodArn) }],
    },
    context: { ...principalContext(principal), ...usage?.context },
  };
}
