import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorize } from '../api/authorize';
import { correlationIdOf } from '../api/correlation';
import { authenticators } from '../composition/authorizer';
import { lambdaHandler } from '../shared/lambda-handler';

/** Built once per container, on the first invocation (settings are read then); its caches live as long. */
let verifiers: ReturnType<typeof authenticators> | undefined;

export const handler = lambdaHandler(
  (event: APIGatewayRequestAuthorizerEvent) => authorize(event, (verifiers ??= authenticators())),
  { correlationId: correlationIdOf },
);
