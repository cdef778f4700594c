import type { DashboardSection } from '../../functions/declaration/dashboard';
import { MetricsStore } from '../../local/metrics-store';
import { metricKey, statusFigures } from '../../local/status-figures';

const sections: DashboardSection[] = [
  {
    title: 'Test',
    panels: [
      {
        title: 'Queues',
        width: 12,
        left: [
          { source: 'queue', metric: 'ApproximateNumberOfMessagesVisible', queues: 'dead-letter', stat: 'Maximum' },
          { source: 'queue', metric: 'ApproximateAgeOfOldestMessage', queues: ['webhookDelivery'], stat: 'Maximum' },
        ],
      },
      {
        title: 'Functions',
        width: 12,
        periodSeconds: 300,
        left: [
          { source: 'function', metric: 'IteratorAge', functions: 'stream-consumers', stat: 'Maximum' },
          { source: 'function', metric: 'Throttles', functions: ['api'], stat: 'Sum' },
        ],
        right: [{ source: 'platform', metric: 'AttemptDuration', stat: 'p50', label: 'Attempt p50' }],
      },
    ],
  },
];

describe('the status page figures', () => {
  it('draw one line per selected queue or function, and say what the twin cannot measure', () => {
    // Prepare
    const store = new MetricsStore({ now: () => 1_000_000 });
    store.record(metricKey.queue('ApproximateNumberOfMessagesVisible', 'webhookDeliveryDlq'), 3);
    store.record(metricKey.function('IteratorAge', 'lakeRouter'), 1_500);
    store.record(metricKey.platform('AttemptDuration'), 40);

    // Act
    const [queues, fns] = statusFigures(store, sections).sections[0]!.panels;

    // Assess
    expect(queues!.series.map((s) => s.id)).toEqual([
      'queue:ApproximateNumberOfMessagesVisible:Maximum:webhookDeliveryDlq',
      'queue:ApproximateNumberOfMessagesVisible:Maximum:backfillDlq',
      'queue:ApproximateNumberOfMessagesVisible:Maximum:batchCommandsDlq',
      'queue:ApproximateNumberOfMessagesVisible:Maximum:importStepsDlq',
      'queue:ApproximateNumberOfMessagesVisible:Maximum:streamFailures',
      'queue:ApproximateNumberOfMessagesVisible:Maximum:scheduledJobFailures',
      'queue:ApproximateAgeOfOldestMessage:Maximum',
    ]);
    expect(queues!.series[0]).toMatchObject({ measured: true, value: 3, label: 'webhook-delivery-dlq.fifo' });
    expect(queues!.series[1]).toMatchObject({ measured: true, value: null });
    expect(queues!.series.at(-1)).toMatchObject({
      measured: false,
      reason: expect.stringContaining('not measured locally'),
    });
    expect(fns!.periodSeconds).toBe(300);
    expect(fns!.series.map((s) => [s.label, s.axis])).toEqual([
      ['webhookRouter', 'left'],
      ['lakeRouter', 'left'],
      ['api', 'left'],
      ['Attempt p50', 'right'],
    ]);
    expect(fns!.series[1]).toMatchObject({ value: 1_500, unit: 'ms' });
    expect(fns!.series[2]).toMatchObject({ measured: true, value: 0, note: expect.stringContaining('throttled') });
    expect(fns!.series[3]).toMatchObject({ value: 40, unit: 'ms' });
  });
});
