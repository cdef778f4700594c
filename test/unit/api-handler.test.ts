import { jest } from '@jest/globals';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

process.env.TABLE_NAME = 'ledger';
process.env.DELIVERY_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/webhook-delivery.fifo';
// The twin's kind of key (no KMS in a unit test): new endpoints' secrets are sealed with it.
process.env.WEBHOOK_SECRETS_KEY = `local:${Buffer.alloc(32, 1).toString('base64')}`;
const ddb = mockClient(DynamoDBDocumentClient);
const { route, handler } = await import('../../functions/handlers/api');
const { logger } = await import('../../functions/shared/logger');
const { TENANT_STATUS_REPLICAS } = await import('../../functions/adapters/dynamo-tenant-store');

function request(
  method: string,
  resource: string,
  init: { body?: unknown; headers?: Record<string, string>; params?: Record<string, string>; scopes?: string } = {},
) {
  const path = resource.replace(/\{(\w+)\}/g, (_, n: string) => init.params?.[n] ?? n);
  return {
    httpMethod: method,
    resource,
    path,
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? null : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    pathParameters: init.params ?? null,
    isBase64Encoded: false,
    requestContext: {
      authorizer: {
        principal: 'tenant',
        tenantId: 't1',
        credentialId: 'key_test',
        scopes: init.scopes ?? 'members:read members:write points:write webhooks:manage',
      },
    },
  } as unknown as APIGatewayProxyEvent;
}

/** The caller's tenant's status, read from one of its replicas for every tenant request (suspension is at once). */
const tenantIs = (status: 'active' | 'suspended') => {
  for (let replica = 0; replica < TENANT_STATUS_REPLICAS; replica++) {
    ddb
      .on(GetCommand, { Key: { pk: `TENANT#t1#STATUS#${replica}`, sk: 'STATUS' } })
      .resolves({ Item: { tenantId: 't1', status } });
  }
};
const tenantIsActive = () => {
  tenantIs('active');
};

const invoke = (event: APIGatewayProxyEvent) => handler(event, {} as never);

describe('API handler', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(GetCommand).resolves({});
    tenantIsActive();
    ddb.on(PutCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(TransactWriteCommand).resolves({});
  });

  it.each([
    ['malformed JSON', '{"externalId":', 'malformed_json', 400],
    ['unknown field', { externalId: 'a', shoeSize: 44 }, 'validation_failed', 400],
    ['bad external id', { externalId: 'has spaces' }, 'validation_failed', 400],
    ['bad email', { externalId: 'a', email: 'nope' }, 'validation_failed', 400],
  ])('rejects %s with problem+json and writes nothing', async (_name, body, code, status) => {
    // Act
    const response = await invoke(request('POST', '/v1/members', { body, headers: { 'idempotency-key': 'k1' } }));

    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.headers!['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({ code, status });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('requires an Idempotency-Key on mutations', async () => {
    const response = await invoke(request('POST', '/v1/members', { body: { externalId: 'a' } }));
    expect(JSON.parse(response.body)).toMatchObject({ code: 'idempotency_key_required', status: 400 });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('enrols through one transaction and answers 201', async () => {
    const response = await invoke(
      request('POST', '/v1/members', { body: { externalId: 'alice-1' }, headers: { 'Idempotency-Key': 'k1' } }),
    );
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ externalId: 'alice-1', status: 'active', tier: 'base' });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('answers 403 forbidden when the key lacks the scope', async () => {
    const response = await invoke(
      request('POST', '/v1/members', {
        body: { externalId: 'a' },
        headers: { 'idempotency-key': 'k' },
        scopes: 'members:read',
      }),
    );
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).code).toBe('forbidden');
  });

  it('rejects webhook URLs that are not https', async () => {
    const response = await invoke(
      request('POST', '/v1/webhooks/endpoints', { body: { url: 'http://example.com/hook' } }),
    );
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body).code).toBe('webhook_url_rejected');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('returns a new endpoint with its whsec_ secret once', async () => {
    // A public address literal: the SSRF guard needs no DNS for it.
    const response = await invoke(
      request('POST', '/v1/webhooks/endpoints', {
        body: { url: 'https://93.184.216.34/hooks', eventTypes: ['points.*'] },
      }),
    );
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({
      url: 'https://93.184.216.34/hooks',
      eventTypes: ['points.*'],
      secret: expect.stringMatching(/^whsec_/),
    });
  });

  it.each(['https://10.1.2.3/hooks', 'https://[::ffff:169.254.169.254]/latest', 'https://0x7f000001/x'])(
    'refuses a private or metadata target at registration: %s',
    async (url) => {
      const response = await invoke(request('POST', '/v1/webhooks/endpoints', { body: { url } }));
      expect(response.statusCode).toBe(422);
      expect(JSON.parse(response.body)).toMatchObject({
        code: 'webhook_url_rejected',
        reasonCode: 'address_not_allowed',
      });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    },
  );

  it('refuses a suspended tenant with 403 tenant_suspended before the operation reads or writes anything', async () => {
    // Prepare
    tenantIs('suspended');

    // Act
    const response = await invoke(
      request('POST', '/v1/members', { body: { externalId: 'alice-1' }, headers: { 'idempotency-key': 'k1' } }),
    );

    // Assess: one strongly consistent read of one of the tenant's status replicas, nothing else.
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'tenant_suspended' });
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'ledger',
        Key: { pk: expect.stringMatching(/^TENANT#t1#STATUS#\d+$/), sk: 'STATUS' },
        ConsistentRead: true,
      },
    ]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('maps unknown members to 404 member_not_found', async () => {
    const response = await invoke(request('GET', '/v1/members/{memberId}/balance', { params: { memberId: 'mem_x' } }));
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).code).toBe('member_not_found');
  });

  it('hides internal errors behind a 500 problem', async () => {
    ddb.on(GetCommand).rejects(new Error('secret internals'));
    tenantIsActive();
    const response = await invoke(request('GET', '/v1/members/{memberId}', { params: { memberId: 'mem_x' } }));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internals');
    expect(JSON.parse(response.body).code).toBe('internal_error');
  });

  it('serves the OpenAPI document without credentials', async () => {
    const response = await route({
      ...request('GET', '/openapi.json'),
      requestContext: {},
    } as unknown as APIGatewayProxyEvent);
    expect(JSON.parse(response.body).openapi).toBe('3.1.0');
  });

  describe('x-correlation-id', () => {
    /** A request as API Gateway passes it: with its own request id. */
    const withRequestId = (event: APIGatewayProxyEvent) =>
      ({ ...event, requestContext: { ...event.requestContext, requestId: 'gw-req-1' } }) as APIGatewayProxyEvent;
    const enrol = (headers: Record<string, string>) =>
      withRequestId(request('POST', '/v1/members', { body: { externalId: 'alice-1' }, headers }));
    /** The outbox items of the commit (the events the request wrote). */
    const committedEvents = () =>
      ddb
        .commandCalls(TransactWriteCommand)
        .flatMap((call) => call.args[0].input.TransactItems ?? [])
        .flatMap((item) => (item.Put?.Item?.kind === 'event' ? [item.Put.Item] : []));

    it('echoes a well-formed caller id and stamps it on the events the request commits', async () => {
      // Act
      const response = await invoke(enrol({ 'Idempotency-Key': 'k1', 'X-Correlation-Id': 'order-42' }));

      // Assess
      expect(response.statusCode).toBe(201);
      expect(response.headers!['x-correlation-id']).toBe('order-42');
      expect(committedEvents()).toEqual([
        expect.objectContaining({ type: 'member.enrolled', correlationId: 'order-42' }),
      ]);
    });

    it('ignores an ill-formed caller id and uses API Gateway’s request id instead', async () => {
      // Act
      const response = await invoke(enrol({ 'Idempotency-Key': 'k1', 'x-correlation-id': 'order 42; drop' }));

      // Assess
      expect(response.statusCode).toBe(201);
      expect(response.headers!['x-correlation-id']).toBe('gw-req-1');
      expect(committedEvents()).toEqual([expect.objectContaining({ correlationId: 'gw-req-1' })]);
    });

    it('echoes it on problem answers too, and the request’s log lines carry it', async () => {
      // Prepare
      const errors = jest.spyOn(logger['console'], 'error').mockImplementation(() => undefined);
      ddb.on(GetCommand).rejects(new Error('secret internals'));
      tenantIsActive();

      // Act
      const refused = await invoke(enrol({ 'x-correlation-id': 'order-43' }));
      const failed = await invoke(
        withRequestId(request('GET', '/v1/members/{memberId}', { params: { memberId: 'mem_x' } })),
      );
      const written = errors.mock.calls.map(([line]) => String(line));
      errors.mockRestore();

      // Assess
      expect([refused.statusCode, refused.headers!['x-correlation-id']]).toEqual([400, 'order-43']);
      expect([failed.statusCode, failed.headers!['x-correlation-id']]).toEqual([500, 'gw-req-1']);
      const unhandled = written.map((line) => JSON.parse(line)).find((line) => line.message === 'Unhandled error');
      expect(unhandled).toMatchObject({ correlation_id: 'gw-req-1' });
    });
  });
});
