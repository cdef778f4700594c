import { dashboard, type DashboardSection, type Series, type Statistic } from '../functions/declaration/dashboard';
import { platformMetrics } from '../functions/declaration/metrics';
import {
  deadLetterQueueIds,
  functions,
  queues,
  type FunctionId,
  type QueueId,
} from '../functions/declaration/topology';
import type { MetricsStore } from './metrics-store';

/** Where the twin records each figure in its metrics store, named as the dashboard's series name them. */
export const metricKey = {
  platform: (name: string) => `platform/${name}`,
  api: (metric: Extract<Series, { source: 'api' }>['metric']) => `api/${metric}`,
  function: (metric: Extract<Series, { source: 'function' }>['metric'], id: FunctionId) => `function/${metric}/${id}`,
  queue: (metric: Extract<Series, { source: 'queue' }>['metric'], id: QueueId) => `queue/${metric}/${id}`,
  lake: (metric: Extract<Series, { source: 'lake' }>['metric']) => `lake/${metric}`,
};

/** What the twin cannot measure, with the reason the page shows instead of a number. */
const NOT_MEASURED: Partial<Record<string, string>> = {
  ApproximateAgeOfOldestMessage: 'not measured locally: the SQS emulator does not report the age of its messages',
};

/** The functions a stream triggers (their iterator age is the pipeline's lag). */
export const streamConsumers = (Object.keys(functions) as FunctionId[]).filter((id) => {
  const spec = functions[id];
  return 'trigger' in spec && spec.trigger.kind === 'dynamodb-stream';
});

export type FigureSeries = {
  /** Stable within its panel: source, metric, statistic and the function or queue it is about. */
  id: string;
  label: string;
  axis: 'left' | 'right';
  stat: Statistic;
} & (
  | {
      measured: true;
      unit: string;
      /** The statistic over the panel's period ending now; null when the period holds no value. */
      value: number | null;
      /** The same statistic over the period ending at each bucket of the last fifteen minutes, oldest first. */
      points: (number | null)[];
      note?: string;
    }
  | { measured: false; reason: string }
);

export interface FigurePanel {
  title: string;
  /** Out of 24 columns, as on the CloudWatch dashboard. */
  width: number;
  periodSeconds: number;
  series: FigureSeries[];
}

export interface StatusFigures {
  generatedAt: string;
  bucketSeconds: number;
  windowSeconds: number;
  sections: { title: string; panels: FigurePanel[] }[];
}

type Line = { key: string; label: string; unit: string; note?: string; target?: string };

/** The unit the page shows after a figure (counts have none). */
const UNITS: Partial<Record<string, string>> = {
  Latency: 'ms',
  Duration: 'ms',
  IteratorAge: 'ms',
  'DeliveryToS3.DataFreshness': 's',
  Milliseconds: 'ms',
  Seconds: 's',
};
const unitOf = (name: string) => UNITS[name] ?? '';

/** The lines one declared series draws: one per selected function or queue where it selects several. */
function linesOf(series: Series): Line[] | { reason: string } {
  switch (series.source) {
    case 'platform':
      return [
        {
          key: metricKey.platform(series.metric),
          label: series.label,
          unit: unitOf(platformMetrics[series.metric].unit),
        },
      ];
    case 'api':
      return [{ key: metricKey.api(series.metric), label: series.label, unit: unitOf(series.metric) }];
    case 'lake':
      return [{ key: metricKey.lake(series.metric), label: series.label, unit: unitOf(series.metric) }];
    case 'function': {
      const ids =
        series.functions === 'all'
          ? (Object.keys(functions) as FunctionId[])
          : series.functions === 'stream-consumers'
            ? streamConsumers
            : series.functions;
      const note = series.metric === 'Throttles' ? 'the twin runs every invocation: nothing is throttled' : undefined;
      return ids.map((id) => ({
        key: metricKey.function(series.metric, id),
        label: id,
        target: id,
        unit: unitOf(series.metric),
        ...(note ? { note } : {}),
      }));
    }
    case 'queue': {
      const reason = NOT_MEASURED[series.metric];
      if (reason) return { reason };
      const ids =
        series.queues === 'all'
          ? (Object.keys(queues) as QueueId[])
          : series.queues === 'dead-letter'
            ? deadLetterQueueIds()
            : series.queues;
      return ids.map((id) => ({
        key: metricKey.queue(series.metric, id),
        label: series.label && ids.length === 1 ? series.label : queues[id].localName,
        target: id,
        unit: '',
      }));
    }
  }
}

function figuresOf(series: Series, axis: 'left' | 'right', store: MetricsStore, periodMs: number): FigureSeries[] {
  const base = `${series.source}:${series.metric}:${series.stat}`;
  const lines = linesOf(series);
  if (!Array.isArray(lines)) {
    const label = 'label' in series && series.label ? series.label : series.metric;
    return [{ id: base, label, axis, stat: series.stat, measured: false, reason: lines.reason }];
  }
  // Nothing throttles a function on the twin: its throttle count is zero by construction, not a sample.
  const constant = series.source === 'function' && series.metric === 'Throttles';
  return lines.map((line) => {
    const points = store.timeline(line.key, series.stat, periodMs);
    return {
      id: line.target ? `${base}:${line.target}` : base,
      label: line.label,
      axis,
      stat: series.stat,
      measured: true,
      unit: line.unit,
      value: constant ? 0 : store.statistic(line.key, series.stat, periodMs),
      points: constant ? points.map(() => 0) : points,
      ...(line.note ? { note: line.note } : {}),
    };
  });
}

/**
 * The dashboard's sections, panels and series (`functions/declaration/dashboard.ts`) with the twin's figures:
 * each series' statistic over its panel's period, now and over the last fifteen minutes.
 */
export function statusFigures(
  store: MetricsStore,
  sections: readonly DashboardSection[] = dashboard,
  now = new Date(),
): StatusFigures {
  return {
    generatedAt: now.toISOString(),
    bucketSeconds: store.bucketMs / 1000,
    windowSeconds: store.retainMs / 1000,
    sections: sections.map((section) => ({
      title: section.title,
      panels: section.panels.map((panel) => {
        const periodMs = (panel.periodSeconds ?? 60) * 1000;
        return {
          title: panel.title,
          width: panel.width,
          periodSeconds: periodMs / 1000,
          series: [
            ...panel.left.flatMap((s) => figuresOf(s, 'left', store, periodMs)),
            ...(panel.right ?? []).flatMap((s) => figuresOf(s, 'right', store, periodMs)),
          ],
        };
      }),
    })),
  };
}
