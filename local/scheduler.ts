import { randomUUID } from 'node:crypto';
import type { ScheduleTrigger } from '../functions/declaration/topology';

/** What Lambda sends an asynchronous invocation's on-failure destination (the record's documented shape). */
export interface AsyncFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetriesExhausted';
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: 200; executedVersion: '$LATEST'; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string };
}

/**
 * EventBridge Scheduler's stand-in with Lambda's asynchronous invocation behind it: invokes a
 * function at its declared rate (or a shorter interval the twin is given, so demos and tests need
 * not wait minutes), retries a failed run as `asyncInvoke` says and then sends Lambda's failure
 * record to the on-failure queue. Runs never overlap here; on AWS they may, so jobs hold a lease.
 */
export class LocalSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly options: {
      mapping: string;
      trigger: ScheduleTrigger;
      invoke: (event: unknown) => Promise<unknown>;
      onFailure: (record: AsyncFailureRecord) => Promise<void>;
      functionArn: string;
      intervalMs?: number;
      log: (message: string, detail?: Record<string, unknown>) => void;
    },
  ) {}

  start(): void {
    const intervalMs = this.options.intervalMs ?? this.options.trigger.everyMinutes * 60_000;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.run().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  /** Runs the job once now (and waits for it), as a scheduled invocation would. */
  async run(): Promise<void> {
    const event = { source: 'local.scheduler', mapping: this.options.mapping, time: new Date().toISOString() };
    const invocations = 1 + this.options.trigger.asyncInvoke.retryAttempts;
    let lastError: Error | undefined;
    for (let invocation = 1; invocation <= invocations && !this.stopped; invocation++) {
      try {
        const result = await this.options.invoke(event);
        this.options.log(`${this.options.mapping} ran`, { result });
        return;
      } catch (error) {
        lastError = error as Error;
        this.options.log(`${this.options.mapping} failed`, { invocation, error: lastError.message });
      }
    }
    if (!lastError) return;
    await this.options
      .onFailure({
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          requestId: randomUUID(),
          functionArn: `${this.options.functionArn}:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: invocations,
        },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: lastError.name, errorMessage: lastError.message },
      })
      .catch((error: unknown) => {
        this.options.log(`${this.options.mapping}: on-failure destination failed`, { error: String(error) });
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
