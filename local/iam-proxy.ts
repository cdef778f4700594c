import { randomUUID } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { firstDenied, type Permission, type ResolvedStatement } from '../functions/declaration/iam-policy';
import type { FunctionId } from '../functions/declaration/topology';
import { closeServer, listenOnLoopback, readBody } from './http-server';
import { accessKeyIdOf, requiredPermissions, s3Permissions, type AuthorizedService } from './iam-requests';
import { functionOfAccessKey, principalArn } from './roles';

export interface AuthorizingProxyOptions {
  service: AuthorizedService;
  /** The stand-in that serves allowed requests (DynamoDB Local, fauxqs, the Firehose stand-in). */
  upstream: string;
  policies: Record<FunctionId, ResolvedStatement[]>;
  /** Told of every denial (the twin logs them: a denied call is a missing grant). */
  onDenied?: (functionId: FunctionId, permission: Permission) => void;
  /** Sees every forwarded call and its answer (the cost bench meters the functions' calls here). */
  tap?: ProxyTap;
}

/** A forwarded call: who made it (a function's role, or none) and what it asked. */
export interface TappedCall {
  functionId?: FunctionId;
  /** The JSON protocols' operation (`X-Amz-Target`, e.g. `DynamoDB_20120810.PutItem`); empty for S3 and query calls. */
  target: string;
  body: Buffer;
}

/**
 * A meter on a proxy. It may forward a changed body (asking DynamoDB for the capacity a call consumed), so it is
 * for measuring runs only: the twin itself never sets one.
 */
export interface ProxyTap {
  request?(call: TappedCall): Buffer;
  answered(call: TappedCall, statusCode: number, answer: Buffer): void;
}

const MAX_VERDICTS = 10_000;

/**
 * IAM in front of a local stand-in: a request signed with a function role's credentials is
 * checked against that role's declared policy (action and resource, as AWS authorizes it) and
 * answered with the service's own AccessDenied error when a permission is missing; everything
 * else is forwarded unchanged. Requests signed with other credentials (the twin's own plumbing,
 * tests, operators) are forwarded unchecked.
 */
export class AuthorizingProxy {
  private server?: Server;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly upstream: URL;
  /**
   * Each role's verdicts on the permissions it has asked for (policies do not change while the twin runs and the
   * proxy checks no condition keys): matching a policy's wildcards is then done once per role, action and
   * resource, not on every call.
   */
  private readonly verdicts = new Map<string, boolean>();
  endpoint = '';

  constructor(private readonly options: AuthorizingProxyOptions) {
    this.upstream = new URL(options.upstream);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`local IAM proxy: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    this.server.keepAliveTimeout = 5_000;
    this.endpoint = await listenOnLoopback(this.server, 0);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
    this.agent.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const functionId = functionOfAccessKey(accessKeyIdOf(req.headers.authorization));
    if (functionId) {
      const denied = this.firstDenied(functionId, this.permissions(req, body));
      if (denied) {
        this.options.onDenied?.(functionId, denied);
        this.deny(req, res, functionId, denied);
        return;
      }
    }
    const tap = this.options.tap;
    if (!tap) {
      await this.forward(req, res, body);
      return;
    }
    const call: TappedCall = { functionId, target: String(req.headers['x-amz-target'] ?? ''), body };
    const sent = tap.request?.(call) ?? body;
    await this.forward(req, res, sent, (statusCode, answer) => {
      tap.answered(call, statusCode, answer);
    });
  }

  private firstDenied(functionId: FunctionId, needed: Permission[]): Permission | undefined {
    return needed.find((permission) => {
      const key = `${functionId}\n${permission.action}\n${permission.resource}`;
      let allowed = this.verdicts.get(key);
      if (allowed === undefined) {
        allowed = firstDenied(this.options.policies[functionId], [permission]) === undefined;
        // Resources without bound (S3 object keys) must not grow the map for ever.
        if (this.verdicts.size >= MAX_VERDICTS) this.verdicts.clear();
        this.verdicts.set(key, allowed);
      }
      return !allowed;
    });
  }

  private permissions(req: IncomingMessage, body: Buffer): Permission[] {
    if (this.options.service === 's3') return s3Permissions(req.method ?? 'GET', req.url ?? '/');
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      // The SQS query protocol (older clients): the operation is the Action parameter.
      const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      return requiredPermissions(this.options.service, String(params.Action), params);
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    let parsed: Record<string, unknown> = {};
    try {
      parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      // Unparseable: the service answers it with its own error; no resource to authorize beyond *.
    }
    return requiredPermissions(this.options.service, target, parsed);
  }

  /** The error each service returns, so the SDK raises what it raises on AWS (name, status, message). */
  private deny(req: IncomingMessage, res: ServerResponse, functionId: FunctionId, permission: Permission): void {
    const { service } = this.options;
    // SQS names the action in lower case in its message; DynamoDB and Firehose keep its case.
    const action = service === 'sqs' ? permission.action.toLowerCase() : permission.action;
    const message =
      `User: ${principalArn(functionId)} is not authorized to perform: ${action} on resource: ${permission.resource} ` +
      `because no identity-based policy allows the ${action} action`;
    const requestId = randomUUID();
    if (service === 's3') {
      res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>' +
          `<Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`,
      );
      return;
    }
    if (service === 'sqs' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      res.writeHead(403, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(
        '<?xml version="1.0"?><ErrorResponse ' +
          'xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type>' +
          `<Code>AccessDenied</Code><Message>${message}</Message><Detail/></Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    }
    const shapes = {
      dynamodb: {
        status: 400,
        type: 'com.amazon.coral.service#AccessDeniedException',
        contentType: 'application/x-amz-json-1.0',
      },
      // SQS's JSON protocol keeps the query protocol's error code in a header; the SDK names the error from it.
      sqs: {
        status: 403,
        type: 'com.amazon.coral.service#AccessDeniedException',
        contentType: 'application/x-amz-json-1.0',
      },
      firehose: { status: 400, type: 'AccessDeniedException', contentType: 'application/x-amz-json-1.1' },
    } as const;
    const shape = shapes[service];
    res.writeHead(shape.status, {
      'content-type': shape.contentType,
      'x-amzn-requestid': requestId,
      ...(service === 'sqs' ? { 'x-amzn-query-error': 'AccessDenied;Sender' } : {}),
    });
    res.end(JSON.stringify({ __type: shape.type, message }));
  }

  /** Pipes the answer through; with `answered`, collects it first and hands it over too. */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    answered?: (statusCode: number, answer: Buffer) => void,
  ): Promise<void> {
    // A tap may have changed the body (the stand-ins check no payload signature).
    const headers = { ...req.headers };
    if (headers['content-length'] !== undefined) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const upstream = request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.on('error', reject);
          if (!answered) {
            answer.pipe(res);
            answer.on('end', resolve);
            return;
          }
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const whole = Buffer.concat(chunks);
            answered(answer.statusCode ?? 502, whole);
            res.end(whole);
            resolve();
          });
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}
