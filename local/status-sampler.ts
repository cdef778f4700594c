import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueId } from '../functions/declaration/topology';
import type { MetricsStore } from './metrics-store';
import { metricKey } from './status-figures';

export interface StatusSamplerOptions {
  store: MetricsStore;
  /** The twin's own client of the SQS emulator (not a function's role). */
  sqs: SQSClient;
  queueUrls: Record<QueueId, string>;
  /** The Firehose stand-in's freshness: the age of its oldest undelivered record, 0 when it holds none. */
  lakeFreshnessMs: () => number;
  intervalMs?: number;
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

/**
 * Samples what CloudWatch reads from a service rather than from a request: each queue's depth (visible and in
 * flight) and the lake's freshness, every two seconds, as gauges in the metrics store.
 */
export class StatusSampler {
  private timer?: NodeJS.Timeout;
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly options: StatusSamplerOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample());
    }, this.options.intervalMs ?? 2_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** One sample of every gauge. */
  async sample(): Promise<void> {
    const { store, sqs, queueUrls } = this.options;
    store.record(metricKey.lake('DeliveryToS3.DataFreshness'), this.options.lakeFreshnessMs() / 1000);
    await Promise.all(
      (Object.entries(queueUrls) as [QueueId, string][]).map(async ([queue, url]) => {
        try {
          const { Attributes = {} } = await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: url,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          const visible = Number(Attributes.ApproximateNumberOfMessages ?? 0);
          const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
          store.record(metricKey.queue('ApproximateNumberOfMessagesVisible', queue), visible);
          store.record(metricKey.queue('ApproximateNumberOfMessagesNotVisible', queue), inFlight);
        } catch (error) {
          this.options.log?.('queue sample failed', { queue, error: (error as Error).message });
        }
      }),
    );
  }
}
