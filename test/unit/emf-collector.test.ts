import { EmfLineCollector, parseEmfLine, type EmfMetric } from '../../local/emf-collector';

const line = (body: Record<string, unknown>) =>
  JSON.stringify({
    _aws: {
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: 'LoyaltyLedger/local',
          Dimensions: [['service']],
          Metrics: [
            { Name: 'AttemptsDelivered', Unit: 'Count' },
            { Name: 'AttemptDuration', Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    service: 'loyalty-ledger',
    ...body,
  });

describe('EMF lines', () => {
  it('gives each declared metric with its values, single or an array', () => {
    // Act
    const metrics = parseEmfLine(line({ AttemptsDelivered: 2, AttemptDuration: [12, 30.5] }));

    // Assess
    expect(metrics).toEqual([
      { namespace: 'LoyaltyLedger/local', name: 'AttemptsDelivered', unit: 'Count', values: [2] },
      { namespace: 'LoyaltyLedger/local', name: 'AttemptDuration', unit: 'Milliseconds', values: [12, 30.5] },
    ]);
  });

  it('gives nothing for log lines, fragments, malformed directives or values that are not numbers', () => {
    expect(parseEmfLine('{"level":"INFO","message":"Delivered"}')).toEqual([]);
    expect(parseEmfLine('    "_aws": {')).toEqual([]);
    expect(parseEmfLine('{"_aws": {"CloudWatchMetrics": "no"}}')).toEqual([]);
    expect(parseEmfLine('{"_aws": {"CloudWatchMetrics": [{"Metrics": [{"Unit": "Count"}]}]}}')).toEqual([]);
    expect(parseEmfLine(line({ AttemptsDelivered: 'two', AttemptDuration: ['x', null] }))).toEqual([]);
    expect(parseEmfLine('{"_aws": ')).toEqual([]);
  });

  it('are collected from output chunks that split lines anywhere', () => {
    // Prepare
    const seen: EmfMetric[] = [];
    const collector = new EmfLineCollector((metric) => seen.push(metric));
    const output = `starting\n${line({ AttemptsDelivered: 1, AttemptDuration: 5 })}\n{"level":"WARN"}\n`;

    // Act
    for (let i = 0; i < output.length; i += 7) collector.write(Buffer.from(output.slice(i, i + 7)));

    // Assess
    expect(seen.map((m) => [m.name, m.values])).toEqual([
      ['AttemptsDelivered', [1]],
      ['AttemptDuration', [5]],
    ]);
  });
});
