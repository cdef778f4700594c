import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isAllowed, type ResolvedStatement } from '../functions/declaration/iam-policy';
import { functions, type FunctionId } from '../functions/declaration/topology';
import { ACCOUNT_ID, REGION } from './aws-local';
import { closeServer, listenOnLoopback, readBody } from './http-server';
import { accessKeyIdOf } from './iam-requests';
import { functionOfAccessKey, localFunctionArn, principalArn } from './roles';

/** One event-source mapping as the twin keeps it (and Lambda's API shows it). */
export interface LocalMapping {
  uuid: string;
  functionId: FunctionId;
  eventSourceArn: string;
  batchSize: number;
  functionResponseTypes: string[];
}

/** Starts and stops the poller of a mapping (an `SqsEventSource` on the twin). */
export interface MappingPollers {
  start(mapping: LocalMapping): Promise<void>;
  stop(uuid: string): Promise<void>;
}

export interface LocalLambdaApiOptions {
  policies: Record<FunctionId, ResolvedStatement[]>;
  pollers: MappingPollers;
  /** Where mappings persist, so a restarted twin polls them again (none: in memory). */
  stateFile?: string;
  onDenied?: (functionId: FunctionId, action: string, resource: string) => void;
}

const PATH = '/2015-03-31/event-source-mappings';

class LambdaError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The part of Lambda's API the admin function calls (Create/Get/List/DeleteEventSourceMapping for SQS), on the
 * twin: a mapping starts a poller at once and stops it when deleted; mappings persist under the twin's data dir and
 * are polled again after a restart. Calls signed with a function role's credentials are checked against its declared
 * policy (with `lambda:FunctionArn`), as IAM would; Lambda's own check that the target function's role may receive
 * from the queue is made too.
 */
export class LocalLambdaApi {
  private server?: Server;
  private readonly mappings = new Map<string, LocalMapping>();
  endpoint = '';

  constructor(private readonly options: LocalLambdaApiOptions) {}

  /** Listens (functions are given the endpoint before they start); `resume` polls the saved mappings later. */
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        const failure =
          error instanceof LambdaError ? error : new LambdaError(500, 'ServiceException', (error as Error).message);
        if (!res.headersSent)
          res.writeHead(failure.status, { 'content-type': 'application/json', 'x-amzn-errortype': failure.type });
        res.end(JSON.stringify({ Type: 'User', Message: failure.message, message: failure.message }));
      });
    });
    this.endpoint = await listenOnLoopback(this.server, 0);
  }

  /** Polls every mapping kept from the last run (once the functions are loaded). */
  async resume(): Promise<void> {
    for (const mapping of this.saved()) {
      this.mappings.set(mapping.uuid, mapping);
      await this.options.pollers.start(mapping);
    }
  }

  /** Stops the pollers (their mappings stay saved for the next start). */
  async stopPollers(): Promise<void> {
    await Promise.all([...this.mappings.keys()].map((uuid) => this.options.pollers.stop(uuid)));
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lambda.local');
    const body = await readBody(req);
    const caller = functionOfAccessKey(accessKeyIdOf(req.headers.authorization));
    const path = url.pathname.replace(/\/+$/, '');
    if (!path.startsWith(PATH)) throw new LambdaError(404, 'ResourceNotFoundException', `No route ${path}`);
    const uuid = decodeURIComponent(path.slice(PATH.length).replace(/^\//, ''));
    const answer = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method === 'POST' && !uuid) {
      const input = JSON.parse(body.toString('utf8') || '{}') as {
        FunctionName?: string;
        EventSourceArn?: string;
        BatchSize?: number;
        FunctionResponseTypes?: string[];
      };
      const functionId = this.functionOf(input.FunctionName ?? '');
      const functionArn = localFunctionArn(functionId);
      this.authorize(caller, 'lambda:CreateEventSourceMapping', '*', { 'lambda:FunctionArn': functionArn });
      const eventSourceArn = input.EventSourceArn ?? '';
      // Lambda refuses a mapping whose function's role may not receive from the queue.
      if (!isAllowed(this.options.policies[functionId], 'sqs:ReceiveMessage', eventSourceArn))
        throw new LambdaError(
          400,
          'InvalidParameterValueException',
          `The function execution role does not have permissions to call ReceiveMessage on SQS (${eventSourceArn})`,
        );
      const mapping: LocalMapping = {
        uuid: randomUUID(),
        functionId,
        eventSourceArn,
        batchSize: input.BatchSize ?? 10,
        functionResponseTypes: input.FunctionResponseTypes ?? [],
      };
      await this.options.pollers.start(mapping);
      this.mappings.set(mapping.uuid, mapping);
      this.save();
      answer(202, this.view(mapping, 'Creating'));
      return;
    }
    if (req.method === 'GET' && !uuid) {
      this.authorize(caller, 'lambda:ListEventSourceMappings', '*');
      const source = url.searchParams.get('EventSourceArn');
      const name = url.searchParams.get('FunctionName');
      const functionId = name ? this.functionOf(name) : undefined;
      const found = [...this.mappings.values()].filter(
        (m) => (!source || m.eventSourceArn === source) && (!functionId || m.functionId === functionId),
      );
      answer(200, { EventSourceMappings: found.map((m) => this.view(m, 'Enabled')) });
      return;
    }
    const mapping = this.mappings.get(uuid);
    const mappingArn = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:event-source-mapping:${uuid}`;
    if (req.method === 'GET') {
      this.authorize(caller, 'lambda:GetEventSourceMapping', mappingArn);
      if (!mapping) throw new LambdaError(404, 'ResourceNotFoundException', `No mapping ${uuid}`);
      answer(200, this.view(mapping, 'Enabled'));
      return;
    }
    if (req.method === 'DELETE') {
      const context = mapping ? { 'lambda:FunctionArn': localFunctionArn(mapping.functionId) } : undefined;
      this.authorize(caller, 'lambda:DeleteEventSourceMapping', mappingArn, context);
      if (!mapping) throw new LambdaError(404, 'ResourceNotFoundException', `No mapping ${uuid}`);
      await this.options.pollers.stop(uuid);
      this.mappings.delete(uuid);
      this.save();
      answer(202, this.view(mapping, 'Deleting'));
      return;
    }
    throw new LambdaError(405, 'InvalidRequestContentException', `${req.method ?? ''} ${path} is not supported`);
  }

  /** A role's call must be allowed by its declared policy; other callers (the twin, tests) are not checked. */
  private authorize(
    caller: FunctionId | undefined,
    action: string,
    resource: string,
    context?: Record<string, string>,
  ): void {
    if (!caller) return;
    if (isAllowed(this.options.policies[caller], action, resource, context ?? {})) return;
    this.options.onDenied?.(caller, action, resource);
    throw new LambdaError(
      403,
      'AccessDeniedException',
      `User: ${principalArn(caller)} is not authorized to perform: ${action} on resource: ${resource} ` +
        `because no identity-based policy allows the ${action} action`,
    );
  }

  /** The function a FunctionName names: its ARN (an alias or version after it too), or its name. */
  private functionOf(name: string): FunctionId {
    const unqualified = name.replace(/^(arn:aws:lambda:[^:]+:[^:]+:function:[^:]+):[^:]+$/, '$1');
    const found = (Object.keys(functions) as FunctionId[]).find(
      (id) => localFunctionArn(id) === unqualified || localFunctionArn(id).endsWith(`:function:${unqualified}`),
    );
    if (!found) throw new LambdaError(404, 'ResourceNotFoundException', `Function not found: ${name}`);
    return found;
  }

  private view(mapping: LocalMapping, state: string) {
    return {
      UUID: mapping.uuid,
      EventSourceArn: mapping.eventSourceArn,
      FunctionArn: localFunctionArn(mapping.functionId),
      BatchSize: mapping.batchSize,
      FunctionResponseTypes: mapping.functionResponseTypes,
      State: state,
      StateTransitionReason: 'USER_INITIATED',
      LastModified: Math.floor(Date.now() / 1000),
    };
  }

  private saved(): LocalMapping[] {
    const file = this.options.stateFile;
    if (!file || !existsSync(file)) return [];
    return JSON.parse(readFileSync(file, 'utf8')) as LocalMapping[];
  }

  private save(): void {
    const file = this.options.stateFile;
    if (!file) return;
    writeFileSync(`${file}.tmp`, JSON.stringify([...this.mappings.values()], null, 2));
    renameSync(`${file}.tmp`, file);
  }
}
