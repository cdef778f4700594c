import { closeServer, listenOnLoopback, readBody } from './http-server';
import { randomBytes } from 'node:crypto';
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
  /** A callback's headers as received, its `authorization` left out (the token is checked, not kept). */
  headers?: Record<string, string>;
}

/** An OAuth client of the sample token endpoint: its secret, and how long the tokens it gets live. */
export interface OAuthClient {
  secret: string;
  expiresInSeconds: number;
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
 *
 * A CRM or HR system taking callbacks: `POST /oauth/token` issues bearer tokens by the client credentials grant
 * (HTTP Basic or client_id/client_secret in the form) to clients set with PUT /oauth/clients/<clientId>
 * `{"secret","expiresInSeconds"}`, counts them (GET /oauth/tokens) and forgets them when they expire;
 * `POST /callbacks/<name>` answers 200 to a valid unexpired bearer token and 401 otherwise, recording each call.
 */
export class WebhookReceiver {
  private server?: Server;
  private readonly secrets = new Map<string, string[]>();
  private readonly failures = new Map<string, Failure>();
  private readonly flaky = new Map<string, Flakiness>();
  private readonly oauthClients = new Map<string, OAuthClient>();
  private readonly tokens = new Map<string, { clientId: string; expiresAtMs: number }>();
  /** Tokens issued per client id. */
  readonly tokensIssued = new Map<string, number>();
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

  /** Registers (or changes) a client of the token endpoint. */
  setOAuthClient(clientId: string, client: OAuthClient) {
    this.oauthClients.set(clientId, { ...client });
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

  private record(hook: ReceivedWebhook) {
    this.received.push(hook);
    if (this.received.length > MAX_KEPT) this.received.shift();
    for (const listener of this.listeners) listener(hook);
  }

  /** The client credentials grant: a bearer token for a known client, an RFC 6749 §5.2 error otherwise. */
  private async issueToken(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const basic = basicCredentials(req.headers.authorization);
    const id = basic?.id ?? form.get('client_id') ?? '';
    const secret = basic?.secret ?? form.get('client_secret') ?? '';
    const client = this.oauthClients.get(id);
    const answer = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (form.get('grant_type') !== 'client_credentials') {
      answer(400, { error: 'unsupported_grant_type' });
      return;
    }
    if (!client || client.secret !== secret) {
      answer(401, { error: 'invalid_client' });
      return;
    }
    const token = `tok_${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, { clientId: id, expiresAtMs: Date.now() + client.expiresInSeconds * 1000 });
    this.tokensIssued.set(id, (this.tokensIssued.get(id) ?? 0) + 1);
    for (const [known, issued] of this.tokens) if (issued.expiresAtMs < Date.now() - 60_000) this.tokens.delete(known);
    if (this.options.log) console.log(`oauth token issued to ${id} (expires in ${client.expiresInSeconds} s)`);
    answer(200, { access_token: token, token_type: 'Bearer', expires_in: client.expiresInSeconds });
  }

  /** A callback: 200 to a valid, unexpired bearer token (or a simulated outage's status), 401 otherwise. */
  private async receiveCallback(req: IncomingMessage, res: ServerResponse, endpoint: string) {
    const body = (await readBody(req)).toString('utf8');
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const issued = bearer === undefined ? undefined : this.tokens.get(bearer);
    const reason =
      bearer === undefined
        ? 'missing_token'
        : !issued
          ? 'invalid_token'
          : issued.expiresAtMs <= Date.now()
            ? 'expired_token'
            : undefined;
    const failure = this.failures.get(endpoint);
    if (failure?.times !== undefined && --failure.times <= 0) this.failures.delete(endpoint);
    const answered = failure ? failure.status : reason ? 401 : 200;
    const headers = Object.fromEntries(
      Object.entries(req.headers)
        .filter(([name]) => name !== 'authorization')
        .map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]),
    );
    this.record({
      receivedAt: new Date().toISOString(),
      endpoint,
      webhookId: '',
      ...(headers['x-correlation-id'] ? { correlationId: headers['x-correlation-id'] } : {}),
      verified: reason === undefined,
      ...(reason ? { reason } : {}),
      answered,
      body: parseBody(body),
      headers,
    });
    if (this.options.log) console.log(`callback ${endpoint} answered ${answered}${reason ? ` (${reason})` : ''}`);
    res
      .writeHead(answered, {
        'content-type': 'application/json',
        ...(answered === 401 ? { 'www-authenticate': `Bearer error="${reason ?? 'invalid_token'}"` } : {}),
      })
      .end(JSON.stringify(answered === 200 ? { success: true } : { error: reason ?? 'simulated outage' }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method === 'GET' && url.pathname === '/received') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ count: this.received.length, items: this.received }, null, 2));
    }
    if (req.method === 'POST' && url.pathname === '/oauth/token') return this.issueToken(req, res);
    if (req.method === 'GET' && url.pathname === '/oauth/tokens') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ issued: Object.fromEntries(this.tokensIssued) }));
    }
    const clientRoute = /^\/oauth\/clients\/([\w.-]+)$/.exec(url.pathname);
    if (req.method === 'PUT' && clientRoute) {
      const { secret, expiresInSeconds = 3600 } = JSON.parse(
        (await readBody(req)).toString('utf8'),
      ) as Partial<OAuthClient> & { secret: string };
      this.setOAuthClient(required(clientRoute[1], 'client id'), { secret, expiresInSeconds });
      res.writeHead(204).end();
      return;
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
    const callbackRoute = /^\/callbacks\/([\w-]+)$/.exec(url.pathname);
    if (req.method === 'POST' && callbackRoute)
      return this.receiveCallback(req, res, required(callbackRoute[1], 'name'));
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
    this.record(hook);
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

/** The Basic credentials of a request (RFC 6749 §2.3.1: each part form-urlencoded), or undefined. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(required(match[1], 'credentials'), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const decode = (part: string) => decodeURIComponent(part.replaceAll('+', ' '));
  return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
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
