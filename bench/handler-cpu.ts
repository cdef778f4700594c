import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Session, type Profiler } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as documentCommands from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { platformEnvironment } from '../functions/declaration/topology';
import { keys } from '../functions/domain/keys';
import { planEarn, planEnrol, type Balance } from '../functions/domain/ledger';
import { programmeSettings } from '../functions/domain/programme';
import { balanceItem } from '../functions/adapters/dynamo-ledger-store';
import { TENANT_STATUS_REPLICAS, tenantStatusItem } from '../functions/adapters/dynamo-tenant-store';

/**
 * Handler CPU: what the API function spends per earn around its AWS calls. The real API handler (middy chain,
 * Powertools, routing, validation, the ledger service and its DynamoDB adapter) runs in a process of its own with
 * the prod stage's settings (log level, metrics, active tracing with X-Ray's default 5 % of traces sampled) and
 * the AWS SDK's clients as deployed, stubbed at their edge: the SDK's HTTP handler answers each call at once with
 * the items a table holds for it (the tenant, the programme, the member's balance after some history; every write
 * succeeds). Everything on the client's side of the wire runs (lib-dynamodb marshalling, serialisation, signing,
 * parsing the answer). Earns are invoked one at a time, as Lambda gives a container one invocation at a time, over
 * many members, after a warm-up.
 *
 * The bare function sends the same commands (recorded with aws-sdk-client-mock from the handler's own calls, with
 * the same inputs) through the same client instances, awaited one after another, with nothing around them.
 * `handler_cpu_ratio` is process CPU (user + system) per earn through the handler over that of the bare function;
 * rounds of each alternate so the machine's noise falls on both. A third pass runs under the V8 profiler and
 * attributes the handler's self time to areas by the module each function comes from.
 */

export interface HandlerCpuOptions {
  /** Earns per measured round (one per member and round, members taken in turn). */
  earns: number;
  /** Distinct members the earns go to. */
  members: number;
  /** Earns through the handler before anything is recorded or timed. */
  warmupEarns: number;
  /** Rounds of each kind, alternated; the figure is the median round. */
  rounds: number;
}

export const TENANT_ID = 'ten_cpu_bench';
const SCOPES = 'members:read members:write points:write points:redeem';
/** X-Ray's default sampling rule keeps 1 trace a second and 5 % of the rest: at a busy API's rate, about 5 %. */
const SAMPLED_EVERY = 20;
const EARN_RESOURCE = '/v1/members/{memberId}/points/earn';

/** API Gateway's REST proxy event for an earn, after the authorizer let a tenant's API key through. */
export function earnEvent(memberId: string, idempotencyKey: string, requestId: string): APIGatewayProxyEvent {
  const path = `/v1/members/${memberId}/points/earn`;
  const headers = {
    accept: 'application/json',
    'content-type': 'application/json',
    host: 'api.loyalty.example.com',
    'idempotency-key': idempotencyKey,
    'user-agent': 'pos-terminal/4.2',
    'x-amzn-trace-id': 'Root=1-67890abc-0123456789abcdef01234567',
    'x-api-key': 'lk_live_0123456789abcdef.0123456789abcdef0123456789abcdef',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  return {
    resource: EARN_RESOURCE,
    path,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { memberId },
    stageVariables: null,
    body: JSON.stringify({ amountPoints: 25, reason: 'purchase', source: 'pos', transactionId: `tx-${requestId}` }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      authorizer: {
        principal: 'tenant',
        tenantId: TENANT_ID,
        credentialId: 'key_0123456789abcdef',
        scopes: SCOPES,
        requestsPerSecond: 1000,
        burst: 2000,
        principalId: 'key_0123456789abcdef',
        integrationLatency: 12,
      },
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
      path: `/prod${path}`,
      stage: 'prod',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'abc123',
      resourcePath: EARN_RESOURCE,
      identity: { sourceIp: '203.0.113.7', userAgent: 'pos-terminal/4.2' },
    },
  } as unknown as APIGatewayProxyEvent;
}

/** What Lambda hands the handler with the event. */
export function lambdaContext(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'loyalty-ledger-prod-api',
    functionVersion: '12',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:loyalty-ledger-prod-api:live',
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/loyalty-ledger-prod-api',
    logStreamName: '2026/12/03/[12]0123456789abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
}

/** A member's balance after `earns` earlier earns, as the table holds it. */
export function memberBalance(memberId: string, earns: number, now: Date): Balance {
  const settings = programmeSettings.parse({});
  const enrolled = planEnrol(TENANT_ID, { externalId: `ext-${memberId}` }, now, settings).balance;
  let balance: Balance = { ...enrolled, memberId };
  for (let i = 0; i < earns; i++)
    balance = planEarn(
      balance,
      { amountPoints: 25, reason: 'purchase', idempotencyKey: `h-${i}` },
      now,
      settings,
    ).balance;
  return balance;
}

/** The items the earn path reads, by their key (`pk|sk`), as DynamoDB's wire format. */
export function tableItems(memberIds: string[], now: Date): Map<string, string> {
  const at = now.toISOString();
  const tenant = {
    ...keys.tenant(TENANT_ID),
    ...keys.tenantListKeys(TENANT_ID),
    kind: 'tenant',
    tenantId: TENANT_ID,
    name: 'Bench hotels',
    status: 'active',
    limits: { requestsPerSecond: 1000, burst: 2000, quotaPerDay: 10_000_000 },
    createdAt: at,
    updatedAt: at,
    usageIdentifierKey: 'uik_0123456789abcdef0123456789abcdef',
  };
  const programme = {
    ...keys.programme(TENANT_ID),
    kind: 'programme',
    tenantId: TENANT_ID,
    settings: programmeSettings.parse({}),
    version: 3,
    updatedAt: at,
  };
  // The copies of the tenant's status each request reads one of (decision 0012).
  const statusReplicas = Array.from({ length: TENANT_STATUS_REPLICAS }, (_, replica) =>
    tenantStatusItem({ tenantId: TENANT_ID, status: 'active', updatedAt: at }, replica),
  );
  const items = [
    tenant,
    ...statusReplicas,
    programme,
    ...memberIds.map((memberId) => balanceItem(memberBalance(memberId, 8, now))),
  ];
  return new Map(
    items.map((item) => [
      `${String(item.pk)}|${String(item.sk)}`,
      JSON.stringify({ Item: marshall(item, { removeUndefinedValues: true }) }),
    ]),
  );
}

/** DynamoDB's answer to one wire call: the stored item for a read, success for every write. */
export function dynamoAnswer(items: Map<string, string>, target: string, body: string): string {
  const operation = target.slice(target.indexOf('.') + 1);
  if (operation === 'GetItem') {
    const { Key } = JSON.parse(body) as { Key: { pk: { S: string }; sk: { S: string } } };
    return items.get(`${Key.pk.S}|${Key.sk.S}`) ?? '{}';
  }
  if (operation === 'TransactWriteItems' || operation === 'PutItem' || operation === 'UpdateItem') return '{}';
  if (operation === 'SendMessage') return '{"MessageId":"00000000-0000-0000-0000-000000000000","MD5OfMessageBody":""}';
  throw new Error(`handler-cpu: no stub answer for ${target}`);
}

/**
 * Every SDK client's HTTP handler answers from `answer` without a socket: the SDK's edge. Returns the calls' targets
 * seen (for the check that nothing else was called) and the way to undo it.
 */
export function stubWire(answer: (target: string, body: string) => string) {
  // The SDK's own HTTP handler class, as every client builds it (no import of the SDK's internals).
  const handlerClass = Object.getPrototypeOf(
    new DynamoDBClient({ region: 'eu-west-1', requestHandler: {} }).config.requestHandler,
  ) as { handle: (request: WireRequest) => Promise<unknown> };
  const original = Object.getOwnPropertyDescriptor(handlerClass, 'handle')!;
  const targets = new Map<string, number>();
  handlerClass.handle = (request: WireRequest) => {
    const target = request.headers['x-amz-target'] ?? '';
    targets.set(target, (targets.get(target) ?? 0) + 1);
    const sent = request.body;
    const body = answer(
      target,
      typeof sent === 'string'
        ? sent
        : sent instanceof Uint8Array
          ? Buffer.from(sent.buffer, sent.byteOffset, sent.byteLength).toString('utf8')
          : '',
    );
    const response = {
      statusCode: 200,
      reason: 'OK',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEF',
        'content-length': String(Buffer.byteLength(body)),
      },
      body: Readable.from([Buffer.from(body)]),
    };
    return Promise.resolve({ response });
  };
  return {
    targets,
    restore: () => {
      Object.defineProperty(handlerClass, 'handle', original);
    },
  };
}

/** What the stub reads of the SDK's HTTP request. */
interface WireRequest {
  headers: Record<string, string | undefined>;
  body?: unknown;
}

/** One SDK call as the handler made it: the document client command's name and its input. */
export interface RecordedCall {
  command: string;
  input: unknown;
}

/**
 * Runs `work` with every document client's calls recorded (aws-sdk-client-mock's call history) and passed on to the
 * real client, so they still reach the stubbed wire.
 */
export async function recordCalls(work: () => Promise<void>): Promise<RecordedCall[]> {
  // The client's own send, which the mock replaces on the prototype: every recorded call still goes through it.
  const send = Reflect.get(DynamoDBDocumentClient.prototype, 'send') as (...args: unknown[]) => Promise<never>;
  const mock = mockClient(DynamoDBDocumentClient);
  mock.send.callsFake(function (this: DynamoDBDocumentClient, ...args) {
    return send.apply(this, args);
  });
  try {
    await work();
    return mock.send.getCalls().map((call) => {
      const command = call.args[0] as { input: unknown; constructor: { name: string } };
      return { command: command.constructor.name, input: structuredClone(command.input) };
    });
  } finally {
    mock.restore();
  }
}

/**
 * The bare function's client: a document client as `aws-clients.ts` builds it (timeouts, attempts, marshalling),
 * without the tracer's instrumentation, which a function that only makes these calls would not load.
 */
export function bareClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 }, maxAttempts: 3 }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}

type DocumentCommand = new (input: never) => Parameters<DynamoDBDocumentClient['send']>[0];

/** The bare function: the recorded commands sent again through `client`, one after another. */
export async function bareCalls(client: DynamoDBDocumentClient, calls: RecordedCall[]): Promise<void> {
  for (const { command, input } of calls) {
    const Command = (documentCommands as unknown as Record<string, DocumentCommand>)[command];
    if (!Command) throw new Error(`handler-cpu: no document client command ${command}`);
    await client.send(new Command(input as never));
  }
}

/** Areas of the code by where a function comes from (the first that matches). */
const AREAS: [area: string, test: (url: string, name: string) => boolean][] = [
  ['the profiler itself (left out)', (url) => url === 'node:inspector'],
  ['GC', (_url, name) => name === '(garbage collector)'],
  ['V8 / runtime (program)', (_url, name) => name === '(program)'],
  ['JSON parse/stringify', (url, name) => url === '' && (name === 'parse' || name === 'stringify')],
  ['middy', (url) => url.includes('/@middy/')],
  ['Powertools logger', (url) => url.includes('/@aws-lambda-powertools/logger/')],
  ['Powertools metrics', (url) => url.includes('/@aws-lambda-powertools/metrics/')],
  [
    'tracer (Powertools, X-Ray SDK)',
    (url) =>
      /\/@aws-lambda-powertools\/(tracer|commons)\/|\/aws-xray-sdk-core\/|\/cls-hooked\/|\/async-hook-jl\//.test(url),
  ],
  ['zod validation', (url) => url.includes('/zod/')],
  ['SDK marshalling (lib/util-dynamodb)', (url) => /\/@aws-sdk\/(lib-dynamodb|util-dynamodb)\//.test(url)],
  ['SDK client stack (middleware, serde, signing)', (url) => /\/(@aws-sdk|@smithy|@aws-crypto)\//.test(url)],
  ['other packages', (url) => url.includes('/node_modules/')],
  ['request hash (api/request-hash)', (url) => url.endsWith('/functions/api/request-hash.ts')],
  ['API: routing, parsing, responses (api/, handlers/)', (url) => /\/functions\/(api|handlers)\//.test(url)],
  ['ledger domain', (url) => url.includes('/functions/domain/')],
  ['adapters (DynamoDB items)', (url) => url.includes('/functions/adapters/')],
  ['shared (ids, problems, logger wiring)', (url) => /\/functions\/(shared|composition)\//.test(url)],
  ['bench stub (wire answers)', (url) => url.includes('/bench/')],
  ['node: crypto', (url) => url.startsWith('node:internal/crypto')],
  ['node: streams, events, timers', (url) => /^node:internal\/(streams|events|timers|process\/task_queues)/.test(url)],
  ['node: other', (url) => url.startsWith('node:')],
  ['native builtins', () => true],
];

/** A CPU profile's self time by area, in µs, largest first (idle time left out). */
export function selfTimeByArea(profile: Profiler.Profile): { area: string; us: number }[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const frame = byNode.get(samples[i]!)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    const area = AREAS.find(([, test]) => test(frame.url, frame.functionName))![0];
    if (area === AREAS[0]![0]) continue;
    totals.set(area, (totals.get(area) ?? 0) + (deltas[i] ?? 0));
  }
  return [...totals].map(([area, us]) => ({ area, us })).sort((a, b) => b.us - a.us);
}

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The prod stage's function environment with the SDK's stand-ins for the credentials Lambda passes. */
function prodEnvironment(daemonPort: number): Record<string, string> {
  const { NODE_OPTIONS: _options, ...platform } = platformEnvironment('prod');
  return {
    ...platform,
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE12',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLE'.repeat(20),
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: 'loyalty-ledger-prod-api',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_LAMBDA_FUNCTION_VERSION: '12',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: process.cwd(),
    _HANDLER: 'index.handler',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemonPort}`,
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    TABLE_NAME: 'loyalty-ledger-prod-ledger',
    DELIVERY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/webhook-delivery.fifo',
    BACKFILL_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/backfill',
    WEBHOOK_SECRETS_KEY: `local:${Buffer.alloc(32, 7).toString('base64')}`,
    TENANT_THROTTLING: 'local',
    PUBLIC_BASE_URL: 'https://api.loyalty.example.com',
  };
}

/** X-Ray's trace header as Lambda sets it for invocation `n`: a new trace, sampled one time in SAMPLED_EVERY. */
function traceHeader(n: number): string {
  const hex = (value: number, width: number) => value.toString(16).padStart(width, '0').slice(-width);
  return `Root=1-${hex(Math.floor(Date.now() / 1000), 8)}-${hex(n, 24)};Parent=${hex(n + 1, 16)};Sampled=${
    n % SAMPLED_EVERY === 0 ? 1 : 0
  }`;
}

/** What one process measured: CPU per earn of each round, and the profiled pass's self time per earn by area. */
interface Measured {
  roundsUs: number[];
  areas: { area: string; us: number }[];
}

interface HandlerMeasured extends Measured {
  /** Each earn's calls, in order, as the handler made them. */
  calls: RecordedCall[][];
  callsPerEarn: Record<string, number>;
  statuses: Record<string, number>;
}

type ChildTask =
  | { role: 'handler'; options: HandlerCpuOptions; tracer: boolean }
  | { role: 'bare'; options: HandlerCpuOptions; calls: RecordedCall[][] };

/** Profiles one more pass of `work` (sampling every 100 µs); self time per earn by area. */
async function profiled(work: () => Promise<void>, earns: number) {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    await work();
    const { profile } = await session.post('Profiler.stop');
    if (process.env.BENCH_HANDLER_CPU_DEBUG) printHotFunctions(profile, earns);
    return selfTimeByArea(profile).map(({ area, us }) => ({ area, us: us / earns }));
  } finally {
    session.disconnect();
  }
}

/** With BENCH_HANDLER_CPU_DEBUG set: the functions with the most self time, per earn, on stderr. */
function printHotFunctions(profile: Profiler.Profile, earns: number) {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  (profile.samples ?? []).forEach((id, i) => {
    const frame = byNode.get(id)!.callFrame;
    const name = `${frame.functionName} ${frame.url.replace(/.*node_modules\//, '')}:${frame.lineNumber}`;
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas?.[i] ?? 0));
  });
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 50);
  console.error(top.map(([name, us]) => `${Math.round(us / earns)} µs ${name}`).join('\n'));
}

/** Runs `work` `rounds` times; CPU per earn of each round. */
async function cpuRounds(rounds: number, earns: number, work: () => Promise<void>) {
  const perEarn: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = cpuMicros();
    await work();
    perEarn.push((cpuMicros() - start) / earns);
  }
  return perEarn;
}

/** Sets the prod environment, a UDP sink where X-Ray's daemon would listen, and the stubbed wire. */
async function prodProcess(memberIds: string[]) {
  const daemon = createSocket('udp4');
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  Object.assign(process.env, prodEnvironment(daemon.address().port));
  const items = tableItems(memberIds, new Date());
  const wire = stubWire((target, body) => dynamoAnswer(items, target, body));
  let invocation = 0;
  return {
    wire,
    /** Lambda's trace header for the next invocation. */
    nextInvocation: () => {
      process.env._X_AMZN_TRACE_ID = traceHeader(invocation++);
    },
    close: () => {
      wire.restore();
      daemon.close();
    },
  };
}

const memberIdsOf = (options: HandlerCpuOptions) =>
  Array.from({ length: options.members }, (_, i) => `mem_cpu${String(i).padStart(6, '0')}`);

/** The handler's side; runs in a process of its own (its logger, tracer and metrics read their settings at import). */
async function measureHandler(options: HandlerCpuOptions, tracer: boolean): Promise<HandlerMeasured> {
  const memberIds = memberIdsOf(options);
  const prod = await prodProcess(memberIds);
  if (!tracer) process.env.POWERTOOLS_TRACE_ENABLED = 'false';
  const { handler } = await import('../functions/handlers/api');
  const statuses: Record<string, number> = {};
  const events = (round: string, count: number) =>
    Array.from({ length: count }, (_, i) =>
      earnEvent(memberIds[i % memberIds.length]!, `${round}-${i}`, `req-${round}-${i}`),
    );
  const invoke = async (batch: APIGatewayProxyEvent[]) => {
    for (const event of batch) {
      prod.nextInvocation();
      const result = await handler(event, lambdaContext(event.requestContext.requestId));
      statuses[result.statusCode] = (statuses[result.statusCode] ?? 0) + 1;
    }
  };
  try {
    await invoke(events('warm', options.warmupEarns));
    // The measured earns, once recorded call by call: the bare function makes these calls.
    const measured = events('cpu', options.earns);
    prod.wire.targets.clear();
    const calls: RecordedCall[][] = [];
    for (const event of measured) calls.push(await recordCalls(() => invoke([event])));
    const callsPerEarn = Object.fromEntries(
      [...prod.wire.targets].map(([target, count]) => [target.replace(/^\w+\./, ''), count / measured.length]),
    );
    for (const status of Object.keys(statuses)) Reflect.deleteProperty(statuses, status);
    const roundsUs = await cpuRounds(options.rounds, measured.length, () => invoke(measured));
    const areas = await profiled(() => invoke(measured), measured.length);
    return { roundsUs, areas, calls, callsPerEarn, statuses };
  } finally {
    prod.close();
  }
}

/** The bare function's side, in a process that loads nothing of the handler's. */
async function measureBare(options: HandlerCpuOptions, calls: RecordedCall[][]): Promise<Measured> {
  const prod = await prodProcess(memberIdsOf(options));
  const client = bareClient();
  const replay = async (earns: RecordedCall[][]) => {
    for (const earn of earns) {
      prod.nextInvocation();
      await bareCalls(client, earn);
    }
  };
  try {
    await replay(Array.from({ length: options.warmupEarns }, (_, i) => calls[i % calls.length]!));
    const roundsUs = await cpuRounds(options.rounds, calls.length, () => replay(calls));
    const areas = await profiled(() => replay(calls), calls.length);
    return { roundsUs, areas };
  } finally {
    prod.close();
  }
}

/** Runs one side in a fresh Node process with tsx, as `bench` runs; its answer comes back over IPC. */
async function inChild<T>(task: ChildTask): Promise<T> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...(process.env.BENCH_HANDLER_CPU_DEBUG ? { BENCH_HANDLER_CPU_DEBUG: '1' } : {}),
      BENCH_HANDLER_CPU_CHILD: task.role,
    },
    // The handler's EMF and log lines go where Lambda's would: written, and read by nobody here.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  child.send(task);
  return new Promise<T>((resolve, reject) => {
    child.once('message', (message) => {
      resolve(message as T);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      reject(new Error(`handler-cpu ${task.role} process exited with ${code}`));
    });
  });
}

/**
 * Measures the handler, then the bare function, each in a process of its own; gives the figures and a table.
 * @example const { figures, lines } = await runHandlerCpu({ earns: 400, members: 200, warmupEarns: 400, rounds: 5 });
 */
export async function runHandlerCpu(options: HandlerCpuOptions) {
  const handler = await inChild<HandlerMeasured>({ role: 'handler', options, tracer: true });
  const bare = await inChild<Measured>({ role: 'bare', options, calls: handler.calls });
  const untraced = await inChild<HandlerMeasured>({ role: 'handler', options, tracer: false });
  return report(handler, bare, untraced, options);
}

function report(handler: HandlerMeasured, bare: Measured, untraced: HandlerMeasured, options: HandlerCpuOptions) {
  const handlerUs = median(handler.roundsUs);
  const bareUs = median(bare.roundsUs);
  const untracedUs = median(untraced.roundsUs);
  const figures = {
    handler_cpu_us_per_earn: Math.round(handlerUs),
    bare_cpu_us_per_earn: Math.round(bareUs),
    handler_cpu_ratio: Number((handlerUs / bareUs).toFixed(2)),
    handler_cpu_us_per_earn_tracing_off: Math.round(untracedUs),
    handler_cpu_ratio_tracing_off: Number((untracedUs / bareUs).toFixed(2)),
  };
  // The profile samples wall time (a shared machine's waits land on whatever ran): its shares are read, scaled to the
  // measured CPU per earn.
  const total = handler.areas.reduce((sum, row) => sum + row.us, 0);
  const bareTotal = bare.areas.reduce((sum, row) => sum + row.us, 0);
  const bareByArea = new Map(bare.areas.map((row) => [row.area, (row.us / bareTotal) * bareUs]));
  const calls = Object.entries(handler.callsPerEarn)
    .map(([operation, count]) => `${count} ${operation}`)
    .join(' + ');
  const us = (value: number) => `${String(Math.round(value)).padStart(6)} µs`;
  const lines = [
    `handler CPU per earn   ${figures.handler_cpu_us_per_earn} µs through the API handler, ` +
      `${figures.bare_cpu_us_per_earn} µs bare (${calls}), handler_cpu_ratio ${figures.handler_cpu_ratio}`,
    `  median of ${options.rounds} rounds × ${options.earns} earns over ${options.members} members after ` +
      `${options.warmupEarns} warm-up earns; rounds ${handler.roundsUs.map(Math.round).join('/')} µs vs ` +
      `${bare.roundsUs.map(Math.round).join('/')} µs; answers ${JSON.stringify(handler.statuses)}`,
    `  with tracing off (POWERTOOLS_TRACE_ENABLED=false, as the twin runs): ` +
      `${figures.handler_cpu_us_per_earn_tracing_off} µs, ratio ${figures.handler_cpu_ratio_tracing_off} ` +
      `(rounds ${untraced.roundsUs.map(Math.round).join('/')} µs)`,
    `  where the CPU goes (self time by area in a V8 profile of one more round, as a share of the CPU per earn):`,
    `  ${'area'.padEnd(52)} ${'handler'.padStart(9)} ${'share'.padStart(6)} ${'bare'.padStart(9)}`,
    ...handler.areas.map(
      (row) =>
        `  ${row.area.padEnd(52)} ${us((row.us / total) * handlerUs)} ` +
        `${((100 * row.us) / total).toFixed(1).padStart(5)}% ` +
        us(bareByArea.get(row.area) ?? 0),
    ),
  ];
  return { figures, lines };
}

if (process.env.BENCH_HANDLER_CPU_CHILD) {
  const task = await new Promise<ChildTask>((resolve) =>
    process.once('message', (m) => {
      resolve(m as ChildTask);
    }),
  );
  const measured =
    task.role === 'handler'
      ? await measureHandler(task.options, task.tracer)
      : await measureBare(task.options, task.calls);
  process.send!(measured, () => process.exit(0));
}
