import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ACCOUNT_ID, REGION } from './aws-local';

/** What a function needs to run on the twin: its code, its settings and its own environment. */
export interface LocalFunction {
  /** The topology spec's fields the runtime uses. */
  spec: { id: string; entry: string; handler: string; timeoutSeconds: number; memoryMiB: number };
  /** The whole process.env the function sees (nothing of the twin's own environment leaks in). */
  environment: Record<string, string>;
}

/** Sent to a worker thread once, when it starts. */
export interface WorkerData {
  entry: string;
  handler: string;
  functionName: string;
  functionArn: string;
  memoryMiB: number;
  logGroupName: string;
  /** The twin's clock offset (`twin-clock.ts`): the function's Date follows it. */
  clock?: SharedArrayBuffer;
}

/**
 * Events and results cross to and from a container as JSON text, as Lambda's runtime API carries
 * them: a function sees what JSON keeps of an event (no undefined, no Date, no Buffer), and a result
 * JSON cannot carry fails the invocation. Text also crosses threads cheaper than a cloned object.
 */
export interface InvokeRequest {
  invocation: number;
  requestId: string;
  /** The event as JSON. */
  payload: string;
  /** Epoch ms when the function times out (getRemainingTimeInMillis counts down to it). */
  deadline: number;
}

export type InvokeResult =
  | { kind: 'ready' }
  | { kind: 'failed'; error: SerializedError }
  /** `payload`: the result as JSON (`null` for a function that returned nothing, as Lambda answers). */
  | { kind: 'result'; invocation: number; ok: true; payload: string }
  | { kind: 'result'; invocation: number; ok: false; error: SerializedError };

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

class Container {
  private readonly pending = new Map<number, Pending>();
  private next = 0;

  constructor(readonly worker: Worker) {
    worker.on('message', (message: InvokeResult) => {
      if (message.kind !== 'result') return;
      const waiting = this.pending.get(message.invocation);
      if (!waiting) return;
      this.pending.delete(message.invocation);
      if (message.ok) waiting.resolve(JSON.parse(message.payload));
      else waiting.reject(revive(message.error));
    });
    worker.on('exit', (code) => {
      this.failAll(new Error(`The function's container exited (code ${code})`));
    });
    worker.on('error', (error: unknown) => {
      this.failAll(error instanceof Error ? error : new Error(String(error)));
    });
  }

  invoke(request: Omit<InvokeRequest, 'invocation'>): Promise<unknown> {
    const invocation = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(invocation, { resolve, reject });
      this.worker.postMessage({ ...request, invocation } satisfies InvokeRequest);
    });
  }

  forget(invocation: Promise<unknown>) {
    invocation.catch(() => undefined);
  }

  private failAll(error: Error) {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

function revive(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}

/** Hears what Lambda's own metrics and log agent would: each invocation's outcome and each container's output. */
export interface LambdaObserver {
  invoked(id: string, outcome: { durationMs: number; failed: boolean }): void;
  /** A chunk of a container's stdout (lines may span chunks). */
  output(id: string, chunk: Buffer): void;
}

const CPU_PROF_DIR = process.env.TWIN_CPU_PROF_DIR;
const WORKER_ENTRY = new URL('./function-worker-entry.mjs', import.meta.url);

/**
 * Runs the real handler modules the way Lambda does: each function in its own container (a
 * worker thread: its own module instances, clients and caches, kept across invocations, and its
 * own process.env with only its declared environment and credentials), a Lambda context, and
 * the declared timeout.
 */
export class LocalLambda {
  private readonly containers = new Map<string, Container>();

  constructor(
    private readonly rootDir: string,
    private readonly definitions: Record<string, LocalFunction>,
    private readonly clock?: SharedArrayBuffer,
    private readonly observer?: LambdaObserver,
  ) {}

  /** Starts every function's container and waits until each has loaded its handler (cold start). */
  async load(): Promise<void> {
    await Promise.all(Object.entries(this.definitions).map(([id, definition]) => this.start(id, definition)));
  }

  /** The ARN the twin gives a function (its context, Lambda's failure records). */
  functionArn(id: string): string {
    const definition = this.definitions[id];
    if (!definition) throw new Error(`Function ${id} is not defined`);
    return `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:local-${definition.spec.id}`;
  }

  private async start(id: string, { spec, environment }: LocalFunction): Promise<void> {
    const functionName = `local-${spec.id}`;
    const worker = new Worker(WORKER_ENTRY, {
      env: environment,
      // TWIN_CPU_PROF_DIR profiles each container (a .cpuprofile per function, written when the twin stops).
      execArgv: CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [],
      // Read here rather than piped on by Node: the output goes on to the twin's stdout and, like Lambda's log
      // agent reading EMF lines, to the observer.
      stdout: true,
      workerData: {
        entry: resolve(this.rootDir, spec.entry),
        handler: spec.handler,
        functionName,
        functionArn: this.functionArn(id),
        memoryMiB: spec.memoryMiB,
        logGroupName: `/local/${spec.id}`,
        ...(this.clock ? { clock: this.clock } : {}),
      } satisfies WorkerData,
    });
    worker.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      this.observer?.output(id, chunk);
    });
    // Registered before waiting, so a stop during a slow start still finds and ends it.
    this.containers.set(id, new Container(worker));
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: InvokeResult) => {
        if (message.kind === 'ready') done();
        if (message.kind === 'failed') done(revive(message.error));
      };
      const onExit = (code: number) => {
        done(new Error(`${spec.id} exited (code ${code}) while loading`));
      };
      const done = (error?: Error) => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        worker.off('error', done);
        if (error) reject(error);
        else resolve();
      };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
      worker.on('error', done);
    });
  }

  async invoke<T>(id: string, event: unknown): Promise<T> {
    const container = this.containers.get(id);
    const definition = this.definitions[id];
    if (!container || !definition) throw new Error(`Function ${id} is not loaded`);
    const timeoutMs = definition.spec.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const invocation = container.invoke({ requestId: randomUUID(), payload: JSON.stringify(event), deadline });
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    let failed = true;
    try {
      const result = (await Promise.race([
        invocation,
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`Task timed out after ${definition.spec.timeoutSeconds} seconds`));
          }, timeoutMs);
        }),
      ])) as T;
      failed = false;
      return result;
    } finally {
      this.observer?.invoked(id, { durationMs: performance.now() - started, failed });
      clearTimeout(timer);
      // A timed-out invocation may still settle later: nobody waits for it any more.
      container.forget(invocation);
    }
  }

  /** Ends every container; invocations still running fail. */
  async stop(): Promise<void> {
    await Promise.all([...this.containers.values()].map((container) => container.worker.terminate()));
    this.containers.clear();
  }
}
