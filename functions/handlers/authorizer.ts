import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorize, type BearerTokens } from '../api/authorize';
import { correlationIdOf } from '../api/correlation';
import { bearerTokens, tenantDirectory } from '../composition/authorizer';
import { lambdaHandler } from '../shared/lambda-handler';

/** Built once per container, on the first invocation (settings are read then). */
let tenants: ReturnType<typeof tenantDirectory> | undefined;
let bearer: BearerTokens | undefined;

export const handler = lambdaHandler(
  (event: APIGatewayRequestAuthorizerEvent) => {
    tenants ??= tenantDirectory();
    return authorize(event, tenants, (bearer ??= bearerTokens(tenants)));
  },
  { correlationId: correlationIdOf },
);
