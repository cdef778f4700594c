import { jest } from '@jest/globals';
import { createSocket, type Socket } from 'node:dgram';
import type { Context } from 'aws-lambda';

/**
 * The handler chain with tracing on, as Lambda runs it with active tracing but without an X-Ray daemon: a UDP
 * socket stands where the daemon would listen and receives the segments the tracer sends, so the test reads what
 * X-Ray would store. Nothing else may be printed.
 */

interface SentSegment {
  name: string;
  annotations?: Record<string, unknown>;
  fault?: boolean;
  parent_id?: string;
  id: string;
}

const TRACE_HEADER = 'Root=1-67890abc-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1';
let daemon: Socket;
const received: SentSegment[] = [];
let modules: {
  lambdaHandler: typeof import('../../functions/shared/lambda-handler').lambdaHandler;
  traceRecord: typeof import('../../functions/shared/tracer').traceRecord;
  traced: typeof import('../../functions/shared/tracer').traced;
};
const printed: unknown[] = [];

const context = {
  awsRequestId: 'request-1',
  functionName: 'ledger-api',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:ledger-api',
  memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

/** The segments the daemon has received so far, once `count` have arrived. */
async function segments(count: number): Promise<SentSegment[]> {
  while (received.length < count) await new Promise((resolve) => setImmediate(resolve));
  return received.splice(0, received.length);
}

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    // A datagram is a header line, then the segment document.
    const [, document] = message.toString('utf8').split('\n');
    received.push(JSON.parse(document!) as SentSegment);
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  // As Lambda sets them with active tracing (LAMBDA_TASK_ROOT puts the X-Ray SDK in its Lambda mode).
  Object.assign(process.env, {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    POWERTOOLS_SERVICE_NAME: 'loyalty-ledger',
    LAMBDA_TASK_ROOT: process.cwd(),
    _HANDLER: 'index.handler',
    _X_AMZN_TRACE_ID: TRACE_HEADER,
    POWERTOOLS_TRACE_ENABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
  });
  for (const method of ['log', 'info', 'warn', 'error'] as const)
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => printed.push(args));
  const { lambdaHandler } = await import('../../functions/shared/lambda-handler');
  const { traceRecord, traced } = await import('../../functions/shared/tracer');
  modules = { lambdaHandler, traceRecord, traced };
});

afterAll(async () => {
  jest.restoreAllMocks();
  await new Promise<void>((resolve) => {
    daemon.close(resolve);
  });
});

describe('tracing on, no daemon of X-Ray', () => {
  it("annotates the invocation's subsegment with its correlation id", async () => {
    // Prepare
    const handler = modules.lambdaHandler((event: { id: string }) => Promise.resolve({ ok: event.id }), {
      correlationId: (event) => `corr-${event.id}`,
    });

    // Act
    const result = await handler({ id: '42' }, context);

    // Assess
    expect(result).toEqual({ ok: '42' });
    const [invocation] = await segments(1);
    expect(invocation).toMatchObject({
      name: '## index.handler',
      annotations: { correlationId: 'corr-42', ColdStart: true, Service: 'loyalty-ledger' },
    });
    expect(printed).toEqual([]);
  });

  it('traces each record of a batch in its own subsegment, by its correlation id', async () => {
    // Prepare
    const handler = modules.lambdaHandler(async (event: { records: string[] }) => {
      for (const record of event.records)
        await modules.traceRecord('### route', `corr-${record}`, () => Promise.resolve(record));
    });

    // Act
    await handler({ records: ['a', 'b'] }, context);

    // Assess: the records' subsegments close first, inside the invocation's
    const [first, second, invocation] = await segments(3);
    expect([first!.name, first!.annotations, second!.annotations]).toEqual([
      '### route',
      { correlationId: 'corr-a' },
      { correlationId: 'corr-b' },
    ]);
    expect([first!.parent_id, second!.parent_id]).toEqual([invocation!.id, invocation!.id]);
    expect(printed).toEqual([]);
  });

  it("marks a failed record's subsegment and still throws the error to the handler", async () => {
    // Prepare
    const failing = () => modules.traceRecord('### deliver', 'corr-x', () => Promise.reject(new Error('refused')));

    // Act
    const handler = modules.lambdaHandler(async () => {
      await expect(failing()).rejects.toThrow('refused');
    });
    await handler({}, context);

    // Assess
    const [record] = await segments(2);
    expect(record).toMatchObject({ name: '### deliver', fault: true, annotations: { correlationId: 'corr-x' } });
    expect(printed).toEqual([]);
  });

  it('instruments SDK clients without changing them', async () => {
    // Prepare
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const client = new SQSClient({ region: 'eu-west-1' });

    // Act
    const before = client.middlewareStack.identify().length;
    const traced = modules.traced(client);

    // Assess: the same client, with the X-Ray middleware added
    expect(traced).toBe(client);
    expect(client.middlewareStack.identify().length).toBeGreaterThan(before);
    client.destroy();
  });
});
