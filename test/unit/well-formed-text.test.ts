import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as z from '../../functions/shared/zod';
import { OPERATOR_SCOPE, TENANT_SCOPES, operations, type Operation } from '../../functions/api/operations';
import { routes } from '../../functions/declaration/topology';
import { NOT_WELL_FORMED } from '../../functions/shared/well-formed';

process.env.TABLE_NAME = 'ledger';
process.env.DELIVERY_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/webhook-delivery.fifo';
// The twin's kind of key (no KMS in a unit test): endpoints' secrets are sealed with it.
process.env.WEBHOOK_SECRETS_KEY = `local:${Buffer.alloc(32, 1).toString('base64')}`;
// Every AWS call fails loudly: a refused request must not reach a store, let alone write.
const ddb = mockClient(DynamoDBDocumentClient).rejects(new Error('no DynamoDB call expected'));
// ... but the caller's tenant status, which the API reads for every tenant request (suspension applies at once): one
// of its replicas (decision 0012).
ddb.on(GetCommand, { Key: { sk: 'STATUS' } }).resolves({ Item: { tenantId: 't1', status: 'active' } });
/** The calls a refused request must not make: every one but that status read. */
const storeCalls = () =>
  ddb
    .calls()
    .filter((call) => !(call.args[0].input as { Key?: { pk?: string } }).Key?.pk?.startsWith('TENANT#t1#STATUS#'));
const sqs = mockClient(SQSClient).rejects(new Error('no SQS call expected'));
const { handler } = await import('../../functions/handlers/api');

/** A lone high surrogate: valid JSON (`"\ud800"`), not well-formed Unicode. */
const BAD = 'bad \ud800 text';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

/** The path of the first string field the schema accepts (nested objects and arrays included), or null. */
function stringField(schema: JsonSchema): (string | number)[] | null {
  const types = [schema.type ?? []].flat();
  if (types.includes('string')) return [];
  for (const option of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
    const found = stringField(option);
    if (found) return found;
  }
  if (schema.items) {
    const found = stringField(schema.items);
    if (found) return [0, ...found];
  }
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const found = stringField(property);
    if (found) return [name, ...found];
  }
  return null;
}

/** A body with the lone surrogate in a string field of the operation's schema (in a key when it has none). */
function badBody(op: Operation): { json: string; path: string } {
  const path = stringField(z.toJSONSchema(op.request!, { io: 'input', unrepresentable: 'any' }) as JsonSchema);
  if (!path) return { json: JSON.stringify({ [BAD]: 1 }), path: BAD.toWellFormed() };
  const body = path.reduceRight<unknown>((inner, key) => (typeof key === 'number' ? [inner] : { [key]: inner }), BAD);
  return { json: JSON.stringify(body), path: path.join('.') || '(body)' };
}

function request(
  op: Operation,
  init: {
    body?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    params?: Record<string, string>;
  },
) {
  const params = Object.fromEntries([...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name!, `${name}_1`]));
  Object.assign(params, init.params);
  return {
    httpMethod: op.method,
    resource: op.path,
    path: op.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name]!),
    headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1', ...init.headers },
    multiValueHeaders: null,
    queryStringParameters: init.query ?? null,
    multiValueQueryStringParameters: null,
    body: init.body ?? null,
    pathParameters: Object.keys(params).length ? params : null,
    isBase64Encoded: false,
    requestContext: {
      authorizer:
        op.scope === OPERATOR_SCOPE
          ? { principal: 'operator', tenantId: '', credentialId: 'opk_test', scopes: OPERATOR_SCOPE }
          : { principal: 'tenant', tenantId: 't1', credentialId: 'key_test', scopes: TENANT_SCOPES.join(' ') },
    },
  } as unknown as APIGatewayProxyEvent;
}

const invoke = (event: APIGatewayProxyEvent) => handler(event, {} as never);

const declared = new Set(routes.map((route) => `${route.method} ${route.path}`));
const withBody = operations.filter((op) => op.request && declared.has(`${op.method} ${op.path}`));

describe('text that is not well-formed Unicode', () => {
  beforeEach(() => {
    ddb.resetHistory();
    sqs.resetHistory();
  });

  it('is looked for in every operation of the route table that takes a body', () => {
    // Assess: the table below covers every body-taking route (a new one joins it by itself).
    expect(withBody.length).toBeGreaterThanOrEqual(28);
    expect(withBody.map((op) => `${op.method} ${op.path}`)).toContain('POST /v1/members/{memberId}/points/earn');
  });

  it.each(withBody.map((op) => [`${op.method} ${op.path}`, op] as const))(
    '%s refuses a lone surrogate in a string field with 400 and calls no store',
    async (_name, op) => {
      // Prepare
      const { json, path } = badBody(op);

      // Act
      const response = await invoke(request(op, { body: json }));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(response.headers!['content-type']).toBe('application/problem+json');
      const problem = JSON.parse(response.body);
      expect(problem).toMatchObject({ code: 'validation_failed', status: 400 });
      expect(problem.errors).toContainEqual({ path, message: NOT_WELL_FORMED });
      expect(response.body.isWellFormed()).toBe(true);
      expect(storeCalls()).toHaveLength(0);
      expect(sqs.calls()).toHaveLength(0);
    },
  );

  it('is refused in the exact body of the report, an object key and a nested array item', async () => {
    // Prepare
    const earn = operations.find((op) => op.operationId === 'earnPoints')!;
    const bodies = [
      ['{"amountPoints":10,"reason":"bad \\ud800 text"}', 'reason'],
      ['{"amountPoints":10,"reason":"ok","\\udc00":1}', '\ufffd'],
    ] as const;
    const codes = operations.find((op) => op.operationId === 'importVoucherCodes')!;

    // Act
    const responses = await Promise.all(bodies.map(([body]) => invoke(request(earn, { body }))));
    const nested = await invoke(request(codes, { body: '{"codes":["GOOD-1","BAD-\\udbff"]}' }));

    // Assess
    for (const [i, response] of responses.entries()) {
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).errors).toContainEqual({ path: bodies[i]![1], message: NOT_WELL_FORMED });
    }
    expect(JSON.parse(nested.body).errors).toContainEqual({ path: 'codes.1', message: NOT_WELL_FORMED });
    expect(storeCalls()).toHaveLength(0);
  });

  it('accepts well-formed text outside the BMP (a surrogate pair is one character)', async () => {
    // Prepare
    const earn = operations.find((op) => op.operationId === 'earnPoints')!;

    // Act
    const response = await invoke(
      request(earn, { body: JSON.stringify({ amountPoints: 10, reason: 'stay \ud83c\udfe8 ok' }) }),
    );

    // Assess: it reached the store (which fails here), so it was not refused as ill-formed text.
    expect(JSON.parse(response.body).code).not.toBe('validation_failed');
    expect(ddb.calls().length).toBeGreaterThan(0);
  });

  it.each([
    ['a query parameter', { query: { cursor: BAD } }, 'query_invalid', 'cursor'],
    ['a path parameter', { params: { memberId: BAD } }, 'validation_failed', 'path.memberId'],
    ['a header', { headers: { 'if-match': BAD } }, 'validation_failed', 'header.if-match'],
  ] as const)('is refused in %s before any operation reads it', async (_where, init, code, path) => {
    // Prepare
    const list = operations.find((op) => op.operationId === 'listEntries')!;

    // Act
    const response = await invoke(request(list, init));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ code, errors: [{ path, message: NOT_WELL_FORMED }] });
    expect(storeCalls()).toHaveLength(0);
  });

  it('refuses an Idempotency-Key that is not printable ASCII (a lone surrogate included)', async () => {
    // Prepare
    const earn = operations.find((op) => op.operationId === 'earnPoints')!;
    const body = JSON.stringify({ amountPoints: 10, reason: 'stay' });

    // Act
    const response = await invoke(request(earn, { body, headers: { 'idempotency-key': BAD } }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(storeCalls()).toHaveLength(0);
  });
});
