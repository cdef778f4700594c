import {
  dynamoItemBytes,
  firehoseBilledBytes,
  lambdaGbSeconds,
  priceUsage,
  readUnits,
  sqsBilledRequests,
  totalUsd,
  writeUnits,
  type PriceList,
  type Usage,
} from '../../bench/cost-model';
import { awsListPrices } from '../../bench/prices/aws-list-prices-us-east-1-2026-12';

describe('cost model: billing rules', () => {
  it('rounds each Firehose record up to the next 5 KB, never down to nothing', () => {
    // Act
    const billed = [0, 1, 5120, 5121, 12 * 1024].map(firehoseBilledBytes);

    // Assess
    expect(billed).toEqual([5120, 5120, 5120, 10240, 15360]);
  });

  it('bills an SQS call per started 64 KB chunk of its payload, an empty call as one', () => {
    // Act
    const billed = [0, 100, 65_536, 65_537, 256 * 1024].map(sqsBilledRequests);

    // Assess
    expect(billed).toEqual([1, 1, 1, 2, 4]);
  });

  it('counts write units per started KB, doubled inside a transaction', () => {
    // Act
    const standard = [1, 1024, 1025, 3000].map((bytes) => writeUnits(bytes, { transactional: false }));
    const transactional = [1, 1024, 1025, 3000].map((bytes) => writeUnits(bytes, { transactional: true }));

    // Assess
    expect(standard).toEqual([1, 1, 2, 3]);
    expect(transactional).toEqual([2, 2, 4, 6]);
  });

  it('counts read units per started 4 KB: half when eventual, double when transactional', () => {
    // Act
    const reads = [
      readUnits(100, 'eventual'),
      readUnits(4096, 'strong'),
      readUnits(8 * 1024, 'strong'),
      readUnits(8 * 1024, 'eventual'),
      readUnits(8 * 1024, 'transactional'),
    ];

    // Assess
    expect(reads).toEqual([0.5, 1, 2, 1, 4]);
  });

  it('bills Lambda per millisecond started at the configured memory', () => {
    // Act
    const gbSeconds = [lambdaGbSeconds(1000, 1024), lambdaGbSeconds(10.2, 512), lambdaGbSeconds(0.1, 1024)];

    // Assess
    expect(gbSeconds).toEqual([1, 0.0055, 0.001]);
  });

  it('sizes DynamoDB items by their names and values as DynamoDB documents it', () => {
    // Prepare
    const item = {
      pk: { S: 'T#é' }, // 2 + 4 (é is two bytes)
      n: { N: '-12.50' }, // 1 + (significant digits 125: 2 bytes + 1)
      ok: { BOOL: true }, // 2 + 1
      tags: { L: [{ S: 'ab' }, { N: '7' }] }, // 4 + 3 + (1 + 2) + (1 + 2)
      m: { M: { k: { S: 'v' } } }, // 1 + 3 + (1 + 1 + 1)
    };

    // Act
    const bytes = dynamoItemBytes(item);

    // Assess
    expect(bytes).toBe(6 + 4 + 3 + 13 + 7);
  });
});

describe('cost model: pricing', () => {
  it('prices usage by its unit and totals it by path', () => {
    // Prepare
    const prices: PriceList = { ...awsListPrices, prices: { ...awsListPrices.prices } };
    prices.prices.apiGatewayRestRequest = { usd: 3.5 / 1e6, source: 'test' };
    prices.prices.sqsFifoRequest = { usd: 0.5 / 1e6, source: 'test' };
    const usage: Usage[] = [
      { component: 'gateway', path: 'earn', unit: 'apiGatewayRestRequest', quantity: 1e6 },
      { component: 'queue', path: 'delivery', unit: 'sqsFifoRequest', quantity: 2e6 },
    ];

    // Act
    const lines = priceUsage(usage, prices);

    // Assess
    expect(lines.map((line) => line.usd)).toEqual([3.5, 1]);
    expect(totalUsd(lines)).toBe(4.5);
    expect(totalUsd(lines, ['delivery'])).toBe(1);
  });

  it('names a source page and a positive price for every unit of the dated list', () => {
    // Act
    const entries = Object.entries(awsListPrices.prices);

    // Assess
    expect(awsListPrices.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const [, price] of entries) {
      expect(price.usd).toBeGreaterThan(0);
      expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
    }
  });
});
