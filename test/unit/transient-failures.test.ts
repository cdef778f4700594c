import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ReplicatedWriteConflictException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { isTransientFailure } from '../../functions/shared/transient';

process.env.TABLE_NAME = 'ledger';
process.env.DELIVERY_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/webhook-delivery.fifo';
// The twin's kind of key (no KMS in a unit test): endpoints' secrets are sealed with it.
process.env.WEBHOOK_SECRETS_KEY = `local:${Buffer.alloc(32, 1).toString('base64')}`;
const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const { handler } = await import('../../functions/handlers/api');

const $metadata = {};
/** What @smithy/node-http-handler throws when the connection or the answer takes longer than its timeout. */
const sdkTimeout = () =>
  Object.assign(new Error('the request socket did not establish a connection within 2000 ms'), {
    name: 'TimeoutError',
  });
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'cancelled',
    $metadata,
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

describe('transient dependency failures', () => {
  it.each([
    ['the SDK connection timeout', sdkTimeout()],
    ['ProvisionedThroughputExceeded', new ProvisionedThroughputExceededException({ message: 'slow down', $metadata })],
    ['ThrottlingException', new ThrottlingException({ message: 'throttled', $metadata })],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'account limit', $metadata })],
    ['InternalServerError', new InternalServerError({ message: 'oops', $metadata })],
    ['TransactionConflictException', new TransactionConflictException({ message: 'conflict', $metadata })],
    [
      'ReplicatedWriteConflictException (retryable trait)',
      new ReplicatedWriteConflictException({ message: 'conflict', $metadata }),
    ],
    ['a transaction cancelled by a conflict', cancelled('None', 'TransactionConflict')],
    ['a transaction cancelled by throttling', cancelled('ThrottlingError', 'None')],
    ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['DNS failing for a moment', Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' })],
    [
      'any service answering 503',
      Object.assign(new Error('unavailable'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } }),
    ],
    ['a timeout wrapped as the cause', new Error('call failed', { cause: sdkTimeout() })],
  ])('counts %s as transient', (_name, error) => {
    expect(isTransientFailure(error)).toBe(true);
  });

  it.each([
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a condition that failed', new ConditionalCheckFailedException({ message: 'no', $metadata })],
    ['a transaction cancelled by a condition', cancelled('ConditionalCheckFailed', 'TransactionConflict')],
    ['a missing table', new ResourceNotFoundException({ message: 'no table', $metadata })],
    [
      'a request the service refuses',
      Object.assign(new Error('bad'), {
        name: 'ValidationException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
    ['an abort', Object.assign(new Error('aborted'), { name: 'AbortError' })],
    ['not an error at all', 'timeout'],
  ])('counts %s as a real error', (_name, error) => {
    expect(isTransientFailure(error)).toBe(false);
  });
});

function request(method: string, resource: string, params: Record<string, string>, body?: unknown) {
  return {
    httpMethod: method,
    resource,
    path: resource.replace(/\{(\w+)\}/g, (_, name: string) => params[name]!),
    headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' },
    body: body === undefined ? null : JSON.stringify(body),
    pathParameters: params,
    queryStringParameters: null,
    isBase64Encoded: false,
    requestContext: {
      authorizer: {
        principal: 'tenant',
        tenantId: 't1',
        credentialId: 'key_test',
        scopes: 'members:read members:write points:write webhooks:manage',
      },
    },
  } as unknown as APIGatewayProxyEvent;
}

const invoke = (event: APIGatewayProxyEvent) => handler(event, {} as never);

/** The caller's tenant, read for every tenant request (suspension applies at once): active. */
const tenantIsActive = () =>
  ddb
    .on(GetCommand, { Key: { pk: 'TENANT#t1', sk: 'TENANT' } })
    .resolves({ Item: { tenantId: 't1', name: 'Tenant one', status: 'active' } });

describe('the API under a transient dependency failure', () => {
  beforeEach(() => {
    ddb.reset();
    sqs.reset();
    tenantIsActive();
  });

  it('answers a read that times out with a retryable 503 problem and Retry-After', async () => {
    // Prepare
    ddb.on(GetCommand).rejects(sdkTimeout());

    // Act
    const response = await invoke(request('GET', '/v1/members/{memberId}', { memberId: 'mem_1' }));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'content-type': 'application/problem+json', 'retry-after': '2' });
    expect(JSON.parse(response.body)).toMatchObject({
      code: 'service_unavailable',
      status: 503,
      instance: '/v1/members/mem_1',
    });
    expect(response.body).not.toContain('socket');
  });

  it('answers a throttled commit with 503, so the caller retries with the same Idempotency-Key', async () => {
    // Prepare: the member exists; the commit is throttled after the SDK's own retries.
    ddb.on(GetCommand).resolves({});
    tenantIsActive();
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb
      .on(TransactWriteCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata }));

    // Act
    const response = await invoke(request('POST', '/v1/members', {}, { externalId: 'alice-1' }));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers!['retry-after']).toBe('2');
    expect(JSON.parse(response.body).code).toBe('service_unavailable');
  });

  it('keeps a real bug a 500 without Retry-After', async () => {
    // Prepare
    ddb.on(GetCommand).rejects(new TypeError("Cannot read properties of undefined (reading 'x')"));

    // Act
    const response = await invoke(request('GET', '/v1/members/{memberId}', { memberId: 'mem_1' }));

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.headers!['retry-after']).toBeUndefined();
    expect(JSON.parse(response.body).code).toBe('internal_error');
  });
});
