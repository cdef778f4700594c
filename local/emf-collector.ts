/** One metric of an EMF line: its name and every value the line carries for it. */
export interface EmfMetric {
  namespace: string;
  name: string;
  unit?: string;
  values: number[];
}

interface EmfDirective {
  Namespace?: unknown;
  Metrics?: unknown;
}

/** A metric definition of a directive (`{ Name, Unit }`), or undefined when malformed. */
function definition(entry: unknown): { name: string; unit?: string } | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { Name: name, Unit: unit } = entry as { Name?: unknown; Unit?: unknown };
  if (typeof name !== 'string') return undefined;
  return typeof unit === 'string' ? { name, unit } : { name };
}

/** The value of a metric key (a number or an array of numbers, as EMF allows); non-numbers are left out. */
function valuesOf(value: unknown): number[] {
  const candidates = Array.isArray(value) ? (value as unknown[]) : [value];
  return candidates.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/**
 * The metrics of one line of CloudWatch embedded metric format (the JSON object Powertools Metrics prints:
 * `_aws.CloudWatchMetrics[].Metrics[].Name`, each value a top-level key, a number or an array of them), or an
 * empty list for any other line (a log line, a fragment of pretty-printed JSON).
 *
 * @example parseEmfLine('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],
 *   "Metrics":[{"Name":"Hits","Unit":"Count"}]}]},"Hits":[1,2]}') // [{ namespace: 'N', name: 'Hits', ... }]
 */
export function parseEmfLine(line: string): EmfMetric[] {
  const text = line.trim();
  if (!text.startsWith('{') || !text.includes('"_aws"')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const record = parsed as Record<string, unknown>;
  const aws = record._aws as { CloudWatchMetrics?: unknown } | undefined;
  if (typeof aws !== 'object' || !Array.isArray(aws.CloudWatchMetrics)) return [];
  return (aws.CloudWatchMetrics as EmfDirective[]).flatMap((directive) => {
    if (typeof directive !== 'object' || !Array.isArray(directive.Metrics)) return [];
    const namespace = typeof directive.Namespace === 'string' ? directive.Namespace : '';
    return (directive.Metrics as unknown[]).flatMap((entry) => {
      const metric = definition(entry);
      if (!metric) return [];
      const values = valuesOf(record[metric.name]);
      return values.length > 0 ? [{ namespace, ...metric, values }] : [];
    });
  });
}

/** A line longer than this is no EMF line of ours: its start is dropped rather than buffered without end. */
const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Splits a stream's chunks into lines for the collector while the output itself goes on unchanged: a tee on a
 * function container's stdout, where Lambda's log agent would read the EMF lines.
 */
export class EmfLineCollector {
  private partial = '';

  constructor(private readonly onMetric: (metric: EmfMetric) => void) {}

  /** Takes the next chunk of output; complete lines are parsed now, the rest waits for its end. */
  write(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE_CHARS) this.partial = '';
    for (const line of lines) for (const metric of parseEmfLine(line)) this.onMetric(metric);
  }
}
