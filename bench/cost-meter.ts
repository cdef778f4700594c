import type { FunctionId } from '../functions/declaration/topology';
import type { ProxyTap, TappedCall } from '../local/iam-proxy';
import type { LambdaObserver } from '../local/lambda';
import { dynamoItemBytes, firehoseBilledBytes, sqsBilledRequests, writeUnits, type AttributeValue } from './cost-model';

/**
 * Meters what the functions on the twin use, as AWS would bill it: each invocation's duration and log output, the
 * capacity DynamoDB reports for every call (the meter asks for it: `ReturnConsumedCapacity: INDEXES`, which
 * DynamoDB Local answers, transactions counted double; a transaction's table units are raised to what its items
 * cost by DynamoDB's rules where Local reports fewer), SQS requests by 64 KB chunk, and Firehose records with
 * their 5 KB rounding. Counts only between `start()` and `stop()`.
 */
export class CostMeter {
  private measuring = false;
  readonly lambda = new Map<FunctionId, LambdaTally>();
  readonly dynamodb = new Map<string, DynamoTally>();
  readonly sqs = new Map<string, SqsTally>();
  readonly firehose = { calls: 0, records: 0, bytes: 0, billedBytes: 0 };
  /** The items the functions put, by function, operation and item kind: their sizes are the levers. */
  readonly puts = new Map<string, { items: number; bytes: number; units: number }>();
  /**
   * DynamoDB calls answered with an error, by function, operation and error: a failed condition is billed, but Local
   * reports no capacity for it.
   */
  readonly dynamodbErrors = new Map<string, number>();

  start(): void {
    this.measuring = true;
  }

  stop(): void {
    this.measuring = false;
  }

  readonly lambdaObserver: LambdaObserver = {
    invoked: (id, { durationMs }) => {
      if (!this.measuring) return;
      const tally = this.lambdaTally(id as FunctionId);
      tally.invocations++;
      tally.billedMs += Math.ceil(durationMs);
      tally.durationsMs.push(durationMs);
    },
    output: (id, chunk) => {
      if (this.measuring) this.lambdaTally(id as FunctionId).logBytes += chunk.length;
    },
  };

  readonly taps: { dynamodb: ProxyTap; sqs: ProxyTap; firehose: ProxyTap } = {
    dynamodb: {
      request: (call) => {
        const body = parse(call.body);
        if (!body || !CAPACITY_OPERATIONS.has(operation(call)) || body.ReturnConsumedCapacity) return call.body;
        return Buffer.from(JSON.stringify({ ...body, ReturnConsumedCapacity: 'INDEXES' }));
      },
      answered: (call, statusCode, answer) => {
        if (!this.measuring || !CAPACITY_OPERATIONS.has(operation(call))) return;
        if (statusCode !== 200) {
          const type = parse(answer)?.__type;
          const error = typeof type === 'string' ? type.split('#').pop() : String(statusCode);
          const condition = parse(call.body)?.ConditionExpression;
          const key =
            `${call.functionId ?? 'twin'} ${operation(call)} ${error}` +
            (typeof condition === 'string' ? ` (${condition})` : '');
          this.dynamodbErrors.set(key, (this.dynamodbErrors.get(key) ?? 0) + 1);
          return;
        }
        const consumed = [(parse(answer)?.ConsumedCapacity as Consumed | Consumed[] | undefined) ?? []].flat();
        const tally = this.dynamoTally(call);
        tally.calls++;
        this.countPuts(call);
        // DynamoDB Local counts a transaction's items of equal units once (four 300-byte puts: 2 units, not 8): the
        // table's share is at least what DynamoDB's rules make of the items the call names.
        const reported = consumed.reduce((sum, part) => sum + (part.Table?.CapacityUnits ?? 0), 0);
        const missing = Math.max(0, transactionTableUnits(call) - reported);
        tally.units += missing;
        tally.tableUnits += missing;
        for (const part of consumed) {
          tally.units += part.CapacityUnits ?? 0;
          tally.tableUnits += part.Table?.CapacityUnits ?? 0;
          for (const [index, units] of Object.entries({
            ...part.GlobalSecondaryIndexes,
            ...part.LocalSecondaryIndexes,
          }))
            tally.indexUnits[index] = (tally.indexUnits[index] ?? 0) + (units.CapacityUnits ?? 0);
        }
      },
    },
    sqs: {
      answered: (call, statusCode, answer) => {
        const action = operation(call);
        // The twin's pollers read queue attributes to pace themselves; Lambda's make no such call per message.
        if (!this.measuring || statusCode !== 200 || action === 'GetQueueAttributes') return;
        const request = parse(call.body) ?? {};
        const fifo = typeof request.QueueUrl === 'string' && request.QueueUrl.endsWith('.fifo');
        const key = `${call.functionId ?? 'twin'}|${action}|${fifo ? 'fifo' : 'standard'}`;
        const tally = this.sqs.get(key) ?? { calls: 0, billed: 0, messages: 0, empty: 0 };
        this.sqs.set(key, tally);
        const sent = [
          request.MessageBody,
          ...((request.Entries as { MessageBody?: string }[] | undefined) ?? []).map((e) => e.MessageBody),
        ].filter((body): body is string => typeof body === 'string');
        const received = ((parse(answer)?.Messages as { Body?: string }[] | undefined) ?? []).map((m) => m.Body ?? '');
        const messages = action === 'ReceiveMessage' ? received : sent;
        if (action === 'ReceiveMessage' && messages.length === 0) {
          // Lambda's pollers long-poll an idle queue whatever the load: a fixed cost, not one per earn.
          tally.empty++;
          return;
        }
        tally.calls++;
        tally.messages += action === 'ReceiveMessage' || action.startsWith('Send') ? messages.length : 0;
        tally.billed += sqsBilledRequests(messages.reduce((sum, body) => sum + Buffer.byteLength(body), 0));
      },
    },
    firehose: {
      answered: (call, statusCode) => {
        if (!this.measuring || statusCode !== 200) return;
        const request = parse(call.body) ?? {};
        const records = [
          ...((request.Records as { Data: string }[] | undefined) ?? []),
          ...(request.Record ? [request.Record as { Data: string }] : []),
        ];
        this.firehose.calls++;
        for (const record of records) {
          const bytes = Buffer.from(record.Data, 'base64').length;
          this.firehose.records++;
          this.firehose.bytes += bytes;
          this.firehose.billedBytes += firehoseBilledBytes(bytes);
        }
      },
    },
  };

  /** Sizes the items a call puts (a put's write units follow its size; updates are metered by DynamoDB alone). */
  private countPuts(call: TappedCall): void {
    const op = operation(call);
    const body = parse(call.body) ?? {};
    const transactional = op === 'TransactWriteItems';
    const items = transactional
      ? ((body.TransactItems as { Put?: { Item: Item } }[] | undefined) ?? []).flatMap((a) =>
          a.Put ? [a.Put.Item] : [],
        )
      : op === 'PutItem'
        ? [body.Item as Item]
        : [];
    for (const item of items) {
      const kind = typeof item.kind?.S === 'string' ? item.kind.S : (item.sk?.S ?? '?').split('#')[0];
      const key = `${call.functionId ?? 'twin'} ${op} ${kind}`;
      const tally = this.puts.get(key) ?? { items: 0, bytes: 0, units: 0 };
      const bytes = dynamoItemBytes(item);
      tally.items++;
      tally.bytes += bytes;
      tally.units += writeUnits(bytes, { transactional });
      this.puts.set(key, tally);
    }
  }

  private lambdaTally(id: FunctionId) {
    let tally = this.lambda.get(id);
    if (!tally) this.lambda.set(id, (tally = { invocations: 0, billedMs: 0, durationsMs: [], logBytes: 0 }));
    return tally;
  }

  private dynamoTally(call: TappedCall): DynamoTally {
    const op = operation(call);
    const key = `${call.functionId ?? 'twin'}|${op}`;
    let tally = this.dynamodb.get(key);
    if (!tally) {
      tally = {
        functionId: call.functionId,
        operation: op,
        kind: READ_OPERATIONS.has(op) ? 'read' : 'write',
        calls: 0,
        units: 0,
        tableUnits: 0,
        indexUnits: {},
      };
      this.dynamodb.set(key, tally);
    }
    return tally;
  }
}

export interface LambdaTally {
  invocations: number;
  /** Durations rounded up to the millisecond, summed (Lambda's billed duration). */
  billedMs: number;
  durationsMs: number[];
  /** What the function printed (its log lines, EMF metrics included). */
  logBytes: number;
}

export interface DynamoTally {
  functionId?: FunctionId;
  operation: string;
  kind: 'read' | 'write';
  calls: number;
  units: number;
  tableUnits: number;
  indexUnits: Record<string, number>;
}

export interface SqsTally {
  /** Calls that moved messages (sends, receives that got some, deletes, visibility changes). */
  calls: number;
  /** Those calls in billed requests (64 KB chunks). */
  billed: number;
  messages: number;
  /** Receives that found nothing. */
  empty: number;
}

type Item = Record<string, AttributeValue> & { kind?: { S?: string }; sk?: { S?: string } };

interface Consumed {
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const CAPACITY_OPERATIONS = new Set([
  ...READ_OPERATIONS,
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/**
 * The table's write units of a TransactWriteItems call by DynamoDB's rules: each put by its size, each update, delete
 * or condition check at least one KB (their items' sizes are not in the request), all doubled. Zero for other calls.
 */
function transactionTableUnits(call: TappedCall): number {
  if (operation(call) !== 'TransactWriteItems') return 0;
  const actions = (parse(call.body)?.TransactItems as { Put?: { Item: Item } }[] | undefined) ?? [];
  return actions.reduce(
    (sum, action) => sum + (action.Put ? writeUnits(dynamoItemBytes(action.Put.Item), { transactional: true }) : 2),
    0,
  );
}

/** The operation of a JSON-protocol call: the part of `X-Amz-Target` after the dot. */
const operation = (call: TappedCall) => call.target.slice(call.target.indexOf('.') + 1);

function parse(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
