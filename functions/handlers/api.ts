import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { correlationIdHeader, correlationIdOf } from '../api/correlation';
import { problemJson, refuseIllFormedRequest, respond } from '../api/http';
import { buildOpenApi } from '../api/openapi';
import { OPERATOR_SCOPE, operations, principalFromContext, type Operation, type Services } from '../api/operations';
import { refuseSuspendedTenant } from '../api/tenant-status';
import { apiServices } from '../composition/api';
import { setting } from '../composition/config';
import { lambdaHandler } from '../shared/lambda-handler';
import { Problem } from '../shared/problem';

/** API Gateway resource templates (`/v1/members/{memberId}`) map straight to operations. */
const byRoute = new Map<string, Operation>(operations.map((op) => [`${op.method} ${op.path}`, op]));
let openApiDocument: string | undefined;
/** Built once per container, on the first request (settings are read then). */
let services: Services | undefined;

export async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  if (event.httpMethod === 'GET' && event.resource === '/openapi.json') {
    openApiDocument ??= JSON.stringify(buildOpenApi(setting('PUBLIC_BASE_URL')));
    return respond(200, openApiDocument, { 'cache-control': 'public, max-age=300' });
  }
  // API Gateway only invokes declared routes; anything else is a wiring error, answered as 404.
  const op = byRoute.get(`${event.httpMethod} ${event.resource}`);
  if (!op) throw new Problem('not_found');
  refuseIllFormedRequest(event);
  const principal = principalFromContext(event.requestContext.authorizer);
  if (!principal) throw new Problem('unauthorized');
  // Operator operations act on the platform, tenant operations within the caller's tenant: neither kind reaches the
  // other's operations, whatever its scopes.
  const forOperators = op.scope === OPERATOR_SCOPE;
  if (forOperators !== (principal.kind === 'operator')) {
    throw new Problem(
      'forbidden',
      forOperators
        ? 'This operation needs operator credentials'
        : 'Operator credentials act on the platform, not within a tenant',
    );
  }
  if (op.scope && !(principal.scopes as string[]).includes(op.scope))
    throw new Problem('forbidden', `This operation needs the ${op.scope} scope`);

  services ??= apiServices();
  if (principal.kind === 'tenant') await refuseSuspendedTenant(services, principal.tenantId);

  const tenantId = principal.kind === 'tenant' ? principal.tenantId : '';
  const outcome = await op.run({ event, tenantId, principal, services });
  return respond(outcome.statusCode, outcome.body, outcome.replayed ? { 'idempotent-replayed': 'true' } : {});
}

export const handler = lambdaHandler(route, { correlationId: correlationIdOf })
  .use(correlationIdHeader())
  .use(problemJson());
