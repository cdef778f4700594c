import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, DynamoDBRecord } from 'aws-lambda';
import { eventFromStreamRecord } from '../functions/adapters/outbox-stream';
import { resetConfigCache } from '../functions/composition/config';
import { CREDENTIALS, REGION } from '../local/aws-local';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { provisionTable } from '../local/provision';
import { pool } from './harness';
import {
  busiestKeys,
  callReads,
  COUNTED_OPERATIONS,
  keyLoads,
  PARTITION_LIMITS,
  readAccesses,
  writeAccesses,
  writtenKeys,
  type Access,
  type CommandSample,
  type ItemWrite,
  type KeyLoad,
  type Scenario,
  type WireCall,
  type WireItem,
} from './partition-load';

/**
 * Hot partitions: one tenant at `earnPerS` earns per second over `members` members, plus `redeemShare` of that rate
 * redeeming one popular voucher reward funded by one campaign. The real API handler (`route`, as API Gateway calls
 * it after the authorizer) runs in this process against DynamoDB Local, behind a proxy that records every DynamoDB
 * call and, for each write, the item before and after it. A sample of earns and redemptions, one command of each
 * kind per member, is recorded command by command; `partition-load.ts` turns each call into read and write units per
 * partition key of the table and of every index (from the items' own attributes and the declared indexes) and
 * scales the sample to the scenario's rates. Shard counts, key layout and index attributes are whatever the code
 * writes, so changing them changes the figure.
 *
 * Not in the sample: the authorizer (its verdict is cached per container, and API Gateway may cache it too), and
 * what the lake's consumers write afterwards; see the decision record. The webhook delivery function is recorded
 * beside it: one endpoint subscribed to every event, each event a command wrote handed to the delivery function's own
 * service (as the router would queue it) and posted to a receiver in this process. Its calls are reported apart
 * (`hot_partition_share_with_webhook`): the issue's scenario has no endpoint.
 */

export interface HotPartitionOptions {
  scenario: { earnPerS: number; members: number; redeemShare: number };
  /** Earns recorded (one per member) and redemptions recorded (one per member, on the first members). */
  sampleEarns: number;
  sampleRedemptions: number;
  concurrency: number;
}

const TENANT = 'hot-tenant';
const REWARD = 'popular-reward';
const CAMPAIGN = 'big-campaign';
const REWARD_COST_POINTS = 100;
const CAMPAIGN_COST_POINTS = 10;
const SCOPES = 'members:read members:write points:write programme:manage webhooks:manage';

/** One DynamoDB call seen at the proxy, with the items its writes changed. */
interface RecordedCall extends WireCall {
  writes: ItemWrite[];
}

export async function runHotPartition(options: HotPartitionOptions) {
  const ddb = await startDynamoDbLocal({});
  const direct = new DynamoDBClient({ endpoint: ddb.endpoint, region: REGION, credentials: CREDENTIALS });
  const recorder = { on: false, calls: [] as RecordedCall[] };
  const proxy = await recordingProxy(ddb.endpoint, direct, recorder);
  const receiver = await webhookReceiver();
  const environment = { ...process.env };
  const restore: (() => void)[] = [];
  try {
    const { tableName } = await provisionTable(direct);
    const route = await apiRoute(proxy.url, tableName);
    const { deliveryWiring } = await import('../functions/composition/webhooks');
    const delivery = deliveryWiring().service;
    // The functions' logger may have been made before this scenario's settings (a line per webhook attempt).
    const { logger } = await import('../functions/shared/logger');
    const logLevel = logger.getLevelName();
    logger.setLogLevel('ERROR');
    restore.push(() => {
      logger.setLogLevel(logLevel);
    });
    const call = async (
      method: string,
      resource: string,
      init: { body?: unknown; params?: Record<string, string>; key?: string; operator?: boolean },
    ) => {
      const response = await route(apiEvent(method, resource, init));
      if (response.statusCode >= 300) {
        throw new Error(`${method} ${resource} answered ${response.statusCode}: ${response.body}`);
      }
      return JSON.parse(response.body) as Record<string, unknown>;
    };

    // The tenant, its popular reward (voucher codes enough for every redemption) and the campaign funding it.
    const redemptions = options.sampleRedemptions + 1;
    await call('POST', '/admin/tenants', { body: { tenantId: TENANT, name: 'Hot tenant' }, operator: true });
    await call('PUT', '/v1/campaigns/{campaignId}', { params: { campaignId: CAMPAIGN }, body: { name: 'Big' } });
    await call('POST', '/v1/campaigns/{campaignId}/funds', {
      params: { campaignId: CAMPAIGN },
      key: 'fund',
      body: { amountPoints: redemptions * CAMPAIGN_COST_POINTS * 2 },
    });
    await call('PUT', '/v1/rewards/{rewardId}', {
      params: { rewardId: REWARD },
      body: {
        name: 'Popular',
        pointsCost: REWARD_COST_POINTS,
        fulfilment: 'voucher',
        campaign: { campaignId: CAMPAIGN, cost: CAMPAIGN_COST_POINTS },
      },
    });
    const codes = Array.from({ length: redemptions * 2 }, (_, i) => `CODE-${String(i).padStart(6, '0')}`);
    for (let i = 0; i < codes.length; i += 500) {
      await call('POST', '/v1/rewards/{rewardId}/codes', {
        params: { rewardId: REWARD },
        body: { codes: codes.slice(i, i + 500) },
      });
    }
    // One webhook endpoint, subscribed to every event (the delivery log's keys are per endpoint).
    const { subscriptionId } = await call('POST', '/v1/webhooks/endpoints', {
      key: 'endpoint',
      body: { url: receiver.url, eventTypes: ['*'] },
    });
    // Members with a history (one earn each before the sample), so the sample sees steady state, not first earns.
    const memberCount = Math.max(options.sampleEarns, options.sampleRedemptions) + 1;
    const members = await pool(memberCount, options.concurrency, async (i) => {
      const { memberId } = await call('POST', '/v1/members', { key: `enrol-${i}`, body: { externalId: `ext-${i}` } });
      const id = String(memberId);
      await call('POST', '/v1/members/{memberId}/points/earn', {
        params: { memberId: id },
        key: `seed-${i}`,
        body: { amountPoints: 1_000, reason: 'history' },
      });
      return id;
    });
    const earn = (memberId: string, key: string) =>
      call('POST', '/v1/members/{memberId}/points/earn', {
        params: { memberId },
        key,
        body: { amountPoints: 25, reason: 'purchase' },
      });
    const redeem = (memberId: string, key: string) =>
      call('POST', '/v1/members/{memberId}/redemptions', { params: { memberId }, key, body: { rewardId: REWARD } });
    // Warm the container's caches (the programme), as a busy container has them.
    const warm = members.pop()!;
    await earn(warm, 'warm-earn');
    await redeem(warm, 'warm-redeem');

    // The sample, one command at a time so each call belongs to exactly one command; then the webhook deliveries of
    // the events it wrote, one at a time.
    const samples: CommandSample[] = [];
    const deliveries: CommandSample[] = [];
    const unknownOperations = new Set<string>();
    const undelivered = { count: 0 };
    const recorded = async (work: () => Promise<unknown>) => {
      recorder.calls = [];
      recorder.on = true;
      await work();
      recorder.on = false;
      return recorder.calls;
    };
    const accessesOf = (calls: RecordedCall[]): Access[] =>
      calls.flatMap((c) => {
        if (!COUNTED_OPERATIONS.has(c.operation)) unknownOperations.add(c.operation);
        return [...callReads(c).flatMap((read) => readAccesses(read)), ...c.writes.flatMap((w) => writeAccesses(w))];
      });
    const record = async (kind: string, memberId: string, command: () => Promise<unknown>) => {
      const calls = await recorded(command);
      samples.push({ kind, memberId, accesses: accessesOf(calls) });
      const events = calls.flatMap((c) => c.writes.flatMap((w) => (w.before ? [] : outboxEvent(w.after))));
      const deliveryCalls = await recorded(async () => {
        for (const event of events) {
          const wait = await delivery.handle(
            { tenantId: TENANT, subscriptionId: String(subscriptionId), event, round: 0 },
            1,
          );
          if (wait) undelivered.count += 1;
        }
      });
      deliveries.push({ kind, memberId, accesses: accessesOf(deliveryCalls) });
    };
    for (let i = 0; i < options.sampleEarns; i++) await record('earn', members[i]!, () => earn(members[i]!, `e-${i}`));
    for (let i = 0; i < options.sampleRedemptions; i++)
      await record('redeem', members[i]!, () => redeem(members[i]!, `r-${i}`));
    if (unknownOperations.size)
      throw new Error(`Calls the counting does not know: ${[...unknownOperations].join(', ')}`);

    const { scenario } = options;
    const simulated: Scenario = {
      ratePerS: { earn: scenario.earnPerS, redeem: scenario.earnPerS * scenario.redeemShare },
      members: scenario.members,
    };
    if (undelivered.count) throw new Error(`${undelivered.count} webhook deliveries waited instead of going out`);
    return report(samples, deliveries, simulated, options, receiver.received());
  } finally {
    // The handler's settings stay in this process only while it runs (later scenarios start a twin).
    for (const name of Object.keys(process.env)) if (!(name in environment)) Reflect.deleteProperty(process.env, name);
    Object.assign(process.env, environment);
    resetConfigCache();
    for (const undo of restore) undo();
    await new Promise((resolve) => proxy.server.close(resolve));
    await new Promise((resolve) => receiver.server.close(resolve));
    direct.destroy();
    await ddb.stop();
  }
}

function report(
  samples: CommandSample[],
  deliveries: CommandSample[],
  scenario: Scenario,
  options: HotPartitionOptions,
  delivered: number,
) {
  const loads = keyLoads(samples, scenario);
  const perTarget = busiestKeys(loads);
  const hottest = Math.max(0, ...perTarget.map((row) => row.busiest?.share ?? 0));
  const withWebhook = busiestKeys(
    keyLoads(
      samples.map((sample, i) => ({ ...sample, accesses: [...sample.accesses, ...deliveries[i]!.accesses] })),
      scenario,
    ),
  );
  const hottestWithWebhook = Math.max(0, ...withWebhook.map((row) => row.busiest?.share ?? 0));
  const round = (n: number, digits = 1) => Number(n.toFixed(digits));
  const row = ({ target, busiest, keys }: ReturnType<typeof busiestKeys>[number]) =>
    busiest
      ? `  ${target.padEnd(12)} ${busiest.partitionKey.padEnd(44)} ${String(round(busiest.wcuPerS)).padStart(8)} ` +
        `${String(round(busiest.rcuPerS)).padStart(8)} ${busiest.share.toFixed(3).padStart(6)}  ${keys}`
      : `  ${target.padEnd(12)} ${'(not written or read by these commands)'.padEnd(44)} ${'0'.padStart(8)} ` +
        `${'0'.padStart(8)} ${'0.000'.padStart(6)}  0`;
  const lines = [
    `hot partitions: one tenant, ${scenario.ratePerS.earn} earn/s over ${scenario.members} members + ` +
      `${scenario.ratePerS.redeem} redeem/s of one voucher reward funded by one campaign ` +
      `(sample: ${options.sampleEarns} earns, ${options.sampleRedemptions} redemptions through the API handler; ` +
      `limits ${PARTITION_LIMITS.wcuPerS} WCU/s + ${PARTITION_LIMITS.rcuPerS} RCU/s per partition)`,
    `  ${'table/index'.padEnd(12)} ${'busiest partition key'.padEnd(44)} ` +
      `${'WCU/s'.padStart(8)} ${'RCU/s'.padStart(8)} ${'share'.padStart(6)}  keys`,
    ...perTarget.map(row),
    ...perCommand(samples),
    `  busiest keys of the table, one per family of shards: ` +
      busiestPerFamily(loads.filter((load) => load.target === 'table'))
        .slice(0, 5)
        .map((load) => `${load.partitionKey} ${load.share.toFixed(3)}`)
        .join(', '),
    `with one webhook endpoint subscribed to every event (${delivered} deliveries of the sample's events by the ` +
      `delivery function's service, beside the commands; its per-container caches counted at the sample's pace):`,
    ...withWebhook.map(row),
    ...perCommand(deliveries).map((line) => line.replace(/^ {2}one (\w+)/, "  one $1's webhook deliveries")),
  ];
  const figures = {
    hot_partition_share: round(hottest, 3),
    hot_partition_key: perTarget
      .filter((row) => row.busiest?.share === hottest)
      .map((row) => `${row.target}:${row.busiest!.partitionKey}`)[0],
    ...Object.fromEntries(
      perTarget.map((row) => [`hot_partition_share_${row.target}`, round(row.busiest?.share ?? 0, 3)]),
    ),
    hot_partition_share_with_webhook: round(hottestWithWebhook, 3),
    hot_partition_key_with_webhook: withWebhook
      .filter((row) => row.busiest?.share === hottestWithWebhook)
      .map((row) => `${row.target}:${row.busiest!.partitionKey}`)[0],
  };
  return { figures, lines };
}

/**
 * The busiest key of each family of shards (`…#STOCK#r#0` … `#7` are one family; a key without a shard number is its
 * own), busiest first: the keys that come next after the hottest, without a line per shard of it.
 */
function busiestPerFamily(loads: KeyLoad[]): KeyLoad[] {
  const byFamily = new Map<string, KeyLoad>();
  for (const load of [...loads].sort((a, b) => b.share - a.share)) {
    const family = load.partitionKey.replace(/#\d+$/, '#<n>');
    if (!byFamily.has(family)) byFamily.set(family, load);
  }
  return [...byFamily.values()];
}

/** What one command costs on average, by table and index: the units behind the shares. */
function perCommand(samples: CommandSample[]): string[] {
  const kinds = [...new Set(samples.map((sample) => sample.kind))];
  return kinds.map((kind) => {
    const ofKind = samples.filter((sample) => sample.kind === kind);
    const totals = new Map<string, { rcu: number; wcu: number }>();
    for (const access of ofKind.flatMap((sample) => sample.accesses)) {
      const total = totals.get(access.target) ?? { rcu: 0, wcu: 0 };
      total.rcu += access.rcu / ofKind.length;
      total.wcu += access.wcu / ofKind.length;
      totals.set(access.target, total);
    }
    const parts = [...totals].map(([target, t]) => `${target} ${t.rcu.toFixed(2)} RCU ${t.wcu.toFixed(2)} WCU`);
    return `  one ${kind} on average: ${parts.join('; ')}`;
  });
}

/** API Gateway's event for a route, after the authorizer let a tenant's key (or an operator's) through. */
function apiEvent(
  method: string,
  resource: string,
  init: { body?: unknown; params?: Record<string, string>; key?: string; operator?: boolean },
): APIGatewayProxyEvent {
  const path = resource.replace(/\{(\w+)\}/g, (_, name: string) => init.params?.[name] ?? name);
  return {
    httpMethod: method,
    resource,
    path,
    headers: { 'content-type': 'application/json', ...(init.key ? { 'idempotency-key': init.key } : {}) },
    body: init.body === undefined ? null : JSON.stringify(init.body),
    pathParameters: init.params ?? null,
    isBase64Encoded: false,
    requestContext: {
      requestId: `bench-${Math.random().toString(36).slice(2)}`,
      authorizer: init.operator
        ? { principal: 'operator', credentialId: 'bench-operator', scopes: 'admin' }
        : { principal: 'tenant', tenantId: TENANT, credentialId: 'bench-key', scopes: SCOPES },
    },
  } as unknown as APIGatewayProxyEvent;
}

/** The API function's router, configured as the twin configures it, with DynamoDB behind the recording proxy. */
async function apiRoute(dynamoUrl: string, tableName: string) {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    TABLE_NAME: tableName,
    DELIVERY_QUEUE_URL: 'http://127.0.0.1:9/000000000000/webhook-delivery.fifo',
    BACKFILL_QUEUE_URL: 'http://127.0.0.1:9/000000000000/backfill',
    WEBHOOK_SECRETS_KEY: `local:${Buffer.alloc(32, 7).toString('base64')}`,
    TENANT_THROTTLING: 'local',
    DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:9/000000000000/webhook-delivery-dlq.fifo',
    // The delivery function posts to the receiver in this process, as the twin lets it.
    WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    // The handler's EMF lines would land among the bench's output (and after its last JSON line).
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { route } = await import('../functions/handlers/api');
  return route;
}

/** An outbox event as the stream would carry it from a written item (null for any other item). */
function outboxEvent(item: WireItem | undefined) {
  if (!item) return [];
  const record = { eventName: 'INSERT', dynamodb: { NewImage: item } } as unknown as DynamoDBRecord;
  const event = eventFromStreamRecord(record);
  return event ? [event] : [];
}

/** A webhook receiver that accepts every delivery at once, and counts them. */
async function webhookReceiver() {
  let received = 0;
  const server = createServer((incoming, outgoing) => {
    incoming.resume();
    incoming.on('end', () => {
      received += 1;
      outgoing.writeHead(204);
      outgoing.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    server,
    received: () => received,
  };
}

const readBody = (message: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    message.on('error', reject);
  });

/**
 * An HTTP proxy in front of DynamoDB Local: passes every request through unchanged and, while recording, keeps the
 * call (operation, request, response) and reads each written item just before and just after its write.
 */
async function recordingProxy(
  target: string,
  direct: DynamoDBClient,
  recorder: { on: boolean; calls: RecordedCall[] },
): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const itemAt = async (tableName: string, key: Record<string, unknown>) =>
    (
      await direct.send(
        new GetItemCommand({ TableName: tableName, Key: key as Record<string, AttributeValue>, ConsistentRead: true }),
      )
    ).Item as WireItem | undefined;
  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const recording = recorder.on;
      const request = recording ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      const written = recording ? writtenKeys({ operation, request }) : [];
      const tableOf = (i: number) => tableNameOf(operation, request, i);
      const before = await Promise.all(written.map((w, i) => itemAt(tableOf(i), w.key)));
      const answer = await forward(upstream, incoming, body);
      if (recording) {
        const after = await Promise.all(written.map((w, i) => itemAt(tableOf(i), w.key)));
        recorder.calls.push({
          operation,
          request,
          response: JSON.parse(answer.body.toString('utf8') || '{}') as Record<string, unknown>,
          writes: written.map((w, i) => ({
            ...(before[i] ? { before: before[i] } : {}),
            ...(after[i] ? { after: after[i] } : {}),
            transactional: w.transactional,
            ...('conditionCheck' in w && w.conditionCheck ? { conditionCheck: true } : {}),
          })),
        });
      }
      outgoing.writeHead(answer.status, answer.headers);
      outgoing.end(answer.body);
    })().catch((error: unknown) => {
      outgoing.writeHead(500);
      outgoing.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The table a write call's i-th written key belongs to. */
function tableNameOf(operation: string, request: Record<string, unknown>, i: number): string {
  if (operation === 'TransactWriteItems') {
    const action = (request.TransactItems as Record<string, { TableName: string }>[])[i]!;
    return Object.values(action)[0]!.TableName;
  }
  if (operation === 'BatchWriteItem') return Object.keys(request.RequestItems as object)[0]!;
  return request.TableName as string;
}

function forward(upstream: URL, incoming: IncomingMessage, body: Buffer) {
  return new Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>(
    (resolve, reject) => {
      const outgoing = httpRequest(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (response) => {
          readBody(response)
            .then((answer) => {
              resolve({
                status: response.statusCode ?? 500,
                headers: response.headers as Record<string, string | string[]>,
                body: answer,
              });
            })
            .catch(reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    },
  );
}
