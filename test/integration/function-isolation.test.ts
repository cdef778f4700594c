import { functions } from '../../functions/declaration/topology';
import { LocalLambda } from '../../local/lambda';
import { roleCredentials } from '../../local/roles';
import { probeEndpoints, probeFunction, ROOT } from '../support/probe-functions';
import { ifStarted } from '../support/teardown';

/**
 * The twin's Lambda runtime: each function in its own container (worker thread) with only its
 * own declared environment and credentials, its own module instances, and the invoke contract
 * (context, remaining time, timeout). The probe handler stands in for the real code.
 */
const PROBE = 'test/support/env-probe.ts';

type Probe = {
  env: Record<string, string>;
  invocations: number;
  remainingMs: number;
  functionName: string;
  correlationId?: string;
};

let lambda: LocalLambda;

beforeAll(async () => {
  // The twin's own process has every variable a function might want: none of it may leak.
  process.env.TWIN_ONLY_SECRET = 'never-in-a-function';
  const overrides = {
    ...process.env,
    WEBHOOK_RETRY_SCHEDULE: '1s,1s',
    TABLE_NAME: 'not-yours',
    DELIVERY_QUEUE_URL: 'not-yours',
  };
  lambda = new LocalLambda(ROOT, {
    authorizer: probeFunction('authorizer', PROBE, { overrides }),
    lakeRouter: probeFunction('lakeRouter', PROBE, { overrides }),
    webhookDelivery: probeFunction('webhookDelivery', PROBE, { timeoutSeconds: 1, overrides }),
  });
  await lambda.load();
}, 60_000);

afterAll(async () => {
  delete process.env.TWIN_ONLY_SECRET;
  await ifStarted(lambda)?.stop();
});

describe('functions on the twin', () => {
  it('see only their own declared environment, their role and the settings overrides', async () => {
    // Act
    const authorizer = await lambda.invoke<Probe>('authorizer', {});
    const lakeRouter = await lambda.invoke<Probe>('lakeRouter', {});

    // Assess
    expect(authorizer.env).toMatchObject({
      TABLE_NAME: 'local-table',
      STAGE: 'local',
      AWS_ACCESS_KEY_ID: roleCredentials('authorizer').accessKeyId,
    });
    expect(authorizer.env).not.toHaveProperty('DELIVERY_QUEUE_URL');
    expect(authorizer.env).not.toHaveProperty('RAW_EVENTS_STREAM_NAME');
    expect(lakeRouter.env).toMatchObject({
      RAW_EVENTS_STREAM_NAME: 'local-stream',
      TABLE_NAME: 'local-table',
      AWS_ACCESS_KEY_ID: roleCredentials('lakeRouter').accessKeyId,
    });
    // Another function's resource variable is not passed on, even when the twin's environment has it.
    expect(lakeRouter.env).not.toHaveProperty('DELIVERY_QUEUE_URL');
    for (const probe of [authorizer, lakeRouter]) {
      expect(probe.env).not.toHaveProperty('TWIN_ONLY_SECRET');
      expect(probe.env).not.toHaveProperty('PATH');
      expect(probe.env.WEBHOOK_RETRY_SCHEDULE).toBe('1s,1s');
      expect(probe.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(probeEndpoints.dynamodb);
    }
  });

  it('keep module state per function across invocations, as a warm container does', async () => {
    // Act
    const first = await lambda.invoke<Probe>('authorizer', {});
    const second = await lambda.invoke<Probe>('authorizer', {});
    const other = await lambda.invoke<Probe>('webhookDelivery', {});

    // Assess
    expect(second.invocations).toBe(first.invocations + 1);
    expect(other.invocations).toBe(1);
    expect(other.functionName).toBe(`local-${functions.webhookDelivery.id}`);
  });

  it('give the handler its remaining time and time it out at the declared timeout', async () => {
    // Act
    const probe = await lambda.invoke<Probe>('webhookDelivery', {});
    const late = lambda.invoke('webhookDelivery', { sleepMs: 3_000 });

    // Assess
    expect(probe.remainingMs).toBeGreaterThan(0);
    expect(probe.remainingMs).toBeLessThanOrEqual(1_000);
    await expect(late).rejects.toThrow('Task timed out after 1 seconds');
  });

  it('keep the log keys of concurrent invocations of one container apart', async () => {
    // Act: the first invocation is still running when the second sets its own correlation id.
    const [slow, quick] = await Promise.all([
      lambda.invoke<Probe>('authorizer', { correlationId: 'first', sleepMs: 300 }),
      lambda.invoke<Probe>('authorizer', { correlationId: 'second', sleepMs: 10 }),
    ]);

    // Assess
    expect([slow.correlationId, quick.correlationId]).toEqual(['first', 'second']);
  });
});
