import { readdir, readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { functions, type FunctionId } from '../functions/declaration/topology';
import { stageSettings } from '../functions/declaration/stages';
import { startTwin } from '../local/twin';
import { CostMeter } from './cost-meter';
import { costTable, GB, lambdaGbSeconds, priceUsage, totalUsd, type Usage } from './cost-model';
import { enrolMembers, raiseDemoTenantLimits, sleep } from './harness';
import { awsListPrices } from './prices/aws-list-prices-us-east-1-2026-12';

/**
 * The cost of one million earns, end to end at AWS list prices (`prices/`), with the demo tenant's one webhook
 * subscription and the raw-event lake; and of one million webhook deliveries. Earns are posted over HTTP to a twin of
 * its own at a steady rate, after a warm-up (containers loaded, credential and endpoint caches filled), and the
 * cost meter (`cost-meter.ts`) counts what they use until every one is delivered and in the lake:
 * - Lambda: each function's invocations and the median of the durations the twin timed (its worker-thread
 *   containers; a shared machine's load stretches the mean), billed at the configured memory on Arm; the stream
 *   and queue consumers' batches are as the twin's pollers formed them at this rate (fewer, larger batches at
 *   higher rates);
 * - DynamoDB: the units DynamoDB Local reports for every call the functions make (`ReturnConsumedCapacity`,
 *   transactions double, each index; a transaction's table units by DynamoDB's rules where Local reports fewer);
 *   stream reads by Lambda triggers are free;
 * - SQS: requests in 64 KB chunks at the FIFO price for the FIFO delivery queue; Lambda's idle long polls are left
 *   out (a fixed cost per poller, not per earn);
 * - Firehose: each record rounded up to 5 KB, plus dynamic partitioning per GB and per object; S3 PUTs and a month of
 *   storage at the size the events compress to in a large file;
 * - CloudWatch Logs: the bytes each function printed at the production log level, plus Lambda's START/END/REPORT
 *   lines and the API's access log line, estimated;
 * - X-Ray: API Gateway and the functions trace actively; the default sampling rule records 5 % past its reservoir.
 * KMS is called per container (secrets and pseudonym keys are cached), not per earn, and is left out, as are fixed
 * monthly costs (alarms, dashboard, keys, the reservoir's traces, idle polls, scheduled jobs).
 */

export interface CostOptions {
  earns: number;
  ratePerS: number;
  members: number;
  warmupEarns: number;
  timeoutMs: number;
}

/** Lambda's own lines per invocation (START, END, REPORT with the X-Ray trace id): about this many bytes. */
const LAMBDA_PLATFORM_LOG_BYTES = 350;
/** One line of the API's access log (`jsonWithStandardFields`): about this many bytes. */
const ACCESS_LOG_BYTES = 280;
/** The default X-Ray sampling rule: past one request a second, this share is recorded. */
const XRAY_SAMPLED_SHARE = 0.05;
const MILLION = 1e6;

/** Which flow each function's costs belong to. */
const PATH_OF: Partial<Record<FunctionId, Usage['path']>> = {
  authorizer: 'earn',
  api: 'earn',
  webhookRouter: 'delivery',
  webhookDelivery: 'delivery',
  lakeRouter: 'lake',
};

export async function runCost(options: CostOptions): Promise<{ figures: Record<string, unknown>; lines: string[] }> {
  const meter = new CostMeter();
  // The functions log at the production level; their output is metered (the bench keeps stdout for its figures).
  const twin = await startTwin({
    inMemory: true,
    apiPort: 0,
    receiverPort: 0,
    lakeBufferSeconds: 1,
    logLevel: stageSettings.prod.logLevel,
    meters: { lambda: meter.lambdaObserver, proxies: meter.taps },
  });
  try {
    const headers = { 'x-api-key': twin.demo.apiKey, 'content-type': 'application/json' };
    await raiseDemoTenantLimits(twin, 'cost');
    const run = Date.now();
    const members = await enrolMembers(twin, options.members, 4, `cost-${run}`);
    const delivered = new Set<string>();
    const stopCounting = twin.receiver.onReceive((hook) => {
      if (hook.verified) delivered.add(hook.webhookId);
    });
    const earn = async (key: string, i: number) => {
      const response = await fetch(`${twin.apiUrl}/v1/members/${members[i % members.length]}/points/earn`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': `cost-${run}-${key}` },
        body: JSON.stringify({ amountPoints: 10, reason: 'Hotel stay', source: 'pms' }),
      });
      return ((await response.json()) as { eventId?: string }).eventId;
    };
    const paced = (prefix: string, count: number) =>
      Promise.all(
        Array.from({ length: count }, async (_, i) => {
          await sleep((i * 1000) / options.ratePerS);
          return earn(`${prefix}${i}`, i);
        }),
      );
    const settled = async (eventIds: string[], lakeRecords: number) => {
      const deadline = Date.now() + options.timeoutMs;
      while (Date.now() < deadline && (eventIds.some((id) => !delivered.has(id)) || !lakeDone(lakeRecords)))
        await sleep(200);
    };
    const lakeDone = (records: number) => meter.firehose.records >= records;

    // Warm-up: containers, connections and the per-container caches, then quiet.
    await settled(
      (await paced('w', options.warmupEarns)).filter((id): id is string => !!id),
      0,
    );
    await sleep(2_000);

    meter.start();
    const eventIds = (await paced('e', options.earns)).filter((id): id is string => !!id);
    await settled(eventIds, eventIds.length);
    // Stragglers (the last lake batch, deletes after the last delivery).
    await sleep(1_500);
    meter.stop();
    stopCounting();
    const deliveries = eventIds.filter((id) => delivered.has(id)).length;
    const lake = await lakeCompression(twin.lakeDir);

    const errors = [...meter.dynamodbErrors.entries()].map(([key, count]) => `${key} ×${count}`).join(', ');
    const usage = perMillionEarns(meter, { earns: eventIds.length, lake });
    const priced = priceUsage(usage, awsListPrices);
    const perDelivery = deliveries / eventIds.length;
    const lambdaDurationUsd = priced
      .filter((line) => line.unit === 'lambdaArmGbSecond')
      .reduce((sum, line) => sum + line.usd, 0);
    const figures = {
      usd_per_million_earn: round(totalUsd(priced), 2),
      usd_per_million_deliveries: round(totalUsd(priced, ['delivery']) / perDelivery, 2),
      cost_earn_path_usd: round(totalUsd(priced, ['earn']), 2),
      cost_delivery_path_usd: round(totalUsd(priced, ['delivery']), 2),
      cost_lake_path_usd: round(totalUsd(priced, ['lake']), 2),
      // The one part that follows the machine's load (durations timed on the twin); the rest is counted units.
      cost_lambda_duration_usd: round(lambdaDurationUsd, 2),
      usd_per_million_earn_excl_lambda_duration: round(totalUsd(priced) - lambdaDurationUsd, 2),
      cost_earns_measured: eventIds.length,
      cost_deliveries_measured: deliveries,
    };
    const lines = [
      `cost per million earns at list prices (${awsListPrices.region}, read ${awsListPrices.readOn}), one webhook ` +
        `subscription and the lake: $${figures.usd_per_million_earn}  (earn $${figures.cost_earn_path_usd}, ` +
        `delivery $${figures.cost_delivery_path_usd}, lake $${figures.cost_lake_path_usd}; Lambda durations ` +
        `$${figures.cost_lambda_duration_usd} of it); per million ` +
        `deliveries $${figures.usd_per_million_deliveries}`,
      `  measured on the twin: ${eventIds.length}/${options.earns} earns at ${options.ratePerS}/s over HTTP, ` +
        `${deliveries} delivered, ${meter.firehose.records} lake records; Lambda billed at the median duration the ` +
        `twin timed (machine load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores); ` +
        `DynamoDB units from ReturnConsumedCapacity (DynamoDB Local); stream reads by Lambda triggers are free`,
      `  DynamoDB calls answered with an error (no capacity reported; a failed conditional write is billed, ` +
        `counted as 1 write unit): ${errors || 'none'}`,
      ...costTable(priced),
      ...dynamoBreakdown(meter, eventIds.length),
      ...lambdaBreakdown(meter, eventIds.length),
    ];
    return { figures, lines };
  } finally {
    await twin.stop();
  }
}

/** Turns what the meter counted over `earns` earns into usage per million earns. */
function perMillionEarns(meter: CostMeter, input: { earns: number; lake: { bytesPerEvent: number } }): Usage[] {
  const scale = MILLION / input.earns;
  const usage: Usage[] = [
    { component: 'API Gateway REST', path: 'earn', unit: 'apiGatewayRestRequest', quantity: MILLION },
  ];
  let asyncInvocations = 0;
  for (const [id, tally] of meter.lambda) {
    const path = PATH_OF[id];
    // Scheduled jobs run on their own clock whatever the load: not part of an earn.
    if (!path) continue;
    const memoryMiB = functions[id].memoryMiB;
    const medianMs = median(tally.durationsMs);
    usage.push(
      { component: `Lambda requests: ${id}`, path, unit: 'lambdaRequest', quantity: tally.invocations * scale },
      {
        component: `Lambda GB-s: ${id} (${memoryMiB} MiB)`,
        path,
        unit: 'lambdaArmGbSecond',
        quantity: lambdaGbSeconds(medianMs, memoryMiB) * tally.invocations * scale,
        note: `median ${round(medianMs, 1)} ms per invocation, mean ${round(tally.billedMs / tally.invocations, 1)}`,
      },
      {
        component: `CloudWatch Logs: ${id}`,
        path,
        unit: 'cloudwatchLogsIngestedGb',
        quantity: ((tally.logBytes + tally.invocations * LAMBDA_PLATFORM_LOG_BYTES) * scale) / GB,
        note:
          `${Math.round(tally.logBytes / input.earns)} B printed per earn + ` +
          `${LAMBDA_PLATFORM_LOG_BYTES} B per invocation est.`,
      },
    );
    if (path !== 'earn') asyncInvocations += tally.invocations;
  }
  usage.push({
    component: 'CloudWatch Logs: API access log',
    path: 'earn',
    unit: 'cloudwatchLogsIngestedGb',
    quantity: (ACCESS_LOG_BYTES * MILLION) / GB,
    note: `${ACCESS_LOG_BYTES} B per request, estimated`,
  });
  usage.push(
    {
      component: 'X-Ray traces: API',
      path: 'earn',
      unit: 'xrayTraceRecorded',
      quantity: XRAY_SAMPLED_SHARE * MILLION,
      note: 'default sampling 5 %',
    },
    {
      component: 'X-Ray traces: consumers',
      path: 'delivery',
      unit: 'xrayTraceRecorded',
      quantity: XRAY_SAMPLED_SHARE * asyncInvocations * scale,
      note: 'default sampling 5 % of stream and queue invocations',
    },
  );

  const dynamo = new Map<string, { path: Usage['path']; read: number; write: number }>();
  for (const tally of meter.dynamodb.values()) {
    const id = tally.functionId;
    const path = id ? PATH_OF[id] : undefined;
    if (!id || !path) continue;
    const entry = dynamo.get(id) ?? { path, read: 0, write: 0 };
    entry[tally.kind] += tally.units;
    dynamo.set(id, entry);
  }
  // AWS bills a write whose condition fails (at least one unit); DynamoDB Local reports nothing for it.
  for (const [key, count] of meter.dynamodbErrors) {
    const [id, op, error] = key.split(' ') as [FunctionId, string, string];
    const path = PATH_OF[id];
    if (!path || !error.startsWith('ConditionalCheckFailed') || op === 'GetItem') continue;
    const entry = dynamo.get(id) ?? { path, read: 0, write: 0 };
    entry.write += count;
    dynamo.set(id, entry);
  }
  for (const [id, { path, read, write }] of dynamo) {
    if (write > 0)
      usage.push({
        component: `DynamoDB writes: ${id}`,
        path,
        unit: 'dynamodbWriteRequestUnit',
        quantity: write * scale,
      });
    if (read > 0)
      usage.push({ component: `DynamoDB reads: ${id}`, path, unit: 'dynamodbReadRequestUnit', quantity: read * scale });
  }

  for (const [key, tally] of meter.sqs) {
    const [id, action, kind] = key.split('|') as [FunctionId, string, 'fifo' | 'standard'];
    const path = PATH_OF[id];
    if (!path || tally.billed === 0) continue;
    usage.push({
      component: `SQS ${kind}: ${id} ${action}`,
      path,
      unit: kind === 'fifo' ? 'sqsFifoRequest' : 'sqsStandardRequest',
      quantity: tally.billed * scale,
    });
  }

  const rawGb = (meter.firehose.bytes * scale) / GB;
  const storedGb = (input.lake.bytesPerEvent * MILLION) / GB;
  // Objects fill up to the production buffer size; a quiet tenant's files close on time instead (a fixed count).
  const objects = Math.max(1, Math.ceil((storedGb * GB) / (stageSettings.prod.lakeBuffering.sizeMiB * 1024 ** 2)));
  usage.push(
    {
      component: 'Firehose ingestion',
      path: 'lake',
      unit: 'firehoseIngestedGb',
      quantity: (meter.firehose.billedBytes * scale) / GB,
      note: `${Math.round(meter.firehose.bytes / Math.max(1, meter.firehose.records))} B per record, billed as 5 KB`,
    },
    {
      component: 'Firehose dynamic partitioning',
      path: 'lake',
      unit: 'firehoseDynamicPartitioningGb',
      quantity: rawGb,
    },
    {
      component: 'Firehose partitioned objects',
      path: 'lake',
      unit: 'firehoseDynamicPartitioningObject',
      quantity: objects,
      note: 'size-bound files; time-bound ones are a fixed monthly count',
    },
    { component: 'S3 PUT (lake files)', path: 'lake', unit: 's3PutRequest', quantity: objects },
    {
      component: 'S3 storage, one month',
      path: 'lake',
      unit: 's3StandardGbMonth',
      quantity: storedGb,
      note: `${Math.round(input.lake.bytesPerEvent)} B per event gzipped in one file`,
    },
  );
  return usage.filter((line) => line.quantity > 0);
}

/** DynamoDB units per earn by function and call, with the table and index shares: where the levers are. */
function dynamoBreakdown(meter: CostMeter, earns: number): string[] {
  const rows = [...meter.dynamodb.values()]
    .filter((tally) => tally.units > 0)
    .sort((a, b) => b.units - a.units)
    .map((tally) => {
      const indexes = Object.entries(tally.indexUnits)
        .filter(([, units]) => units > 0)
        .map(([index, units]) => `${index} ${round(units / earns, 2)}`)
        .join(', ');
      return (
        `  ${`${tally.functionId ?? 'twin'} ${tally.operation}`.padEnd(36)} ${tally.kind.padEnd(5)} ` +
        `${String(round(tally.units / earns, 2)).padStart(6)} units per earn ` +
        `(${round(tally.calls / earns, 2)} calls; ` +
        `table ${round(tally.tableUnits / earns, 2)}${indexes ? `; ${indexes}` : ''})`
      );
    });
  const puts = [...meter.puts.entries()]
    .sort(([, a], [, b]) => b.units - a.units)
    .map(
      ([key, tally]) =>
        `  ${key.padEnd(44)} ${String(Math.round(tally.bytes / tally.items)).padStart(5)} B per item, ` +
        `${round(tally.items / earns, 2)} per earn, ${round(tally.units / earns, 2)} table write units per earn`,
    );
  return [
    'DynamoDB units per earn, by call (from ReturnConsumedCapacity):',
    ...rows,
    'Items put per earn (sizes by DynamoDB rules; index copies add their own units):',
    ...puts,
  ];
}

function lambdaBreakdown(meter: CostMeter, earns: number): string[] {
  const rows = [...meter.lambda.entries()].map(
    ([id, tally]) =>
      `  ${id.padEnd(16)} ${String(round(tally.invocations / earns, 3)).padStart(6)} invocations per earn, ` +
      `median ${round(median(tally.durationsMs), 1)} ms, ` +
      `mean ${round(tally.billedMs / Math.max(1, tally.invocations), 1)} ms, ${functions[id].memoryMiB} MiB, ` +
      `${Math.round(tally.logBytes / earns)} B logged per earn${PATH_OF[id] ? '' : ' (not per earn: left out)'}`,
  );
  const sqs = [...meter.sqs.entries()].map(
    ([key, tally]) =>
      `  SQS ${key.replaceAll('|', ' ')}: ${round(tally.billed / earns, 3)} billed requests per earn ` +
      `(${tally.messages} messages, ${tally.empty} empty receives left out)`,
  );
  return ['Lambda per earn (durations as the twin timed them):', ...rows, ...sqs];
}

/** The lake's events, gzipped together as one large production file would be: bytes per event. */
async function lakeCompression(lakeDir: string): Promise<{ bytesPerEvent: number; events: number }> {
  const files = (await readdir(lakeDir, { recursive: true })).filter((name) => name.endsWith('.ndjson.gz'));
  const text = (await Promise.all(files.map(async (name) => gunzipSync(await readFile(join(lakeDir, name)))))).join('');
  const events = text.split('\n').filter(Boolean).length;
  return { bytesPerEvent: events ? gzipSync(text).length / events : 0, events };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}
