import type { APIGatewayProxyEvent } from 'aws-lambda';
import { correlationIdHeader, correlationIdOf } from '../api/correlation';
import { problemJson } from '../api/http';
import { tokenRoute, type TokenEndpointServices } from '../api/token-endpoint';
import { tokenServices } from '../composition/token';
import { lambdaHandler } from '../shared/lambda-handler';

/** Built once per container, on the first request (settings are read then). */
let services: TokenEndpointServices | undefined;

export const handler = lambdaHandler(
  (event: APIGatewayProxyEvent) => tokenRoute(event, (services ??= tokenServices())),
  { correlationId: correlationIdOf },
)
  .use(correlationIdHeader())
  .use(problemJson());
