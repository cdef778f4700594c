/**
 * The cost model's arithmetic: metered units → billed units → dollars, by AWS's documented billing rules. Pure: the
 * cost bench (`cost.ts`) meters the twin and hands the units here; the unit test checks the rules.
 */

/** What a price is charged per: one entry of the dated price list (`prices/`). */
export type PriceUnit =
  | 'apiGatewayRestRequest'
  | 'lambdaRequest'
  | 'lambdaArmGbSecond'
  | 'dynamodbWriteRequestUnit'
  | 'dynamodbReadRequestUnit'
  | 'dynamodbStorageGbMonth'
  | 'sqsFifoRequest'
  | 'sqsStandardRequest'
  | 'firehoseIngestedGb'
  | 'firehoseDynamicPartitioningGb'
  | 'firehoseDynamicPartitioningObject'
  | 's3PutRequest'
  | 's3StandardGbMonth'
  | 'cloudwatchLogsIngestedGb'
  | 'xrayTraceRecorded';

export interface Price {
  /** US dollars per one unit (prices quoted "per million" are divided out). */
  usd: number;
  /** The page the price was read from. */
  source: string;
}

export interface PriceList {
  region: string;
  /** The day the prices were read (ISO date). */
  readOn: string;
  prices: Record<PriceUnit, Price>;
}

/** One metered quantity of one component, in the unit it is priced in. */
export interface Usage {
  /** The service and the part of the platform that uses it, e.g. `Lambda GB-s: api`. */
  component: string;
  /** Which flow it belongs to: the earn call itself, its webhook delivery, or the lake. */
  path: 'earn' | 'delivery' | 'lake';
  unit: PriceUnit;
  quantity: number;
  /** How the quantity was obtained, when not plain metering (estimates are labelled so). */
  note?: string;
}

export interface CostLine extends Usage {
  usd: number;
}

const KB = 1024;
export const GB = 1024 ** 3;
/** Firehose bills ingestion per record rounded up to the next 5 KB. */
const FIREHOSE_ROUNDING_BYTES = 5 * KB;
/** SQS bills each 64 KB chunk of a request's payload as one request. */
const SQS_CHUNK_BYTES = 64 * KB;

/**
 * Firehose's billed bytes for one record.
 * @example firehoseBilledBytes(1_200) // => 5120
 */
export function firehoseBilledBytes(recordBytes: number): number {
  return Math.max(1, Math.ceil(recordBytes / FIREHOSE_ROUNDING_BYTES)) * FIREHOSE_ROUNDING_BYTES;
}

/**
 * Billed SQS requests for one API call carrying `payloadBytes` (all its messages together; an empty call is one).
 * @example sqsBilledRequests(70_000) // => 2
 */
export function sqsBilledRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / SQS_CHUNK_BYTES));
}

/** Write request units for one item write: per started KB, twice inside a transaction. */
export function writeUnits(itemBytes: number, options: { transactional: boolean }): number {
  return Math.max(1, Math.ceil(itemBytes / KB)) * (options.transactional ? 2 : 1);
}

/** Read request units for one item read: per started 4 KB; eventual half, transactional double. */
export function readUnits(itemBytes: number, consistency: 'eventual' | 'strong' | 'transactional'): number {
  const factor = { eventual: 0.5, strong: 1, transactional: 2 }[consistency];
  return Math.max(1, Math.ceil(itemBytes / (4 * KB))) * factor;
}

/** Lambda GB-seconds of one invocation: duration rounded up to the millisecond, times the configured memory. */
export function lambdaGbSeconds(durationMs: number, memoryMiB: number): number {
  return (Math.ceil(durationMs) / 1000) * (memoryMiB / 1024);
}

/** One DynamoDB attribute value in the wire format (`{ S: 'x' }`, `{ N: '1' }`, `{ M: {...} }`, ...). */
export type AttributeValue = Record<string, unknown>;

/**
 * An item's size as DynamoDB bills it: each attribute's name in UTF-8 plus its value (strings in UTF-8, numbers
 * about one byte per two significant digits plus one, binaries raw, booleans and nulls one byte, lists and maps three
 * bytes plus one per element). What the write units of a put follow; index entries add 100 bytes of overhead each.
 * @example dynamoItemBytes({ pk: { S: 'a' }, n: { N: '12' } }) // => 6 ('pk' 2 + 'a' 1, 'n' 1 + 12 as 2)
 */
export function dynamoItemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

function valueBytes(value: AttributeValue): number {
  const [type, inner] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(inner));
    case 'N':
      return numberBytes(String(inner));
    case 'B':
      return Buffer.from(String(inner), 'base64').length;
    case 'SS':
      return (inner as string[]).reduce((sum, s) => sum + Buffer.byteLength(s), 0);
    case 'NS':
      return (inner as string[]).reduce((sum, n) => sum + numberBytes(n), 0);
    case 'BS':
      return (inner as string[]).reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((sum, element) => sum + 1 + valueBytes(element), 0);
    case 'M':
      return (
        3 +
        Object.entries(inner as Record<string, AttributeValue>).reduce(
          (sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueBytes(element),
          0,
        )
      );
    default:
      return 1;
  }
}

/** A number's size: its significant digits, two to a byte, plus one. */
function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Prices each usage line. */
export function priceUsage(usage: Usage[], prices: PriceList): CostLine[] {
  return usage.map((line) => ({ ...line, usd: line.quantity * prices.prices[line.unit].usd }));
}

/** Dollars of the lines on some paths (all by default). */
export function totalUsd(lines: CostLine[], paths: Usage['path'][] = ['earn', 'delivery', 'lake']): number {
  return lines.filter((line) => paths.includes(line.path)).reduce((sum, line) => sum + line.usd, 0);
}

/** A readable table: one row per line, dearest first, with its share of the total. */
export function costTable(lines: CostLine[]): string[] {
  const total = totalUsd(lines);
  const sorted = [...lines].sort((a, b) => b.usd - a.usd);
  const width = Math.max(...sorted.map((line) => line.component.length), 9);
  const rows = sorted.map(
    (line) =>
      `  ${line.component.padEnd(width)}  ${line.path.padEnd(8)}  ${formatQuantity(line.quantity).padStart(14)} ` +
      `${line.unit.padEnd(33)} $${line.usd.toFixed(4).padStart(8)}  ${percent(line.usd, total).padStart(5)}` +
      (line.note ? `  (${line.note})` : ''),
  );
  return [
    `  ${'component'.padEnd(width)}  ${'path'.padEnd(8)}  ${'quantity'.padStart(14)} ${'unit'.padEnd(33)} ` +
      `${'USD'.padStart(9)}  share`,
    ...rows,
    `  ${'total'.padEnd(width)}  ${''.padEnd(8)}  ${''.padStart(14)} ${''.padEnd(33)} $${total.toFixed(4).padStart(8)}`,
  ];
}

const formatQuantity = (value: number) =>
  value >= 1000 ? Math.round(value).toLocaleString('en-US') : Number(value.toPrecision(4)).toString();
const percent = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : '-');
