import { closeServer, listenOnLoopback, readBody } from './http-server';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { header } from '../functions/api/http';
import { Problem, type ProblemCode } from '../functions/shared/problem';
import { api, routes, type RouteSpec } from '../lib/topology';
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

/** The answers API Gateway gives itself; the stack renders them as these problem bodies. */
function problem(res: ServerResponse, code: ProblemCode) {
  const body = new Problem(code).toBody();
  res.writeHead(body.status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify(body));
}

/** What API Gateway answers when the function fails (not a gateway response the stack customizes). */
function functionFailed(res: ServerResponse) {
  res.writeHead(502, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ message: 'Internal server error' }));
}

/**
 * API Gateway (REST) stand-in: matches the topology's routes, runs the REQUEST authorizer with
 * its identity source and result cache, and invokes the real API handler with a proxy event.
 */
export class LocalApiGateway {
  private server?: Server;
  private readonly authCache = new Map<string, { until: number; result: APIGatewayAuthorizerResult }>();
  url = '';

  constructor(private readonly lambda: LocalLambda) {}

  async start(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        console.error('local api gateway error', error);
        if (!res.headersSent) functionFailed(res);
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
    // An undeclared path or method is API Gateway's "missing authentication token", which the stack maps to 404.
    const route = compiled.find((r) => r.method === method && r.pattern.test(url.pathname));
    if (!route) return problem(res, 'not_found');

    const raw = await readBody(req, MAX_BODY_BYTES);
    if (!raw) return problem(res, 'payload_too_large');
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      const value = req.rawHeaders[i + 1]!;
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const match = route.pattern.exec(url.pathname)!;
    const pathParameters = Object.fromEntries(route.params.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
    const query = [...url.searchParams.keys()].length ? Object.fromEntries(url.searchParams) : null;
    const requestId = randomUUID();
    const methodArn = `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}/${STAGE}/${method}${url.pathname}`;

    let authorizer: Record<string, unknown> | null = null;
    if (route.auth === 'apiKey') {
      const apiKey = header(headers, api.keyHeader);
      // API Gateway answers 401 itself when the identity source is missing.
      if (!apiKey) return problem(res, 'unauthorized');
      const result = await this.authorize(apiKey, { type: 'REQUEST', methodArn, resource: route.path, path: url.pathname, httpMethod: method, headers, multiValueHeaders, pathParameters, queryStringParameters: query, multiValueQueryStringParameters: null, stageVariables: null, requestContext: {} as never });
      if (!result) return problem(res, 'unauthorized');
      const allowed = result.policyDocument.Statement.some((s) => 'Effect' in s && s.Effect === 'Allow');
      if (!allowed) return problem(res, 'forbidden');
      authorizer = { ...(result.context ?? {}), principalId: result.principalId };
    }

    const body = raw.toString('utf8');
    const event: APIGatewayProxyEvent = {
      resource: route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: query,
      multiValueQueryStringParameters: query ? Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)])) : null,
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
        identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? null } as never,
      },
    };
    let result: APIGatewayProxyResult;
    try {
      result = await this.lambda.invoke<APIGatewayProxyResult>(route.function, event);
    } catch (error) {
      console.error(`handler ${route.function} failed`, error);
      return functionFailed(res);
    }
    res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>), 'x-amzn-requestid': requestId });
    res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  }

  private async authorize(apiKey: string, event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult | null> {
    const cached = this.authCache.get(apiKey);
    if (cached && cached.until > Date.now()) return cached.result;
    try {
      const result = await this.lambda.invoke<APIGatewayAuthorizerResult>(api.authorizerFunction, event);
      this.authCache.set(apiKey, { until: Date.now() + api.authorizerCacheTtlSeconds * 1000, result });
      return result;
    } catch {
      return null;
    }
  }
}
