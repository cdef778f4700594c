import type { Profiler } from 'node:inspector';

/**
 * The handler CPU bench's pieces that are logic, not timing: the table's answers, the earn event the real handler
 * accepts, the bare function's calls (the same commands with the same inputs as the handler's), and how a profile's
 * self time is attributed. No figure is asserted.
 */

Object.assign(process.env, {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE12',
  AWS_SECRET_ACCESS_KEY: 'secret-for-a-stubbed-wire',
  TABLE_NAME: 'ledger',
  DELIVERY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/webhook-delivery.fifo',
  WEBHOOK_SECRETS_KEY: `local:${Buffer.alloc(32, 1).toString('base64')}`,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
const bench = await import('../../bench/handler-cpu');
const { handler } = await import('../../functions/handlers/api');

const members = ['mem_a', 'mem_b'];
const items = bench.tableItems(members, new Date('2026-12-01T10:00:00Z'));
const getItem = (pk: string, sk: string) =>
  JSON.stringify({ TableName: 'ledger', Key: { pk: { S: pk }, sk: { S: sk } } });

describe('handler CPU bench', () => {
  it("answers a read with the table's item and every write with success", () => {
    // Act
    const tenant = bench.dynamoAnswer(
      items,
      'DynamoDB_20120810.GetItem',
      getItem(`TENANT#${bench.TENANT_ID}`, 'TENANT'),
    );
    const missing = bench.dynamoAnswer(items, 'DynamoDB_20120810.GetItem', getItem('TENANT#other', 'TENANT'));
    const write = bench.dynamoAnswer(items, 'DynamoDB_20120810.TransactWriteItems', '{}');

    // Assess
    expect(JSON.parse(tenant)).toMatchObject({ Item: { status: { S: 'active' }, tenantId: { S: bench.TENANT_ID } } });
    expect([missing, write]).toEqual(['{}', '{}']);
    expect(() => bench.dynamoAnswer(items, 'DynamoDB_20120810.Scan', '{}')).toThrow('no stub answer');
  });

  it('has a history in each balance it serves', () => {
    // Act
    const balance = bench.memberBalance('mem_a', 8, new Date('2026-12-01T10:00:00Z'));

    // Assess
    expect(balance).toMatchObject({ memberId: 'mem_a', availablePoints: 200 });
  });

  it("sends the bare function the handler's own calls: same commands, same inputs", async () => {
    // Prepare
    const wire = bench.stubWire((target, body) => bench.dynamoAnswer(items, target, body));
    try {
      const event = bench.earnEvent('mem_a', 'key-1', 'req-1');

      // Act
      let statusCode = 0;
      const handlerCalls = await bench.recordCalls(async () => {
        ({ statusCode } = await handler(event, bench.lambdaContext('req-1')));
      });
      const bareCalls = await bench.recordCalls(() => bench.bareCalls(bench.bareClient(), handlerCalls));

      // Assess
      expect(statusCode).toBe(201);
      // A new container: the tenant's status (a replica), the programme (cached after) and the balance are read, then
      // the commit.
      const calls = handlerCalls.map((call) => `${call.command} ${(call.input as { Key?: { sk: string } }).Key?.sk}`);
      expect(calls.sort()).toEqual([
        'GetCommand BALANCE',
        'GetCommand PROGRAMME',
        'GetCommand STATUS',
        'TransactWriteCommand undefined',
      ]);
      expect(bareCalls).toEqual(handlerCalls);
      expect(wire.targets.get('DynamoDB_20120810.TransactWriteItems')).toBe(2);
    } finally {
      wire.restore();
    }
  });

  it('attributes self time to areas by module, leaving out idle time and the profiler', () => {
    // Prepare
    const frame = (id: number, functionName: string, url: string) => ({
      id,
      callFrame: { functionName, url, scriptId: String(id), lineNumber: 0, columnNumber: 0 },
    });
    const profile = {
      nodes: [
        frame(1, '(idle)', ''),
        frame(2, 'post', 'node:inspector'),
        frame(3, 'parse', ''),
        frame(4, 'safeParse', 'file:///repo/node_modules/zod/v4/mini/parse.js'),
        frame(5, 'route', 'file:///repo/functions/handlers/api.ts'),
        frame(6, 'marshall', 'file:///repo/node_modules/@aws-sdk/util-dynamodb/dist-cjs/index.js'),
      ],
      samples: [1, 2, 3, 4, 5, 6, 3],
      timeDeltas: [500, 900, 10, 20, 30, 40, 5],
      startTime: 0,
      endTime: 2_000,
    } as Profiler.Profile;

    // Act
    const areas = bench.selfTimeByArea(profile);

    // Assess
    expect(areas).toEqual([
      { area: 'SDK marshalling (lib/util-dynamodb)', us: 40 },
      { area: 'API: routing, parsing, responses (api/, handlers/)', us: 30 },
      { area: 'zod validation', us: 20 },
      { area: 'JSON parse/stringify', us: 15 },
    ]);
  });
});
