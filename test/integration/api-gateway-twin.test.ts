import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent } from 'aws-lambda';
import { LocalApiGateway } from '../../local/api-gateway';
import type { LocalLambda } from '../../local/lambda';
import { gatewayProblem, type GatewayResponseType } from '../../functions/declaration/gateway-problems';
import { ifStarted } from '../support/teardown';
import { asPromise } from '../support/as-promise';
import { rawRequest } from '../support/raw-http';

/**
 * The twin's API Gateway over real HTTP, with stand-in functions: what it answers itself must be,
 * status, headers and body, the gateway response the stack configures for the same situation.
 */
type Behaviour = { authorizer: 'allow' | 'deny' | 'unauthorized' | 'crash'; api: 'ok' | 'crash' };
const behaviour: Behaviour = { authorizer: 'allow', api: 'ok' };
const invoked: string[] = [];

const lambda = {
  invoke<T>(id: string, event: unknown): Promise<T> {
    return asPromise(() => {
      invoked.push(id);
      if (id === 'authorizer') {
        // As the real authorizer: no credential is its 401 (the gateway has no identity source to check first).
        const { headers } = event as APIGatewayProxyEvent;
        if (behaviour.authorizer === 'unauthorized' || !headers['x-api-key']) throw new Error('Unauthorized');
        if (behaviour.authorizer === 'crash')
          throw Object.assign(new Error('connect timeout'), { name: 'TimeoutError' });
        const result: APIGatewayAuthorizerResult = {
          principalId: 't1/k1',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Action: 'execute-api:Invoke',
                Effect: behaviour.authorizer === 'allow' ? 'Allow' : 'Deny',
                Resource: '*',
              },
            ],
          },
          context: { tenantId: 't1', scopes: 'members:read' },
        };
        return result as T;
      }
      if (behaviour.api === 'crash') throw new Error('Task timed out after 25 seconds');
      const { pathParameters } = event as APIGatewayProxyEvent;
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pathParameters }),
      } as T;
    });
  },
} as unknown as LocalLambda;

let gateway: LocalApiGateway;
let key = 0;

beforeAll(async () => {
  gateway = new LocalApiGateway(lambda);
  await gateway.start(0);
});
afterAll(async () => {
  await ifStarted(gateway)?.stop();
});
beforeEach(() => {
  Object.assign(behaviour, { authorizer: 'allow', api: 'ok' });
  invoked.length = 0;
});

/** A raw request (the path is sent exactly as written: fetch would normalize a malformed escape). */
function send(path: string, headers: Record<string, string> = { 'x-api-key': `key-${++key}` }) {
  return rawRequest(gateway.url, { method: 'GET', path, headers });
}

/** Asserts the answer is the stack's gateway response of `type`, byte for byte. */
function expectGatewayAnswer(answer: Awaited<ReturnType<typeof send>>, type: GatewayResponseType) {
  const expected = gatewayProblem(type);
  expect(answer.status).toBe(expected.status);
  for (const [name, value] of Object.entries(expected.headers)) expect(answer.headers[name]).toBe(value);
  expect(answer.body).toBe(expected.body);
}

describe("the twin's API Gateway", () => {
  it.each(['/v1/members/%zz', '/v1/members/%', '/v1/members/%ED%A0%80', '/v1/nowhere/%zz'])(
    'answers a malformed percent-encoding (%s) itself with a 400 problem, before authorizer and function',
    async (path) => {
      // Act
      const answer = await send(path);

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'bad_request', status: 400 });
      expectGatewayAnswer(answer, 'DEFAULT_4XX');
      expect(invoked).toEqual([]);
    },
  );

  it('runs the authorizer for every request, as deployed with its result cache off', async () => {
    // Act: the same key twice.
    const headers = { 'x-api-key': 'the-same-key' };
    await send('/v1/members/mem_1', headers);
    await send('/v1/members/mem_1', headers);

    // Assess
    expect(invoked).toEqual(['authorizer', 'api', 'authorizer', 'api']);
  });

  it('still decodes a well-formed escape into the path parameter', async () => {
    // Act
    const answer = await send('/v1/members/mem%5F1');

    // Assess
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ pathParameters: { memberId: 'mem_1' } });
  });

  it.each([
    ['an undeclared route', () => send('/v1/nowhere'), 'MISSING_AUTHENTICATION_TOKEN'],
    ['a missing credential (the authorizer runs, caching off)', () => send('/v1/members/mem_1', {}), 'UNAUTHORIZED'],
    ['an unknown API key', () => ((behaviour.authorizer = 'unauthorized'), send('/v1/members/mem_1')), 'UNAUTHORIZED'],
    ['a denying policy', () => ((behaviour.authorizer = 'deny'), send('/v1/members/mem_1')), 'ACCESS_DENIED'],
    [
      'an authorizer that fails (its table read timed out)',
      () => ((behaviour.authorizer = 'crash'), send('/v1/members/mem_1')),
      'AUTHORIZER_CONFIGURATION_ERROR',
    ],
    ['a function that fails', () => ((behaviour.api = 'crash'), send('/v1/members/mem_1')), 'DEFAULT_5XX'],
  ] as const)('answers %s with the stack gateway response, as problem+json', async (_name, act, type) => {
    // Act
    const answer = await act();

    // Assess
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expectGatewayAnswer(answer, type);
  });

  it('asks for a retry when the authorizer fails, and a 502 when the function does', async () => {
    // Act
    behaviour.authorizer = 'crash';
    const authorizerDown = await send('/v1/members/mem_1');
    Object.assign(behaviour, { authorizer: 'allow', api: 'crash' });
    const functionDown = await send('/v1/members/mem_1');

    // Assess
    expect(authorizerDown.status).toBe(503);
    expect(authorizerDown.headers['retry-after']).toBe('2');
    expect(functionDown.status).toBe(502);
    expect(JSON.parse(functionDown.body).code).toBe('bad_gateway');
  });
});
