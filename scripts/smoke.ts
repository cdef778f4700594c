import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { objectPrefix, partitionValues } from '../functions/declaration/lake-partitioning';
import { rawEvents } from '../functions/declaration/topology';

/**
 * `npm run smoke -- --url <api> --key <key> --webhook-url <https url> --lake s3://bucket[/prefix]`:
 * proves a deployment end to end through its public surfaces (API, a webhook endpoint, the lake)
 * and prints each step with its timing. Exit 0 when every step passed; 1 naming the failed step; 2
 * for wrong usage. Every wait has a timeout; the temporary endpoint is deleted whatever happens.
 */
const USAGE = `Usage: npm run smoke -- --url <api base url> --key <api key> --webhook-url <url>
         (--lake s3://bucket[/prefix] | --lake-dir <path>) [options]

  --url                        the API's base URL (the stage URL on AWS, e.g. https://….execute-api…/prod)
  --key                        an API key with members:write, points:write and webhooks:manage
  --webhook-url                where the temporary endpoint points: on AWS a public https URL (the SSRF
                               guard refuses private addresses); delivery is checked in the attempt log
  --webhook-secret-to <url>    PUT {"secrets":["whsec_…"]} there after registering, for a receiver that
                               verifies signatures (the twin's receiver: <receiver>/hooks/<name>/secrets)
  --lake s3://bucket[/prefix]  the raw-events bucket (AWS credentials from the environment)
  --s3-endpoint <url>          an S3-compatible endpoint instead of AWS (path-style requests)
  --lake-dir <path>            the twin's lake folder instead of S3
  --webhook-timeout-seconds    wait for a 2xx delivery attempt (default 60)
  --lake-timeout-seconds       wait for the event in the lake (default 300: Firehose buffers 60 s)
  --endpoint-cache-seconds     wait after registering before earning, so the routers' endpoint cache
                               (SUBSCRIPTION_CACHE_TTL_MS, 5 s) sees the new endpoint (default 6)
  --request-timeout-seconds    per API request (default 15)
  --poll-seconds               between checks while waiting (default 2)`;

class StepFailed extends Error {}

const started = performance.now();
const elapsed = (since: number) => `${Math.round(performance.now() - since)} ms`.padStart(9);

/** Runs one step, prints its outcome and timing; a failure ends the run with the step's name. */
async function step<T>(name: string, run: () => Promise<T>, describe: (result: T) => string = () => ''): Promise<T> {
  const since = performance.now();
  try {
    const result = await run();
    console.log(`✔ ${name.padEnd(32)} ${elapsed(since)}  ${describe(result)}`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.log(`✘ ${name.padEnd(32)} ${elapsed(since)}  ${message}`);
    throw new StepFailed(`${name}: ${message}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value; on timeout the error says what was awaited and the last state seen. */
async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  pollMs: number,
  check: () => Promise<T | undefined>,
  state: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s (${state()})`);
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
}

/** Where the run looks for the event: a bucket (on S3 or an S3-compatible endpoint) or a local folder. */
type LakeLocation = { bucket: string; prefix: string; endpoint?: string } | { dir: string };

function parseOptions() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-secret-to': { type: 'string' },
      lake: { type: 'string' },
      's3-endpoint': { type: 'string' },
      'lake-dir': { type: 'string' },
      'webhook-timeout-seconds': { type: 'string', default: '60' },
      'lake-timeout-seconds': { type: 'string', default: '300' },
      'endpoint-cache-seconds': { type: 'string', default: '6' },
      'request-timeout-seconds': { type: 'string', default: '15' },
      'poll-seconds': { type: 'string', default: '2' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const seconds = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < 0) usage(`--${name} must be a number of seconds`);
    return value * 1000;
  };
  if (!values.url || !values.key || !values['webhook-url']) usage('--url, --key and --webhook-url are required');
  if (Boolean(values.lake) === Boolean(values['lake-dir'])) {
    usage('give one of --lake s3://bucket[/prefix] or --lake-dir <path>');
  }
  const [, bucket, bucketPrefix] = (values.lake ? /^s3:\/\/([^/]+)\/?(.*)$/.exec(values.lake) : null) ?? [];
  if (values.lake && !bucket) usage('--lake must look like s3://bucket or s3://bucket/prefix');
  const lakeDir = values['lake-dir'];
  const lake: LakeLocation = bucket
    ? { bucket, prefix: bucketPrefix ? bucketPrefix.replace(/\/?$/, '/') : '', endpoint: values['s3-endpoint'] }
    : { dir: lakeDir ?? usage('give one of --lake s3://bucket[/prefix] or --lake-dir <path>') };
  return {
    apiUrl: values.url.replace(/\/+$/, ''),
    apiKey: values.key,
    webhookUrl: values['webhook-url'],
    secretTo: values['webhook-secret-to'],
    lake,
    webhookTimeoutMs: seconds('webhook-timeout-seconds'),
    lakeTimeoutMs: seconds('lake-timeout-seconds'),
    endpointCacheMs: seconds('endpoint-cache-seconds'),
    requestTimeoutMs: seconds('request-timeout-seconds'),
    pollMs: seconds('poll-seconds'),
  };
}

function usage(problem: string): never {
  console.error(`smoke: ${problem}\n\n${USAGE}`);
  process.exit(2);
}

type Options = ReturnType<typeof parseOptions>;

/** An answer's JSON, its text when it is not JSON, or null when it is empty. */
function parseAnswer(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One API call; a status other than `expected` throws with the problem's code and detail. */
function apiClient(options: Options) {
  return async function call(
    method: string,
    path: string,
    expected: number[],
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${options.apiUrl}${path}`, {
      method,
      headers: {
        'x-api-key': options.apiKey,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
    const text = await response.text();
    const parsed = parseAnswer(text);
    if (!expected.includes(response.status)) {
      const problem = parsed as { code?: string; detail?: string; message?: string } | null;
      const why =
        problem && typeof problem === 'object'
          ? (problem.code ?? problem.message ?? '') + (problem.detail ? ` (${problem.detail})` : '')
          : text.slice(0, 200);
      throw new Error(`${method} ${path} answered ${response.status}${why ? ` ${why}` : ''}`);
    }
    return { status: response.status, body: parsed };
  };
}

interface Attempt {
  attempt: number;
  ok: boolean;
  status?: number;
  error?: string;
  durationMs: number;
}
interface Message {
  status: string;
  attempts: Attempt[];
  payload: Record<string, unknown>;
}

/** The lake objects under one partition that hold the event, or undefined; each object is read once. */
function lakeSearch(options: Options) {
  const { lake } = options;
  const checked = new Set<string>();
  const holds = (gzipped: Uint8Array, eventId: string) =>
    gunzipSync(gzipped)
      .toString('utf8')
      .split('\n')
      .some((line) => line.trim() !== '' && (JSON.parse(line) as { id?: string }).id === eventId);
  if ('dir' in lake) {
    const findInDir = (prefix: string, eventId: string): string | undefined => {
      const dir = join(lake.dir, prefix);
      const files = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(rawEvents.fileExtension)) : [];
      for (const file of files.filter((name) => !checked.has(name))) {
        checked.add(file);
        if (holds(readFileSync(join(dir, file)), eventId)) return join(dir, file);
      }
      return undefined;
    };
    return {
      checked,
      where: (prefix: string) => join(lake.dir, prefix),
      find: (prefix: string, eventId: string) => Promise.resolve(findInDir(prefix, eventId)),
      close: () => undefined,
    };
  }
  const s3 = new S3Client(lake.endpoint ? { endpoint: lake.endpoint, forcePathStyle: true } : {});
  return {
    checked,
    where: (prefix: string) => `s3://${lake.bucket}/${lake.prefix}${prefix}`,
    async find(prefix: string, eventId: string): Promise<string | undefined> {
      const { bucket } = lake;
      let token: string | undefined;
      do {
        const list = { Bucket: bucket, Prefix: lake.prefix + prefix, ContinuationToken: token };
        const page = await s3.send(new ListObjectsV2Command(list));
        for (const { Key } of page.Contents ?? []) {
          if (!Key || checked.has(Key)) continue;
          checked.add(Key);
          const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
          if (!object.Body) throw new Error(`GetObject s3://${bucket}/${Key} returned no body`);
          if (holds(await object.Body.transformToByteArray(), eventId)) return `s3://${bucket}/${Key}`;
        }
        token = page.NextContinuationToken;
      } while (token);
      return undefined;
    },
    close: () => {
      s3.destroy();
    },
  };
}

async function smoke(options: Options): Promise<void> {
  const api = apiClient(options);
  const runId = `smoke-${new Date().toISOString().replace(/[-:.TZ]/g, '')}-${randomBytes(3).toString('hex')}`;
  console.log(`smoke ${runId} against ${options.apiUrl}`);
  const lake = lakeSearch(options);
  let endpointId: string | undefined;
  let passed = false;
  try {
    const endpoint = await step(
      'register webhook endpoint',
      async () => {
        const description = `Temporary endpoint of smoke run ${runId}`;
        const request = { url: options.webhookUrl, description, eventTypes: ['points.earned'] };
        type Created = { subscriptionId: string; secret: string };
        const body = (await api('POST', '/v1/webhooks/endpoints', [201], request)).body as Created;
        endpointId = body.subscriptionId;
        if (options.secretTo) {
          const handed = await fetch(options.secretTo, {
            method: 'PUT',
            body: JSON.stringify({ secrets: [body.secret] }),
            signal: AbortSignal.timeout(options.requestTimeoutMs),
          });
          if (!handed.ok) throw new Error(`PUT ${options.secretTo} (the receiver's secret) answered ${handed.status}`);
        }
        return { ...body, registeredAt: Date.now() };
      },
      (created) => created.subscriptionId,
    );

    const member = await step(
      'enrol member',
      async () => {
        const request = { externalId: runId };
        const created = await api('POST', '/v1/members', [201], request, `${runId}-enrol`);
        return created.body as { memberId: string };
      },
      (created) => `${created.memberId} (externalId ${runId})`,
    );

    const cacheLeftMs = endpoint.registeredAt + options.endpointCacheMs - Date.now();
    if (cacheLeftMs > 0) {
      await step(
        'let routers see the endpoint',
        () => sleep(cacheLeftMs),
        () => `waited out the endpoint cache`,
      );
    }

    const earned = await step(
      'earn points',
      async () =>
        (
          await api(
            'POST',
            `/v1/members/${member.memberId}/points/earn`,
            [201],
            { amountPoints: 10, reason: `smoke ${runId}`, source: 'smoke' },
            `${runId}-earn`,
          )
        ).body as { eventId: string; balance: { availablePoints: number } },
      (result) => `event ${result.eventId}, available ${result.balance.availablePoints}`,
    );

    const messagePath = `/v1/webhooks/endpoints/${endpoint.subscriptionId}/messages/${earned.eventId}`;
    let lastMessage: Message | undefined;
    const delivered = await step(
      'webhook delivered (2xx)',
      () =>
        waitUntil(
          'attempt answered 2xx',
          options.webhookTimeoutMs,
          options.pollMs,
          async () => {
            const answer = await api('GET', messagePath, [200, 404]);
            if (answer.status === 404) return undefined;
            const body = answer.body as Message;
            lastMessage = body;
            if (body.status === 'dead') throw new Error(`the message is dead: ${describeAttempts(body.attempts)}`);
            const is2xx = (a: Attempt) => a.ok && a.status !== undefined && a.status >= 200 && a.status < 300;
            return body.attempts.some(is2xx) ? body : undefined;
          },
          () => (lastMessage ? `${lastMessage.status}: ${describeAttempts(lastMessage.attempts)}` : 'no message yet'),
        ),
      (message) => describeAttempts(message.attempts),
    );

    await step(
      'find event in lake',
      () => {
        // The lake partitions by the event's own fields (tenant, type, occurredAt), as Firehose does.
        const values = partitionValues(delivered.payload, rawEvents.partitionKeys);
        if (!values) throw new Error('the delivered payload lacks the partition fields');
        const prefix = objectPrefix(rawEvents.prefixTemplate, values);
        return waitUntil(
          `event ${earned.eventId} under ${lake.where(prefix)}`,
          options.lakeTimeoutMs,
          options.pollMs,
          () => lake.find(prefix, earned.eventId),
          () => `${lake.checked.size} object(s) read`,
        );
      },
      (found) => found,
    );
    passed = true;
  } finally {
    lake.close();
    if (endpointId) {
      const path = `/v1/webhooks/endpoints/${endpointId}`;
      const id = endpointId;
      const remove = async () => {
        await api('DELETE', path, [204, 404]);
      };
      const cleanup = step('delete webhook endpoint', remove, () => id);
      // After an earlier failure, that failure is the one to report; the cleanup's line still shows.
      await (passed ? cleanup : cleanup.catch(() => undefined));
    }
  }
}

function describeAttempts(attempts: Attempt[]): string {
  if (attempts.length === 0) return 'no attempt yet';
  return attempts.map((a) => `#${a.attempt} ${a.status ?? a.error ?? 'no answer'} in ${a.durationMs} ms`).join(', ');
}

const options = parseOptions();
try {
  await smoke(options);
  console.log(`smoke: passed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  process.exit(0);
} catch (error) {
  const message = error instanceof StepFailed ? `failed at ${error.message}` : `failed: ${(error as Error).message}`;
  console.error(`smoke: ${message}`);
  process.exit(1);
}
