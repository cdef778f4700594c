import { closeServer, listenOnLoopback, readBody } from './http-server';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { gatewayProblem, type GatewayResponseType } from '../functions/declaration/gateway-problems';
import { api, routes, usageKeyRequired, type RouteSpec } from '../functions/declaration/topology';
import { header } from '../functions/api/http';
import { throttleOfContext } from '../functions/api/usage-identity';
import { TokenBuckets } from '../functions/domain/token-bucket';
import { ACCOUNT_ID, REGION } from './aws-local';
import type { LocalLambda } from './lambda';

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const STAGE = 'local';
const API_ID = 'local';

interface CompiledRoute extends RouteSpec {
  pattern: RegExp;
  params: string[];
}

const compiled: CompiledRoute[] = routes.map((route) => {
  const params: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { ...route, pattern: new RegExp(`^${source}$`), params };
});

/** The declared route for a method and path, with its path parameters decoded; undefined when none matches. */
function matchRoute(method: string, pathname: string) {
  for (const route of compiled) {
    const match = route.method === method ? route.pattern.exec(pathname) : null;
    if (!match) continue;
    const values = match.slice(1);
    const pathParameters = Object.fromEntries(
      route.params.map((name, i) => [name, decodeURIComponent(values[i] ?? '')]),
    );
    return { route, pathParameters };
  }
  return undefined;
}

/**
 * An answer API Gateway gives itself: the stack's gateway response of that type, byte for byte
 * (`functions/declaration/gateway-problems.ts`). The DEFAULT_* types keep API Gateway's status, which here is 400
 * for a request it cannot parse and 502 for a function that failed.
 */
function gatewayAnswer(res: ServerResponse, type: GatewayResponseType) {
  const answer = gatewayProblem(type);
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/** The path's segments decoded as API Gateway decodes them, or null when an escape is malformed. */
function decodedPath(pathname: string): string | null {
  try {
    // A bad escape (`%zz`, `%e0%a4`) or one that decodes to invalid UTF-8 makes the request unparsable.
    return pathname.split('/').map(decodeURIComponent).join('/');
  } catch {
    return null;
  }
}

/**
 * API Gateway (REST) stand-in: matches the topology's routes, runs the REQUEST authorizer for every request (its
 * result cache is off, as deployed: the authorizer caches verified credentials itself), and invokes the real API
 * handler with a proxy event.
 */
export class LocalApiGateway {
  private server?: Server;
  /** One token bucket per usage identifier, as a usage plan throttles each of its API keys. */
  private readonly tenantBuckets = new TokenBuckets();
  url = '';

  /**
   * `tenantRateLimits: false` turns the per-tenant throttle off (test twins that flood one tenant on purpose);
   * `onRequest` hears of every answered request, as API Gateway's Count, 4XXError, 5XXError and Latency count them.
   */
  constructor(
    private readonly lambda: Pick<LocalLambda, 'invoke'>,
    private readonly options: {
      tenantRateLimits: boolean;
      onRequest?: (statusCode: number, latencyMs: number) => void;
    } = { tenantRateLimits: true },
  ) {}

  async start(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      const started = performance.now();
      res.once('finish', () => {
        this.options.onRequest?.(res.statusCode, performance.now() - started);
      });
      this.handle(req, res).catch((error: unknown) => {
        console.error('local api gateway error', error);
        if (!res.headersSent) gatewayAnswer(res, 'DEFAULT_5XX');
      });
    });
    this.server.keepAliveTimeout = 5_000;
    this.url = await listenOnLoopback(this.server, port);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    // API Gateway answers a request it cannot parse itself, before routing, authorizer or function.
    if (decodedPath(url.pathname) === null) {
      gatewayAnswer(res, 'DEFAULT_4XX');
      return;
    }
    // An undeclared path or method is API Gateway's "missing authentication token", which the stack maps to 404.
    const matched = matchRoute(method, url.pathname);
    if (!matched) {
      gatewayAnswer(res, 'MISSING_AUTHENTICATION_TOKEN');
      return;
    }
    const { route, pathParameters } = matched;

    const raw = await readBody(req, MAX_BODY_BYTES);
    if (!raw) {
      gatewayAnswer(res, 'REQUEST_TOO_LARGE');
      return;
    }
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      // Node lists raw headers flat, each name followed by its value.
      const [name, value] = req.rawHeaders.slice(i, i + 2);
      if (name === undefined || value === undefined) continue;
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const query = [...url.searchParams.keys()].length ? Object.fromEntries(url.searchParams) : null;
    const requestId = randomUUID();
    const methodArn = `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}/${STAGE}/${method}${url.pathname}`;

    let authorizer: Record<string, unknown> | null = null;
    if (route.auth === 'apiKey') {
      // The authorizer takes an API key or an OAuth access token (`Authorization: Bearer`); with neither there is
      // nothing to authorize and API Gateway's authorizer answers 401.
      const apiKey = header(headers, api.keyHeader);
      const authorization = header(headers, 'authorization');
      if (!apiKey && !authorization) {
        gatewayAnswer(res, 'UNAUTHORIZED');
        return;
      }
      const result = await this.authorize({
        type: 'REQUEST',
        methodArn,
        resource: route.path,
        path: url.pathname,
        httpMethod: method,
        headers,
        multiValueHeaders,
        pathParameters,
        queryStringParameters: query,
        multiValueQueryStringParameters: null,
        stageVariables: null,
        // API Gateway gives the authorizer the request's id too: its log lines share the request's correlation id.
        requestContext: { accountId: ACCOUNT_ID, apiId: API_ID, stage: STAGE, requestId, httpMethod: method } as never,
      });
      if (result === 'unauthorized') {
        gatewayAnswer(res, 'UNAUTHORIZED');
        return;
      }
      if (result === 'failed') {
        gatewayAnswer(res, 'AUTHORIZER_CONFIGURATION_ERROR');
        return;
      }
      const allowed = result.policyDocument.Statement.some((s) => 'Effect' in s && s.Effect === 'Allow');
      if (!allowed) {
        gatewayAnswer(res, 'ACCESS_DENIED');
        return;
      }
      authorizer = { ...(result.context ?? {}), principalId: result.principalId };
      if (usageKeyRequired(route) && this.throttled(result)) {
        gatewayAnswer(res, 'THROTTLED');
        return;
      }
    }

    const body = raw.toString('utf8');
    const event: APIGatewayProxyEvent = {
      resource: route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: query,
      multiValueQueryStringParameters: query
        ? Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)]))
        : null,
      pathParameters: route.params.length ? pathParameters : null,
      stageVariables: null,
      body: body.length ? body : null,
      isBase64Encoded: false,
      requestContext: {
        accountId: ACCOUNT_ID,
        apiId: API_ID,
        authorizer,
        protocol: `HTTP/${req.httpVersion}`,
        httpMethod: method,
        path: `/${STAGE}${url.pathname}`,
        stage: STAGE,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: route.path,
        resourcePath: route.path,
        identity: {
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? null,
        } as never,
      },
    };
    let result: APIGatewayProxyResult;
    try {
      result = await this.lambda.invoke<APIGatewayProxyResult>(route.function, event);
    } catch (error) {
      console.error(`handler ${route.function} failed`, error);
      gatewayAnswer(res, 'DEFAULT_5XX');
      return;
    }
    res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>), 'x-amzn-requestid': requestId });
    res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  }

  /**
   * The usage plan's throttle, as API Gateway applies it after the authorizer: a token bucket per usage identifier
   * key with the tenant's rate and burst from the authorizer's context. A tenant whose limits were never applied
   * has no key yet; deployed it would be refused (403), here its bucket is keyed by its tenant id instead, so that
   * tenants made by a test or a seed are throttled as well.
   */
  private throttled(result: APIGatewayAuthorizerResult): boolean {
    const limits = throttleOfContext(result.context ?? undefined);
    if (!this.options.tenantRateLimits || !limits) return false;
    const identifier = result.usageIdentifierKey ?? `tenant:${String(result.context?.tenantId)}`;
    const bucketLimits = { ratePerSecond: limits.requestsPerSecond, burst: limits.burst };
    return !this.tenantBuckets.take(identifier, bucketLimits, Date.now()).allowed;
  }

  /**
   * Runs the authorizer as API Gateway does: a thrown 'Unauthorized' is a 401; any other failure
   * (its table read timing out, say) is an authorizer error.
   */
  private async authorize(
    event: APIGatewayRequestAuthorizerEvent,
  ): Promise<APIGatewayAuthorizerResult | 'unauthorized' | 'failed'> {
    try {
      return await this.lambda.invoke<APIGatewayAuthorizerResult>(api.authorizerFunction, event);
    } catch (error) {
      if ((error as Error).message === 'Unauthorized') return 'unauthorized';
      console.error(`authorizer ${api.authorizerFunction} failed`, error);
      return 'failed';
    }
  }
}
