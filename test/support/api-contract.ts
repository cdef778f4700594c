import { appendFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as z from '../../functions/shared/zod';
import { buildOpenApi } from '../../functions/api/openapi';
import { operations, type Operation } from '../../functions/api/operations';
import { problemResponse } from '../../functions/api/schemas';
import { JWKS_PATH } from '../../functions/api/token-endpoint';
import { ACCESS_TOKEN_LIFETIME_SECONDS, OAUTH_ERRORS, type OAuthErrorCode } from '../../functions/domain/oauth';
import { routes, type RouteSpec } from '../../functions/declaration/topology';

/**
 * The contract check of every answer the e2e tests get from the twin's API: the request's method
 * and path pick the route (`functions/declaration/topology.ts`) and its operation (`functions/api`), the status
 * picks the documented response, and the body must parse with that response's schema and carry
 * no field the schema leaves out (the OpenAPI document says `additionalProperties: false`), so
 * `/openapi.json`, generated from the same schemas, cannot drift from what the API returns.
 */
export interface ApiAnswer {
  method: string;
  /** The request's path as sent (a query string is ignored). */
  path: string;
  status: number;
  contentType: string | null;
  /** The body as received. */
  text: string;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

const compiled = routes.map((route) => ({
  route,
  // As the twin's gateway matches: on the raw path, a parameter being one segment.
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/**
 * Throws a ContractViolation naming the operation, the status and every offending field when the
 * answer is not what the API's contract documents.
 * @example checkContract({ method: 'GET', path: '/v1/rewards', status: 200, contentType: 'application/json', text });
 */
export function checkContract(answer: ApiAnswer): void {
  const method = answer.method.toUpperCase();
  const pathname = answer.path.split('?')[0]!;
  const route = compiled.find(
    (candidate) => candidate.route.method === method && candidate.pattern.test(pathname),
  )?.route;
  const label = `${method} ${pathname}`;
  if (!route) {
    // An undeclared route never reaches a function: the gateway's own 404 problem.
    checkBody(`${label} (no route)`, answer, 404, problemResponse);
    record('gateway:no-route', answer.status);
    return;
  }
  if (route.path === '/openapi.json') {
    checkOpenApi(label, answer);
    return;
  }
  if (route.function === 'token') {
    checkTokenRoute(label, route, answer);
    return;
  }
  const operation = operationOf(route);
  const where = `${method} ${route.path} (${operation.operationId}) answered ${answer.status}`;
  const spec = operation.responses[answer.status];
  if (!spec) {
    const documented = Object.keys(operation.responses).join(', ');
    throw new ContractViolation(
      `${where}, a status its contract does not document (documented: ${documented})\nbody: ${excerpt(answer.text)}`,
    );
  }
  checkBody(where, answer, answer.status, spec.schema);
  record(operation.operationId, answer.status);
}

function operationOf(route: RouteSpec): Operation {
  const operation = operations.find((candidate) => candidate.method === route.method && candidate.path === route.path);
  if (!operation)
    throw new ContractViolation(`the route ${route.method} ${route.path} has no operation in functions/api`);
  return operation;
}

function checkBody(where: string, answer: ApiAnswer, status: number, schema: z.ZodMiniType | undefined): void {
  if (answer.status !== status)
    throw new ContractViolation(
      `${where}: expected status ${status}, got ${answer.status}\nbody: ${excerpt(answer.text)}`,
    );
  if (!schema) {
    if (answer.text !== '')
      throw new ContractViolation(
        `${where}: its contract documents no body, but one came\nbody: ${excerpt(answer.text)}`,
      );
    return;
  }
  const expectedType = status >= 400 ? 'application/problem+json' : 'application/json';
  if (answer.contentType?.split(';')[0]?.trim() !== expectedType) {
    throw new ContractViolation(`${where} with content-type ${answer.contentType}, not ${expectedType}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw new ContractViolation(`${where} with a body that is not JSON\nbody: ${excerpt(answer.text)}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw new ContractViolation(
      `${where} with a body its response schema rejects:\n${issues.join('\n')}\nbody: ${excerpt(answer.text)}`,
    );
  }
  const undocumented = fieldsDropped(body, parsed.data, '');
  if (undocumented.length > 0) {
    throw new ContractViolation(
      `${where} with fields its response schema does not document: ${undocumented.join(', ')}\n` +
        `body: ${excerpt(answer.text)}`,
    );
  }
}

const tokenAnswer = z.strictObject({
  access_token: z.string().check(z.regex(/^[\w-]+\.[\w-]+\.[\w-]+$/)),
  token_type: z.literal('Bearer'),
  expires_in: z.literal(ACCESS_TOKEN_LIFETIME_SECONDS),
  scope: z.string(),
});
const tokenError = z.strictObject({
  error: z.enum(Object.keys(OAUTH_ERRORS) as [OAuthErrorCode, ...OAuthErrorCode[]]),
  error_description: z.optional(z.string()),
});
const jwkSet = z.strictObject({
  keys: z
    .array(
      z.strictObject({
        kty: z.literal('EC'),
        crv: z.literal('P-256'),
        x: z.string(),
        y: z.string(),
        kid: z.string(),
        alg: z.literal('ES256'),
        use: z.literal('sig'),
      }),
    )
    .check(z.minLength(1)),
});

/**
 * The OAuth routes answer as their RFCs say, not as API operations: a token (RFC 6749 §5.1) or an error of §5.2
 * (JSON with the status §5.2 gives its code), never cached; the JWKS a JWK Set of P-256 keys.
 */
function checkTokenRoute(label: string, route: RouteSpec, answer: ApiAnswer): void {
  const fail = (why: string) => {
    throw new ContractViolation(`${label} answered ${answer.status}: ${why}\nbody: ${excerpt(answer.text)}`);
  };
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    fail('a body that is not JSON');
  }
  const mediaType = answer.contentType?.split(';')[0]?.trim();
  if (route.path === JWKS_PATH) {
    if (answer.status !== 200 || mediaType !== 'application/jwk-set+json' || !jwkSet.safeParse(body).success)
      fail('not a JWK Set of P-256 keys');
    record('jwks', answer.status);
    return;
  }
  if (mediaType !== 'application/json') fail(`content-type ${answer.contentType}, not application/json`);
  if (answer.status === 200) {
    if (!tokenAnswer.safeParse(body).success) fail('not an RFC 6749 §5.1 token answer');
  } else {
    const parsed = tokenError.safeParse(body);
    if (!parsed.success) fail('not an RFC 6749 §5.2 error');
    else if (OAUTH_ERRORS[parsed.data.error] !== answer.status)
      fail(`a status §5.2 does not give ${parsed.data.error}`);
  }
  record('oauth2Token', answer.status);
}

/** The document served is the one generated from the schemas the answers are checked with. */
function checkOpenApi(label: string, answer: ApiAnswer): void {
  if (answer.status !== 200)
    throw new ContractViolation(`${label} answered ${answer.status}\nbody: ${excerpt(answer.text)}`);
  const served = JSON.parse(answer.text) as { paths: unknown; components: unknown };
  const generated = buildOpenApi();
  if (
    !isDeepStrictEqual(served.paths, generated.paths) ||
    !isDeepStrictEqual(served.components, generated.components)
  ) {
    throw new ContractViolation(`${label} serves paths or components other than those generated from functions/api`);
  }
  record('openapi.json', answer.status);
}

/** Paths of fields present in what was received but stripped by the schema's parse (not documented). */
function fieldsDropped(received: unknown, parsed: unknown, path: string): string[] {
  if (Array.isArray(received) && Array.isArray(parsed)) {
    return received.flatMap((item, i) => fieldsDropped(item, parsed[i], `${path}[${i}]`));
  }
  if (!isObject(received) || !isObject(parsed)) return [];
  return Object.keys(received).flatMap((key) => {
    const at = path ? `${path}.${key}` : key;
    return key in parsed ? fieldsDropped(received[key], parsed[key], at) : [at];
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const excerpt = (text: string) => (text.length > 600 ? `${text.slice(0, 600)}…` : text);

function record(operationId: string, status: number): void {
  // Set by whoever wants the coverage of a run: which operations and statuses the tests saw.
  if (process.env.CONTRACT_COVERAGE_FILE)
    appendFileSync(process.env.CONTRACT_COVERAGE_FILE, `${operationId} ${status}\n`);
}
