import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { DynamoSubscriptionStore } from '../functions/adapters/dynamo-subscription-store';
import { DynamoTenantStore } from '../functions/adapters/dynamo-tenant-store';
import { TENANT_SCOPES } from '../functions/api/operations';
import type { WebhookSubscription } from '../functions/domain/ports';
import { generateSecret } from '../functions/domain/webhooks/signature';
import { newId } from '../functions/shared/ids';
import { logger } from '../functions/shared/logger';
import { SQS_FIFO_IN_FLIGHT_LIMIT } from '../functions/domain/webhooks/parking';
import type { Permission } from '../functions/declaration/iam-policy';
import {
  functions,
  queues as queueSpecs,
  importsBucket,
  rawEvents,
  type FunctionId,
  type QueueId,
  type QueueSpec,
} from '../functions/declaration/topology';
import { CREDENTIALS, REGION } from './aws-local';
import { Checkpoints } from './checkpoints';
import { startDynamoDbLocal } from './dynamodb-local';
import { LocalFirehose } from './firehose';
import { functionEnvironment } from './function-environment';
import { AuthorizingProxy, type ProxyTap } from './iam-proxy';
import { LocalLambda, type LambdaObserver } from './lambda';
import { LocalLambdaApi, type LocalMapping } from './lambda-api';
import { localFunctionArn, localPolicies, roleCredentials } from './roles';
import { LocalApiGateway } from './api-gateway';
import { DynamoProgrammeStore } from '../functions/adapters/dynamo-programme-store';
import { DynamoRewardStore } from '../functions/adapters/dynamo-reward-store';
import { programmeSettings } from '../functions/domain/programme';
import { provisionBucket, provisionQueues, provisionTable } from './provision';
import { LocalSchedule } from './scheduler';
import { SqsEventSource } from './sqs-event-source';
import { StreamEventSource } from './stream-event-source';
import { TwinClock } from './twin-clock';
import { generateTwinTokenKeys } from './token-keys';
import { WebhookReceiver } from './webhook-receiver';
import { TwinStatus } from './twin-status';
import { twinSecretsKey } from './secrets-key';
import { sealerForKey } from '../functions/composition/secrets';

export interface TwinOptions {
  /** Where state persists across restarts (tables, queues, lake files, demo credentials). */
  dataDir?: string;
  /** Keep everything in memory (lake files go to a temporary folder removed on stop). */
  inMemory?: boolean;
  apiPort?: number;
  receiverPort?: number;
  /** The status page's port; a free one when not given (`npm start` asks for 3002). */
  statusPort?: number;
  /** Lake buffer interval; defaults to the deployed hint (60 s). */
  lakeBufferSeconds?: number;
  /** Stream retry backoff base (Lambda backs off exponentially; tests shorten it). */
  retryBaseDelayMs?: number;
  /** Interval of scheduled jobs; defaults to their deployed rate. */
  scheduleSeconds?: number;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  logReceived?: boolean;
  /**
   * Meters for a measuring run (the cost bench): they hear each function invocation and its output, and see the
   * functions' calls to each stand-in, beside the status page.
   */
  meters?: {
    lambda?: LambdaObserver;
    proxies?: Partial<Record<'dynamodb' | 'sqs' | 'firehose' | 's3', ProxyTap>>;
  };
}

export interface DemoTenant {
  tenantId: string;
  apiKey: string;
  /** An operator key (scope `admin`) for the admin API, as `npm run admin -- bootstrap` makes one deployed. */
  operatorKey: string;
  subscriptionId: string;
  webhookUrl: string;
}

export interface Twin {
  apiUrl: string;
  receiverUrl: string;
  /** The status page: the dashboard's panels with the twin's own figures. */
  statusUrl: string;
  lakeDir: string;
  dataDir: string | null;
  demo: DemoTenant;
  /** The stand-ins themselves; `lambda` is the Lambda API stand-in (event-source mappings). */
  endpoints: { dynamodb: string; sqs: string; firehose: string; lambda: string };
  /**
   * Where functions reach the stand-ins: the authorizing proxies (calls signed with a role's credentials are checked).
   */
  functionEndpoints: { dynamodb: string; sqs: string; firehose: string };
  queueUrls: Record<QueueId, string>;
  receiver: WebhookReceiver;
  /** The functions' clock: `clock.advance(ms)` lets time pass for them without waiting. */
  clock: TwinClock;
  /** For fault runs: DynamoDB Local stopped, then started again on its port and data (a data dir keeps the tables). */
  dynamodb: { stop(): Promise<void>; restart(): Promise<void> };
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Starts the whole platform on this machine: DynamoDB Local (with Streams), fauxqs for SQS and S3,
 * the Firehose stand-in, the real handlers behind a local API Gateway, event-source mappings with
 * the CDK settings, and a sample webhook receiver, then makes sure the demo tenant exists.
 */
export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  const dataDir = options.inMemory ? null : resolve(options.dataDir ?? join(ROOT, '.twin'));
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const lakeRoot = dataDir ? join(dataDir, 'lake') : mkdtempSync(join(tmpdir(), 'loyalty-twin-lake-'));
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('twin: error while stopping', error);
      }
    }
  };
  if (!dataDir)
    cleanups.push(() => {
      rmSync(lakeRoot, { recursive: true, force: true });
    });

  try {
    const ddb = await startDynamoDbLocal({ dataDir: dataDir ? join(dataDir, 'dynamodb') : undefined });
    cleanups.push(ddb.stop);
    const fauxqs = await startFauxqs({
      port: 0,
      logger: false,
      ...(dataDir ? { dataDir: join(dataDir, 'sqs') } : {}),
    });
    cleanups.push(() => fauxqs.stop());
    const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;

    const dynamoClient = new DynamoDBClient({ endpoint: ddb.endpoint, region: REGION, credentials: CREDENTIALS });
    const sqsClient = new SQSClient({ endpoint: sqsEndpoint, region: REGION, credentials: CREDENTIALS });
    const s3Client = new S3Client({
      endpoint: sqsEndpoint,
      region: REGION,
      credentials: CREDENTIALS,
      forcePathStyle: true,
    });
    cleanups.push(() => {
      dynamoClient.destroy();
      sqsClient.destroy();
      s3Client.destroy();
    });

    const { tableName, streamArn } = await provisionTable(dynamoClient);
    const { urls: queueUrls, arns: queueArns } = await provisionQueues(sqsClient, sqsEndpoint);
    const bucket = await provisionBucket(s3Client);
    // Import files: the twin keeps them as long as it runs (no lifecycle rules on the stand-in).
    const importsBucketName = await provisionBucket(s3Client, importsBucket.localBucketName);

    const status = new TwinStatus();
    const firehose = new LocalFirehose({
      s3: s3Client,
      bucket,
      streamName: rawEvents.localName,
      bufferIntervalSeconds: options.lakeBufferSeconds,
      mirrorDir: join(lakeRoot, rawEvents.localBucketName),
      observer: status.lake,
      ...(dataDir ? { spoolDir: join(dataDir, 'firehose-spool') } : {}),
    });
    await firehose.start();
    cleanups.push(() => firehose.stop());
    await status.start({
      port: options.statusPort ?? 0,
      sqs: sqsClient,
      queueUrls,
      lakeFreshnessMs: () => firehose.oldestUndeliveredAgeMs(),
    });
    cleanups.push(() => status.stop());

    // IAM: every call a function makes goes through a proxy that checks it against the function's
    // declared policy (functions/declaration/iam-policy.ts), as AWS would; the twin's own plumbing
    // talks to the stand-ins directly.
    const policies = localPolicies({ tableName, tableStreamArn: streamArn });
    const onDenied = (functionId: FunctionId, denied: Permission) => {
      console.error(
        `twin: AccessDenied: ${functionId} may not ${denied.action} on ${denied.resource} ` +
          '(see functions/declaration/iam-policy.ts)',
      );
    };
    const taps = options.meters?.proxies ?? {};
    const proxies = {
      dynamodb: new AuthorizingProxy({
        service: 'dynamodb',
        upstream: ddb.endpoint,
        policies,
        onDenied,
        tap: taps.dynamodb,
      }),
      sqs: new AuthorizingProxy({ service: 'sqs', upstream: sqsEndpoint, policies, onDenied, tap: taps.sqs }),
      firehose: new AuthorizingProxy({
        service: 'firehose',
        upstream: firehose.endpoint,
        policies,
        onDenied,
        tap: taps.firehose,
      }),
      // fauxqs serves S3 beside SQS, on the same port.
      s3: new AuthorizingProxy({ service: 's3', upstream: sqsEndpoint, policies, onDenied, tap: taps.s3 }),
    };
    for (const proxy of Object.values(proxies)) {
      await proxy.start();
      cleanups.push(() => proxy.stop());
    }
    const functionEndpoints = {
      dynamodb: proxies.dynamodb.endpoint,
      sqs: proxies.sqs.endpoint,
      firehose: proxies.firehose.endpoint,
      s3: proxies.s3.endpoint,
    };
    // Functions reach the queues through the proxy too; the path alone names the queue.
    const functionQueueUrl = (queue: QueueId) => `${functionEndpoints.sqs}${new URL(queueUrls[queue]).pathname}`;

    // Lambda's API for the event-source mappings the admin API makes (tenants' inbound queues): it listens before the
    // functions start (they are given its endpoint); its pollers start once the functions are loaded.
    const mappingSources = new Map<string, SqsEventSource>();
    const mappingPoller = async (mapping: LocalMapping) => {
      const queueName = mapping.eventSourceArn.split(':').at(-1) ?? '';
      let queueUrl: string | undefined;
      try {
        ({ QueueUrl: queueUrl } = await sqsClient.send(new GetQueueUrlCommand({ QueueName: queueName })));
      } catch {
        console.error(`twin: the queue of event-source mapping ${mapping.uuid} (${queueName}) is gone`);
        return;
      }
      const lambdaNow = loaded.lambda;
      if (!queueUrl || !lambdaNow) throw new Error('the twin is still starting');
      const source = new SqsEventSource({
        mapping: mapping.uuid,
        queueUrl: `${functionEndpoints.sqs}${new URL(queueUrl).pathname}`,
        queueArn: mapping.eventSourceArn,
        trigger: { batchSize: mapping.batchSize, maxConcurrency: 2 },
        client: roleClients(mapping.functionId).sqs,
        invoke: (event) => lambdaNow.invoke(mapping.functionId, event),
        pollers: 2,
        inFlightCap: fifoInFlightCap(),
        log,
      });
      source.start();
      mappingSources.set(mapping.uuid, source);
    };
    const lambdaApi = new LocalLambdaApi({
      policies,
      pollers: {
        start: mappingPoller,
        stop: async (uuid) => {
          await mappingSources.get(uuid)?.stop();
          mappingSources.delete(uuid);
        },
      },
      ...(dataDir ? { stateFile: join(dataDir, 'lambda-mappings.json') } : {}),
      onDenied: (functionId, action, resource) => {
        onDenied(functionId, { action, resource });
      },
    });
    await lambdaApi.start();
    cleanups.push(() => lambdaApi.stop());

    // The gateway listens before the functions start: access tokens name its address as their issuer. It invokes
    // functions only once they are loaded; its stop is registered again below, so it stops before them.
    const loaded: { lambda?: LocalLambda } = {};
    const gateway = new LocalApiGateway(
      {
        invoke: <T>(id: string, event: unknown) => {
          if (!loaded.lambda) return Promise.reject(new Error('the twin is still starting'));
          return loaded.lambda.invoke<T>(id, event);
        },
      },
      { tenantRateLimits: process.env.TWIN_RATE_LIMITS !== 'off', onRequest: status.apiRequest },
    );
    await gateway.start(options.apiPort ?? 3000);
    let gatewayStopped = false;
    const stopGateway = async () => {
      if (gatewayStopped) return;
      gatewayStopped = true;
      await gateway.stop();
    };
    cleanups.push(stopGateway);

    // Each function runs in its own container with only its own environment, resolved to the local stand-ins.
    const secretsKey = twinSecretsKey(dataDir);
    const targets = {
      table: tableName,
      queueUrl: functionQueueUrl,
      rawEventsStream: rawEvents.localName,
      lakeBucket: bucket,
      importsBucket: importsBucketName,
      secretsKey,
      // The twin's gateway throttles tenants itself (token buckets from the authorizer's context).
      tenantThrottling: 'local',
      apiBaseUrl: gateway.url.replace(/\/+$/, ''),
      functionArn: localFunctionArn,
      ...(await generateTwinTokenKeys()),
    };
    const logLevel = options.logLevel ?? 'WARN';
    logger.setLogLevel(logLevel);
    const clock = new TwinClock();
    const lambda = new LocalLambda(
      ROOT,
      Object.fromEntries(
        (Object.keys(functions) as FunctionId[]).map((id) => [
          id,
          {
            spec: functions[id],
            environment: functionEnvironment(id, {
              targets,
              endpoints: { ...functionEndpoints, lambda: lambdaApi.endpoint },
              logLevel,
              overrides: process.env,
            }),
          },
        ]),
      ),
      clock.buffer,
      options.meters?.lambda ? bothObservers(status.lambda, options.meters.lambda) : status.lambda,
    );
    // Registered before the event sources and the gateway, so it stops after them (cleanups run in reverse).
    cleanups.push(() => lambda.stop());
    await lambda.load();
    loaded.lambda = lambda;

    // The event-source mappings act with the function's role, as Lambda's pollers do.
    const roleClients = (id: FunctionId) => {
      const config = { region: REGION, credentials: roleCredentials(id) };
      const clients = {
        streams: new DynamoDBStreamsClient({ ...config, endpoint: functionEndpoints.dynamodb }),
        sqs: new SQSClient({ ...config, endpoint: functionEndpoints.sqs }),
      };
      cleanups.push(() => {
        clients.streams.destroy();
        clients.sqs.destroy();
      });
      return clients;
    };

    // Started before the event sources, so it stops after them: in-flight deliveries still land.
    const receiver = new WebhookReceiver({ log: options.logReceived ?? false });
    await receiver.start(options.receiverPort ?? 3001);
    cleanups.push(() => receiver.stop());

    const checkpoints = new Checkpoints(dataDir ? join(dataDir, 'stream-checkpoints.json') : undefined);
    // Runs after the event sources have stopped (cleanups run in reverse): the last checkpoints are kept.
    cleanups.push(() => {
      checkpoints.flush();
    });
    const log = (message: string, detail?: Record<string, unknown>) => {
      if (options.logLevel === 'DEBUG' || options.logLevel === 'INFO') console.error(`twin: ${message}`, detail ?? '');
    };
    const sources: { stop(): Promise<void> }[] = [];
    for (const [id, spec] of Object.entries(functions) as [FunctionId, (typeof functions)[FunctionId]][]) {
      if (!('trigger' in spec)) continue;
      const trigger = spec.trigger;
      if (trigger.kind === 'dynamodb-stream') {
        const role = roleClients(id);
        const source = new StreamEventSource({
          mapping: id,
          streamArn,
          trigger,
          client: role.streams,
          checkpoints,
          invoke: (event) => lambda.invoke(id, event),
          onFailure: async (metadata) => {
            await role.sqs.send(
              new SendMessageCommand({
                QueueUrl: functionQueueUrl(trigger.onFailure),
                MessageBody: JSON.stringify(metadata),
              }),
            );
          },
          retryBaseDelayMs: options.retryBaseDelayMs,
          onBatch: status.iteratorAge(id),
          log,
        });
        source.start();
        sources.push(source);
      } else if (trigger.kind === 'schedule') {
        const role = roleClients(id);
        const schedule = new LocalSchedule({
          mapping: id,
          trigger,
          invoke: (event) => lambda.invoke(id, event),
          onFailure: async (record) => {
            // Lambda sends an asynchronous run's failure record with the function's role, as here.
            await role.sqs.send(
              new SendMessageCommand({
                QueueUrl: functionQueueUrl(trigger.asyncInvoke.onFailure),
                MessageBody: JSON.stringify(record),
              }),
            );
          },
          functionArn: lambda.functionArn(id),
          ...(options.scheduleSeconds ? { intervalMs: options.scheduleSeconds * 1000 } : {}),
          log,
        });
        schedule.start();
        sources.push(schedule);
      } else {
        // Read as any queue: today every SQS trigger reads a FIFO queue, the twin need not rely on it.
        const queueSpec: QueueSpec = queueSpecs[trigger.queue];
        const source = new SqsEventSource({
          mapping: id,
          queueUrl: functionQueueUrl(trigger.queue),
          queueArn: queueArns[trigger.queue],
          trigger,
          client: roleClients(id).sqs,
          invoke: (event) => lambda.invoke(id, event),
          pollers: 4,
          ...(queueSpec.fifo ? { inFlightCap: fifoInFlightCap() } : {}),
          log,
        });
        source.start();
        sources.push(source);
      }
    }
    cleanups.push(async () => {
      await Promise.all(sources.map((s) => s.stop()));
    });
    await lambdaApi.resume();
    cleanups.push(() => lambdaApi.stopPollers());

    cleanups.push(stopGateway);

    const documents = DynamoDBDocumentClient.from(dynamoClient, { marshallOptions: { removeUndefinedValues: true } });
    const demo = await ensureDemoTenant({
      tenants: new DynamoTenantStore(documents, tableName),
      subscriptions: new DynamoSubscriptionStore(documents, tableName, sealerForKey(secretsKey)),
      programmes: new DynamoProgrammeStore(documents, tableName),
      rewards: new DynamoRewardStore(documents, tableName),
      receiver,
      stateFile: dataDir ? join(dataDir, 'demo.json') : null,
    });

    return {
      apiUrl: gateway.url,
      receiverUrl: receiver.url,
      statusUrl: status.url,
      lakeDir: join(lakeRoot, bucket),
      dataDir,
      demo,
      endpoints: { dynamodb: ddb.endpoint, sqs: sqsEndpoint, firehose: firehose.endpoint, lambda: lambdaApi.endpoint },
      functionEndpoints,
      queueUrls,
      receiver,
      clock,
      dynamodb: { stop: ddb.stop, restart: ddb.restart },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The FIFO in-flight cap the twin enforces: SQS's 120,000, or less (`TWIN_SQS_FIFO_IN_FLIGHT_CAP`) to test what happens
 * at it.
 */
function fifoInFlightCap(): number {
  const configured = Number(process.env.TWIN_SQS_FIFO_IN_FLIGHT_CAP ?? SQS_FIFO_IN_FLIGHT_LIMIT);
  if (!Number.isInteger(configured) || configured < 1 || configured > SQS_FIFO_IN_FLIGHT_LIMIT) {
    throw new Error(`TWIN_SQS_FIFO_IN_FLIGHT_CAP must be an integer from 1 to ${SQS_FIFO_IN_FLIGHT_LIMIT}`);
  }
  return configured;
}

const DEMO_TENANT = { tenantId: 'demo', name: 'Demo Hotels & Rewards', status: 'active' as const };

/** A first catalogue to try redemptions on: a spa voucher with 20 codes and a hamper with 10 in stock. */
async function seedDemoRewards(rewards: DynamoRewardStore): Promise<void> {
  const tenantId = DEMO_TENANT.tenantId;
  const updatedAt = new Date().toISOString();
  const record = (key: string) => ({
    tenantId,
    key,
    requestHash: key,
    statusCode: 200,
    body: '{}',
    createdAt: updatedAt,
  });
  await rewards.putReward({
    tenantId,
    rewardId: 'spa-voucher',
    name: 'Spa voucher',
    pointsCost: 500,
    status: 'active',
    fulfilment: 'voucher',
    unlimitedStock: false,
    updatedAt,
  });
  await rewards.importCodes(
    tenantId,
    'spa-voucher',
    Array.from({ length: 20 }, (_, i) => `DEMO-SPA-${String(i + 1).padStart(4, '0')}`),
  );
  await rewards.putReward({
    tenantId,
    rewardId: 'welcome-hamper',
    name: 'Welcome hamper',
    pointsCost: 300,
    status: 'active',
    fulfilment: 'manual',
    unlimitedStock: false,
    updatedAt,
  });
  await rewards.credit(tenantId, { kind: 'stock', id: 'welcome-hamper' }, 10, record('demo-seed-hamper-stock'));
}

async function ensureDemoTenant(input: {
  tenants: DynamoTenantStore;
  subscriptions: DynamoSubscriptionStore;
  programmes: DynamoProgrammeStore;
  rewards: DynamoRewardStore;
  receiver: WebhookReceiver;
  stateFile: string | null;
}): Promise<DemoTenant> {
  const webhookUrl = input.receiver.endpointUrl('demo');
  const saved =
    input.stateFile && existsSync(input.stateFile)
      ? (JSON.parse(readFileSync(input.stateFile, 'utf8')) as DemoTenant)
      : null;
  let apiKey = saved?.apiKey;
  const found = apiKey ? await input.tenants.findApiKey(apiKey) : null;
  // A key from an older version may lack scopes added since: issue one with every scope.
  if (!apiKey || found?.status !== 'active' || TENANT_SCOPES.some((scope) => !found.scopes.includes(scope))) {
    apiKey = (await input.tenants.createTenantWithKey(DEMO_TENANT, TENANT_SCOPES, 'Demo key')).apiKey;
  }
  let operatorKey = saved?.operatorKey;
  const operator = operatorKey ? await input.tenants.findApiKey(operatorKey) : null;
  if (!operatorKey || operator?.status !== 'active' || operator.owner.kind !== 'operator') {
    operatorKey = (await input.tenants.createOperatorKey('Demo operator key')).apiKey;
  }
  // A demo programme like a hotel group's: points live a year, members hear a month ahead.
  const programme = await input.programmes.get(DEMO_TENANT.tenantId);
  if (programme.version === 0) {
    const settings = programmeSettings.parse({ pointsExpiry: { afterDays: 365 }, expiryNoticeDays: 30 });
    await input.programmes.put({ ...programme, settings, version: 1, updatedAt: new Date().toISOString() }, 0);
    await seedDemoRewards(input.rewards);
  }
  let subscription: WebhookSubscription | null = saved
    ? await input.subscriptions.get(DEMO_TENANT.tenantId, saved.subscriptionId)
    : null;
  if (!subscription) {
    subscription = {
      tenantId: DEMO_TENANT.tenantId,
      subscriptionId: newId('sub'),
      url: webhookUrl,
      description: 'Sample receiver of the local twin',
      eventTypes: ['*'],
      enabled: true,
      secrets: [generateSecret()],
      createdAt: new Date().toISOString(),
    };
  }
  // The receiver's port may differ from the last run: point the endpoint at where it listens now.
  subscription = { ...subscription, url: webhookUrl };
  await input.subscriptions.put(subscription);
  input.receiver.setSecrets('demo', subscription.secrets);
  const demo: DemoTenant = {
    tenantId: DEMO_TENANT.tenantId,
    apiKey,
    operatorKey,
    subscriptionId: subscription.subscriptionId,
    webhookUrl,
  };
  if (input.stateFile) writeFileSync(input.stateFile, JSON.stringify(demo, null, 2), { mode: 0o600 });
  return demo;
}

/** Two listeners of the functions' containers. */
function bothObservers(first: LambdaObserver, second: LambdaObserver): LambdaObserver {
  return {
    invoked: (id, outcome) => {
      first.invoked(id, outcome);
      second.invoked(id, outcome);
    },
    output: (id, chunk) => {
      first.output(id, chunk);
      second.output(id, chunk);
    },
  };
}
