import { jest } from '@jest/globals';
import { LocalLambda } from '../../local/lambda';
import { statusFigures, type FigureSeries } from '../../local/status-figures';
import { TwinStatus } from '../../local/twin-status';
import { probeFunction, ROOT } from '../support/probe-functions';
import { waitFor } from '../support/twin-process';

/**
 * The status page's platform figures come from the functions' own output: a function on the twin emits metrics
 * with Powertools Metrics (CloudWatch EMF on stdout, under the twin's environment), the container's output still
 * reaches the twin's stdout, and the collector reads the same lines into the dashboard's series.
 */
const status = new TwinStatus();
const printed: string[] = [];
let lambda: LocalLambda | undefined;

beforeAll(async () => {
  // The container's output goes on to the twin's stdout: captured here instead of printed.
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(chunk.toString());
    return true;
  });
  lambda = new LocalLambda(
    ROOT,
    {
      api: probeFunction('api', 'test/support/emf-probe.ts'),
    },
    undefined,
    status.lambda,
  );
  await lambda.load();
}, 60_000);

afterAll(async () => {
  await lambda?.stop();
  jest.restoreAllMocks();
});

const series = (panel: string, id: string): FigureSeries => {
  const found = statusFigures(status.store)
    .sections.flatMap((s) => s.panels)
    .find((p) => p.title === panel)
    ?.series.find((s) => s.id === id);
  if (!found) throw new Error(`no series ${id} on ${panel}`);
  return found;
};

describe('the status page collector of EMF lines', () => {
  it('reads every value a Powertools EMF line carries, and the line still reaches the output', async () => {
    // Act
    await lambda!.invoke('api', { earnedPoints: [250, 50, 700], attemptMs: [12, 30] });

    // Assess
    const earns = await waitFor(
      () => {
        const figure = series('Earns and points earned per minute', 'platform:EarnTransactions:Sum');
        return Promise.resolve(figure.measured && figure.value ? figure : undefined);
      },
      { timeoutMs: 10_000, what: 'the earn transactions on the status page' },
    );
    expect(earns).toMatchObject({ measured: true, value: 3 });
    expect(series('Earns and points earned per minute', 'platform:PointsEarned:Sum')).toMatchObject({ value: 1000 });
    expect(series('Webhook attempt duration (p50, p99, ms)', 'platform:AttemptDuration:p99')).toMatchObject({
      unit: 'ms',
      value: 30,
    });
    const output = printed.join('');
    const emf = output.split('\n').find((line) => line.includes('"CloudWatchMetrics"'));
    expect(JSON.parse(emf!)).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'LoyaltyLedger/local', Dimensions: [['service']] }] },
      service: 'loyalty-ledger',
      PointsEarned: [250, 50, 700],
    });
    expect(output).toContain('not a metric');
    expect(series('Function duration (p99, ms)', 'function:Duration:p99:api')).toMatchObject({ measured: true });
    expect(series('Function errors', 'function:Errors:Sum:api')).toMatchObject({ value: 0 });
  });
});
