import { closeServer, listenOnLoopback, readBody } from './http-server';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { verify } from '../functions/domain/webhooks/signature';
import { required } from '../functions/shared/required';

export interface ReceivedWebhook {
  receivedAt: string;
  endpoint: string;
  webhookId: string;
  /** The delivery's `x-correlation-id` header: the request or job it traces back to. */
  correlationId?: string;
  /** The `webhook-signature` header as sent (`v1,…` and `v1a,…` entries), so a test can look for it elsewhere. */
  signature?: string;
  verified: boolean;
  reason?: string;
  /**
   * What the receiver answered: 204 when verified, 401 when not, the status it was told to fail with, or 0 when it
   * held the delivery unanswered (a simulated timeout).
   */
  answered: number;
  body: Record<string, unknown> | null;
}

/**
 * How an endpoint misbehaves, for trying outages: answer `status` to the next `times` deliveries (all, when absent).
 */
export interface Failure {
  status: number;
  times?: number;
  retryAfter?: string;
}

/**
 * An endpoint that misbehaves at random, for fault runs: each delivery fails with probability `errorRate` (answered
 * `status`, 500 when absent) or times out with probability `timeoutRate` (held `hangMs`, then dropped unanswered).
 */
export interface Flakiness {
  errorRate: number;
  timeoutRate: number;
  hangMs: number;
  status?: number;
}

/** How many received webhooks GET /received lists (the oldest are dropped). */
const MAX_KEPT = 10_000;

/**
 * A tenant's webhook endpoint, as a sample: verifies each delivery's Standard Webhooks signature
 * with the endpoint's secret, answers 204 when valid (401 when not) and lists what arrived at
 * GET /received. Endpoint paths are /hooks/<name>; PUT /hooks/<name>/failure simulates an outage, PUT
 * /hooks/<name>/flaky random errors and timeouts. A chat tool's
 * incoming webhook is /chat/<name>: it takes unsigned messages and answers 200 `ok`, as Slack does.
 */
export class WebhookReceiver {
  private server?: Server;
  private readonly secrets = new Map<string, string[]>();
  private readonly failures = new Map<string, Failure>();
  private readonly flaky = new Map<string, Flakiness>();
  readonly received: ReceivedWebhook[] = [];
  private readonly listeners = new Set<(hook: ReceivedWebhook) => void>();
  url = '';

  constructor(private readonly options: { log?: boolean } = {}) {}

  /** Sets the secrets a named endpoint verifies with (several during rotation). */
  setSecrets(endpoint: string, secrets: string[]) {
    this.secrets.set(endpoint, secrets);
  }

  /** Makes a named endpoint fail (null: healthy again). */
  setFailure(endpoint: string, failure: Failure | null) {
    if (failure) this.failures.set(endpoint, { ...failure });
    else this.failures.delete(endpoint);
  }

  /** Makes a named endpoint fail at random (null: reliable again). */
  setFlaky(endpoint: string, flakiness: Flakiness | null) {
    if (flakiness) this.flaky.set(endpoint, { ...flakiness });
    else this.flaky.delete(endpoint);
  }

  endpointUrl(endpoint: string) {
    return `${this.url}/hooks/${endpoint}`;
  }

  onReceive(listener: (hook: ReceivedWebhook) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(port: number): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.url = await listenOnLoopback(this.server, port);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method === 'GET' && url.pathname === '/received') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ count: this.received.length, items: this.received }, null, 2));
    }
    const secretsRoute = /^\/hooks\/([\w-]+)\/secrets$/.exec(url.pathname);
    if (req.method === 'PUT' && secretsRoute) {
      // Configures an endpoint, as a tenant pastes the secret shown once at registration.
      const { secrets } = JSON.parse((await readBody(req)).toString('utf8')) as { secrets: string[] };
      this.setSecrets(required(secretsRoute[1], 'endpoint name'), secrets);
      res.writeHead(204).end();
      return;
    }
    const failureRoute = /^\/hooks\/([\w-]+)\/failure$/.exec(url.pathname);
    if (failureRoute && (req.method === 'PUT' || req.method === 'DELETE')) {
      // Simulates an outage: PUT {"status":500,"times":10} fails the next 10 deliveries; DELETE heals.
      this.setFailure(
        required(failureRoute[1], 'endpoint name'),
        req.method === 'PUT' ? (JSON.parse((await readBody(req)).toString('utf8')) as Failure) : null,
      );
      res.writeHead(204).end();
      return;
    }
    const flakyRoute = /^\/hooks\/([\w-]+)\/flaky$/.exec(url.pathname);
    if (flakyRoute && (req.method === 'PUT' || req.method === 'DELETE')) {
      // PUT {"errorRate":0.05,"timeoutRate":0.05,"hangMs":2000} fails 5 % and times out 5 % at random; DELETE heals.
      this.setFlaky(
        required(flakyRoute[1], 'endpoint name'),
        req.method === 'PUT' ? (JSON.parse((await readBody(req)).toString('utf8')) as Flakiness) : null,
      );
      res.writeHead(204).end();
      return;
    }
    const match = /^\/(hooks|chat)\/([\w-]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      res.writeHead(404).end();
      return;
    }
    // /chat/<name> stands in for a Slack or Teams incoming webhook: unsigned messages, answered 200 "ok".
    const chat = match[1] === 'chat';
    const endpoint = required(match[2], 'endpoint name');
    const body = (await readBody(req)).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
    );
    const secrets = this.secrets.get(endpoint) ?? [];
    const results = secrets.map((secret) => verify({ secret, headers, body }));
    const verified = results.some((r) => r.ok);
    const reason = verified
      ? undefined
      : secrets.length === 0
        ? 'unknown_endpoint'
        : (results[0] as { reason: string }).reason;
    const parsed = parseBody(body);
    const flaky = this.flaky.get(endpoint);
    const draw = flaky ? Math.random() : 1;
    const timesOut = flaky !== undefined && draw >= flaky.errorRate && draw < flaky.errorRate + flaky.timeoutRate;
    const failure =
      this.failures.get(endpoint) ?? (flaky && draw < flaky.errorRate ? { status: flaky.status ?? 500 } : undefined);
    if (failure?.times !== undefined && --failure.times <= 0) this.failures.delete(endpoint);
    // A delivery that times out gets no answer at all (0): the sender gives up before the receiver would answer.
    const answered = timesOut ? 0 : failure ? failure.status : chat ? 200 : verified ? 204 : 401;
    const hook: ReceivedWebhook = {
      receivedAt: new Date().toISOString(),
      endpoint,
      webhookId: headers['webhook-id'] ?? '',
      ...(headers['x-correlation-id'] ? { correlationId: headers['x-correlation-id'] } : {}),
      ...(headers['webhook-signature'] ? { signature: headers['webhook-signature'] } : {}),
      verified,
      ...(reason ? { reason } : {}),
      answered,
      body: parsed,
    };
    this.received.push(hook);
    if (this.received.length > MAX_KEPT) this.received.shift();
    for (const listener of this.listeners) listener(hook);
    if (this.options.log) {
      const outcome = timesOut
        ? '✘ held unanswered (simulated timeout)'
        : failure
          ? `✘ answered ${answered} (simulated outage)`
          : verified
            ? '✔ verified'
            : `✘ ${reason}`;
      console.log(
        `webhook ${outcome} ${hook.webhookId} ${logValue(parsed?.type)} member=${logValue(parsed?.memberId)} ` +
          `seq=${logValue(parsed?.seq)}`,
      );
    }
    if (timesOut) {
      setTimeout(() => req.socket.destroy(), flaky.hangMs).unref();
      return;
    }
    res
      .writeHead(answered, failure?.retryAfter ? { 'retry-after': failure.retryAfter } : {})
      .end(failure ? `simulated outage: ${answered}` : chat ? 'ok' : undefined);
  }
}

/** The delivery's JSON body (deliveries send an object), or null when it is not JSON. */
function parseBody(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text) as Record<string, unknown> | null;
  } catch {
    return null;
  }
}

/** A body field for the log line: text and numbers as they are, anything else as JSON, absent as nothing. */
function logValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}
