import type { ScheduleTrigger } from '../lib/topology';

/**
 * EventBridge Scheduler's stand-in: invokes a function at its declared rate (or a shorter
 * interval the twin is given, so demos and tests need not wait minutes). Runs never overlap here;
 * on AWS they may, which the jobs tolerate.
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
    try {
      const result = await this.options.invoke(event);
      this.options.log(`${this.options.mapping} ran`, { result });
    } catch (error) {
      this.options.log(`${this.options.mapping} failed; the next run retries`, { error: (error as Error).message });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
