import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorize } from '../api/authorize';
import { correlationIdOf } from '../api/correlation';
import { tenantDirectory } from '../composition/authorizer';
import { lambdaHandler } from '../shared/lambda-handler';

/** Built once per container, on the first invocation (settings are read then). */
let tenants: ReturnType<typeof tenantDirectory> | undefined;

export const handler = lambdaHandler(
  (event: APIGatewayRequestAuthorizerEvent) => authorize(event, (tenants ??= tenantDirectory())),
  { correlationId: correlationIdOf },
);
