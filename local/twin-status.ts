import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FunctionId, QueueId } from '../functions/declaration/topology';
import { EmfLineCollector } from './emf-collector';
import type { LambdaObserver } from './lambda';
import { MetricsStore } from './metrics-store';
import { StatusPage } from './status-page';
import { StatusSampler } from './status-sampler';
import { metricKey, statusFigures } from './status-figures';

/**
 * The twin's local CloudWatch and its status page: the gateway, the functions' containers (their invocations and
 * the EMF lines they print), the stream pollers and the Firehose stand-in report here; queues and the lake's
 * freshness are sampled; the page at `url` shows the dashboard's panels with these figures.
 */
export class TwinStatus {
  readonly store = new MetricsStore();
  private readonly page = new StatusPage(() => statusFigures(this.store));
  private sampler?: StatusSampler;
  private readonly collectors = new Map<string, EmfLineCollector>();

  get url(): string {
    return this.page.url;
  }

  /** For the gateway: every answered request, by status. */
  readonly apiRequest = (statusCode: number, latencyMs: number): void => {
    this.store.record(metricKey.api('Count'), 1);
    this.store.record(metricKey.api('4XXError'), statusCode >= 400 && statusCode < 500 ? 1 : 0);
    this.store.record(metricKey.api('5XXError'), statusCode >= 500 ? 1 : 0);
    this.store.record(metricKey.api('Latency'), latencyMs);
  };

  /** For the functions' containers. */
  readonly lambda: LambdaObserver = {
    invoked: (id, { durationMs, failed }) => {
      this.store.record(metricKey.function('Invocations', id as FunctionId), 1);
      this.store.record(metricKey.function('Errors', id as FunctionId), failed ? 1 : 0);
      this.store.record(metricKey.function('Duration', id as FunctionId), durationMs);
    },
    output: (id, chunk) => {
      let collector = this.collectors.get(id);
      if (!collector) {
        // Keyed by name alone: the dashboard names platform metrics by name, with the one fixed dimension.
        collector = new EmfLineCollector((metric) => {
          for (const value of metric.values) this.store.record(metricKey.platform(metric.name), value);
        });
        this.collectors.set(id, collector);
      }
      collector.write(chunk);
    },
  };

  /** For a stream's event-source mapping: the iterator age of each batch it hands to its function. */
  iteratorAge(id: FunctionId): (iteratorAgeMs: number) => void {
    return (iteratorAgeMs) => {
      this.store.record(metricKey.function('IteratorAge', id), iteratorAgeMs);
    };
  }

  /** For the Firehose stand-in. */
  readonly lake = {
    incoming: (records: number) => {
      this.store.record(metricKey.lake('IncomingRecords'), records);
    },
    delivered: (records: number) => {
      this.store.record(metricKey.lake('DeliveryToS3.Records'), records);
    },
  };

  /** Serves the page on `port` (0: a free one) and starts sampling the queues and the lake. */
  async start(input: {
    port: number;
    sqs: SQSClient;
    queueUrls: Record<QueueId, string>;
    lakeFreshnessMs: () => number;
    log?: (message: string, detail?: Record<string, unknown>) => void;
  }): Promise<void> {
    await this.page.start(input.port);
    this.sampler = new StatusSampler({ store: this.store, ...input });
    this.sampler.start();
  }

  async stop(): Promise<void> {
    await this.sampler?.stop();
    await this.page.stop();
  }
}
