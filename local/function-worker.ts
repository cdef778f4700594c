import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import type { InvokeRequest, InvokeResult, WorkerData } from './lambda';
import { required } from '../functions/shared/required';
import { installTwinClock } from './twin-clock';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Runs inside one function's worker: imports the handler module once (the container's cold
 * start), then answers invocations with a Lambda context whose deadline the parent set.
 */
const data = workerData as WorkerData;
const port = required(parentPort, 'parentPort (this module runs in a worker thread)');
// Before the handler loads: its Date follows the twin's clock; the deadline stays in real time.
const realNow = data.clock ? installTwinClock(data.clock) : () => Date.now();
// Each invocation runs in its own invoke context, as on Lambda Managed Instances (see function-environment.ts).
const invokeStore = await InvokeStore.getInstanceAsync();

const serialize = (error: unknown) =>
  error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error) };

try {
  const mod = (await import(pathToFileURL(data.entry).href)) as Record<string, Handler>;
  const handler = mod[data.handler];
  if (typeof handler !== 'function') throw new Error(`${data.entry} does not export ${data.handler}`);
  port.on('message', (request: InvokeRequest) => {
    const context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: data.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: data.functionArn,
      memoryLimitInMB: String(data.memoryMiB),
      awsRequestId: request.requestId,
      logGroupName: data.logGroupName,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, request.deadline - realNow()),
      // No done/fail/succeed: the nodejs24.x runtime dropped the callback-style context methods too.
    } as Context;
    const reply = (result: InvokeResult) => {
      try {
        port.postMessage(result);
      } catch (error) {
        // A result that cannot cross threads cannot leave Lambda either (it must be JSON).
        port.postMessage({
          kind: 'result',
          invocation: request.invocation,
          ok: false,
          error: serialize(error),
        } satisfies InvokeResult);
      }
    };
    Promise.resolve()
      .then(() =>
        invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: request.requestId }, () =>
          handler(JSON.parse(request.payload), context),
        ),
      )
      .then(
        (value) => {
          let payload: string;
          try {
            // Nothing returned is `null` to the caller, as Lambda answers it.
            payload = value === undefined ? 'null' : JSON.stringify(value);
          } catch (error) {
            // What JSON cannot carry (a cycle, a BigInt) cannot leave Lambda either: the invocation fails.
            reply({ kind: 'result', invocation: request.invocation, ok: false, error: serialize(error) });
            return;
          }
          reply({ kind: 'result', invocation: request.invocation, ok: true, payload });
        },
        (error: unknown) => {
          reply({ kind: 'result', invocation: request.invocation, ok: false, error: serialize(error) });
        },
      );
  });
  port.postMessage({ kind: 'ready' } satisfies InvokeResult);
} catch (error) {
  port.postMessage({ kind: 'failed', error: serialize(error) } satisfies InvokeResult);
}
