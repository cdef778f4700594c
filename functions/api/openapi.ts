import * as z from '../shared/zod';
import { loyaltyEvent } from '../domain/events';
import { CORRELATION_ID_HEADER, CORRELATION_ID_PATTERN } from '../shared/correlation-id';
import { OPERATOR_SCOPE, TENANT_SCOPES } from '../domain/credentials';
import { ACCESS_TOKEN_LIFETIME_SECONDS, TENANT_CLAIM } from '../domain/oauth';
import { operations } from './operations';
import { JWKS_PATH, TOKEN_PATH } from './token-endpoint';
import { api } from '../declaration/topology';

/** Every operation takes a caller's correlation id and every answer echoes the one the request got. */
const correlationIdParameter = {
  name: CORRELATION_ID_HEADER,
  in: 'header',
  required: false,
  description:
    'Your id for this request: it comes back in the answer and travels on the events, webhooks and lake ' +
    'records the request causes. Ignored unless it matches the pattern; API Gateway’s request id is used then',
  schema: { type: 'string', pattern: CORRELATION_ID_PATTERN },
};
const correlationIdHeader = {
  description:
    'The request’s correlation id: yours when well-formed, else API Gateway’s request id. Answers API Gateway ' +
    'gives itself (an unknown key, throttling, a failed function) carry only its request id, in x-amzn-RequestId',
  schema: { type: 'string' },
};

/**
 * The OpenAPI 3.1 document, generated from the operations' zod schemas (OpenAPI 3.1 speaks JSON
 * Schema 2020-12, which zod emits directly). Served at /openapi.json and checked into docs/.
 */
export function buildOpenApi(serverUrl = 'https://api.example.com') {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const pathItem = (paths[op.path] ??= {});
    const parameters: unknown[] = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    }));
    if (op.query) {
      const query = schema(op.query, 'input') as {
        properties?: Record<string, Record<string, unknown>>;
        required?: string[];
      };
      for (const [name, property] of Object.entries(query.properties ?? {})) {
        const { description, ...rest } = property;
        parameters.push({ name, in: 'query', required: false, ...(description ? { description } : {}), schema: rest });
      }
    }
    if (op.idempotent) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        description:
          'Bound forever to this request: a retry replays the first response, another body is rejected (409)',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      });
    }
    parameters.push({ $ref: '#/components/parameters/CorrelationId' });
    pathItem[op.method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      tags: [op.tag],
      ...(op.scope ? { security: securityFor(op.scope), 'x-required-scope': op.scope } : { security: [] }),
      parameters,
      ...(op.request
        ? { requestBody: { required: true, content: { 'application/json': { schema: schema(op.request, 'input') } } } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(op.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            headers: { ...response.headers, [CORRELATION_ID_HEADER]: { $ref: '#/components/headers/CorrelationId' } },
            ...(response.schema
              ? {
                  content: {
                    [Number(status) >= 400 ? 'application/problem+json' : 'application/json']: {
                      schema: schema(response.schema, 'output'),
                    },
                  },
                }
              : {}),
          },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Loyalty Ledger API',
      version: '1.0.0',
      description:
        'Members, points and webhooks of the loyalty ledger. Errors are RFC 9457 problem+json with a stable `code`.',
    },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }, { oauth2: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: api.keyHeader },
        oauth2: oauth2Scheme(serverUrl),
      },
      parameters: { CorrelationId: correlationIdParameter },
      headers: { CorrelationId: correlationIdHeader },
      schemas: { Event: schema(loyaltyEvent, 'output') },
    },
  };
}

/** Tenant operations take an API key or an OAuth access token with the scope; operator operations an operator key. */
const securityFor = (scope: string) =>
  scope === OPERATOR_SCOPE ? [{ apiKey: [] }] : [{ apiKey: [] }, { oauth2: [scope] }];

/**
 * The OAuth 2.0 client credentials flow (RFC 6749 §4.4). Its two routes are not operations of this document: the
 * token endpoint answers errors as RFC 6749 §5.2 JSON (`{"error": "invalid_client", …}`, not problem+json), which
 * OAuth client libraries expect, and the JWKS is a JWK Set (RFC 7517).
 */
function oauth2Scheme(serverUrl: string) {
  const base = serverUrl.replace(/\/+$/, '');
  return {
    type: 'oauth2',
    description:
      `Client credentials: POST ${TOKEN_PATH} (application/x-www-form-urlencoded, grant_type=client_credentials, ` +
      'client id and secret by HTTP Basic or as client_id/client_secret, optional scope) answers ' +
      `{access_token, token_type: "Bearer", expires_in: ${ACCESS_TOKEN_LIFETIME_SECONDS}, scope}. Send the token as ` +
      '`Authorization: Bearer <token>`. It is an ES256 JWT (RFC 9068) with iss the API’s base URL, aud its `/v1`, ' +
      `sub the client id, ${TENANT_CLAIM}, scope; its public keys are at ${JWKS_PATH}. Token errors are RFC 6749 ` +
      '§5.2 JSON (error: invalid_request, invalid_client (401), invalid_grant, unauthorized_client, ' +
      'unsupported_grant_type, invalid_scope), not problem+json, as OAuth clients expect.',
    flows: {
      clientCredentials: {
        tokenUrl: `${base}${TOKEN_PATH}`,
        scopes: Object.fromEntries(TENANT_SCOPES.map((scope) => [scope, `The ${scope} scope`])),
      },
    },
    'x-jwks-uri': `${base}${JWKS_PATH}`,
  };
}

function schema(type: z.ZodMiniType, io: 'input' | 'output') {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}
