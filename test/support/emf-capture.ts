import { jest } from '@jest/globals';

/** One EMF document as Powertools Metrics writes it to stdout (one JSON line per published batch). */
export interface EmfDocument {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

/**
 * Captures what is written to stdout while `act` runs and returns the EMF documents among it (lines that are JSON
 * with an `_aws` key). Everything else written meanwhile is dropped.
 */
export async function captureEmf(act: () => Promise<unknown>): Promise<EmfDocument[]> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
}

/** The values each metric got in the captured documents, and its unit: `{ PointsEarned: { unit, values } }`. */
export function figures(documents: EmfDocument[]): Record<string, { unit: string; values: number[] }> {
  const found: Record<string, { unit: string; values: number[] }> = {};
  for (const document of documents)
    for (const directive of document._aws.CloudWatchMetrics)
      for (const { Name, Unit } of directive.Metrics) {
        const value = document[Name] as number | number[];
        const entry = (found[Name] ??= { unit: Unit, values: [] });
        entry.values.push(...[value].flat());
      }
  return found;
}
