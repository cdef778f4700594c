import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { functions, type FunctionId } from '../lib/topology';
import { ACCOUNT_ID, REGION } from './aws-local';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Runs the real handler modules the way Lambda does: one module instance per function (its
 * clients and caches live across invocations), a Lambda context, and the declared timeout.
 */
export class LocalLambda {
  private readonly handlers = new Map<FunctionId, Handler>();

  constructor(private readonly rootDir: string) {}

  async load(): Promise<void> {
    for (const [id, spec] of Object.entries(functions) as [FunctionId, (typeof functions)[FunctionId]][]) {
      const mod = (await import(resolve(this.rootDir, spec.entry))) as Record<string, Handler>;
      const handler = mod[spec.handler];
      if (typeof handler !== 'function') throw new Error(`${spec.entry} does not export ${spec.handler}`);
      this.handlers.set(id, handler);
    }
  }

  /** The ARN the twin gives a function (contexts, failure records). */
  functionArn(id: FunctionId): string {
    return `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:local-${functions[id].id}`;
  }

  async invoke<T>(id: FunctionId, event: unknown): Promise<T> {
    const handler = this.handlers.get(id);
    if (!handler) throw new Error(`Function ${id} is not loaded`);
    const spec = functions[id];
    const timeoutMs = spec.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const requestId = randomUUID();
    const context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: `local-${spec.id}`,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.functionArn(id),
      memoryLimitInMB: String(spec.memoryMiB),
      awsRequestId: requestId,
      logGroupName: `/local/${spec.id}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    } as Context;
    let timer: NodeJS.Timeout | undefined;
    try {
      return (await Promise.race([
        handler(event, context),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Task timed out after ${spec.timeoutSeconds} seconds`)), timeoutMs);
        }),
      ])) as T;
    } finally {
      clearTimeout(timer);
    }
  }
}
