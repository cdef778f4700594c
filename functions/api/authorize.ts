import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { principalContext, type Principal } from '../domain/credentials';
import { unauthorized, type Authenticate, type Authenticated } from './authorize-api-key';
import { bearerTokenOf } from './bearer-token';
import { apiKeyOf, header } from './http';

export { apiKeyAuthenticator, type ApiKeyDirectory, type Authenticate, type Authenticated } from './authorize-api-key';

/** One verifier per kind of credential the authorizer accepts (a bearer token's slots in beside the API key's). */
export interface Authenticators {
  apiKey: Authenticate;
  bearer: Authenticate;
}

/** Allows every method of the API: the answer holds for the credential, not for one route. */
function wholeApiArn(methodArn: string): string {
  const [arnPrefix, stage] = methodArn.split('/');
  return `${arnPrefix}/${stage}/*/*`;
}

/** The answer for a verified principal: every method of the API, the principal (and the tenant's throttle) in it. */
function allowed({ principal, usage }: Authenticated, methodArn: string): APIGatewayAuthorizerResult {
  const owner = principal.kind === 'tenant' ? principal.tenantId : 'operator';
  return {
    principalId: `${owner}/${principal.credentialId}`,
    // A tenant's caller is throttled by the tenant's limits (usage plan deployed, token bucket on the twin).
    ...(usage?.usageIdentifierKey ? { usageIdentifierKey: usage.usageIdentifierKey } : {}),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(methodArn) }],
    },
    context: { ...principalContext(principal satisfies Principal), ...usage?.context },
  };
}

/**
 * REQUEST authorizer: resolves the request's credential (an API key in `x-api-key`, or an OAuth access token in
 * `Authorization: Bearer`) to its principal (a tenant and its scopes, or an operator). API Gateway turns the thrown
 * 'Unauthorized' into a 401 and caches nothing (its result cache is off: each authenticator caches verified
 * credentials itself); the tenant id reaches the API only through this context.
 */
export async function authorize(
  event: APIGatewayRequestAuthorizerEvent,
  authenticators: Authenticators,
): Promise<APIGatewayAuthorizerResult> {
  const apiKey = apiKeyOf(event.headers);
  const token = bearerTokenOf(header(event.headers, 'authorization'));
  // One credential per request: with two, which one acts would be a guess.
  if (token !== undefined && apiKey !== undefined) throw unauthorized();
  if (token !== undefined) return allowed(await authenticators.bearer(token), event.methodArn);
  if (!apiKey) throw unauthorized();
  return allowed(await authenticators.apiKey(apiKey), event.methodArn);
}
