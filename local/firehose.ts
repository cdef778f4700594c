import { closeServer, listenOnLoopback, readBody } from './http-server';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorObjectPrefix, objectPrefix, partitionValues } from '../functions/declaration/lake-partitioning';
import { stageSettingsFor } from '../functions/declaration/stages';
import { rawEvents } from '../functions/declaration/topology';

const pad = (n: number) => String(n).padStart(2, '0');
const stamp = (d: Date) =>
  [
    d.getUTCFullYear(),
    ...[d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map(pad),
  ].join('-');

/**
 * Records the stand-in refuses, as Firehose does under throttling or an internal error: the call
 * succeeds with a `FailedPutCount` and the refused records carry `ErrorCode` / `ErrorMessage`
 * instead of a `RecordId` (PutRecordBatch only; nothing of a refused record is written).
 */
export interface RecordFailurePlan {
  /** How many records to refuse, from the next one received. */
  records?: number;
  /** Refuse every record of this many calls, from the next one (a throttled stream). */
  calls?: number;
  /** With `records`: refuse every n-th record only (1: each one), so a batch fails in the middle too. */
  every?: number;
  errorCode?: string;
  errorMessage?: string;
}

/** The part of a PutRecord or PutRecordBatch request the stand-in reads. */
interface PutRecordRequest {
  DeliveryStreamName?: string;
  Records?: { Data: string }[];
  Record?: { Data: string };
}

/** The path of the control endpoint that sets a failure plan (PUT), clears it (DELETE) or reads it (GET). */
export const FAILURES_PATH = '/_twin/failures';

type Refusal = { ErrorCode: string; ErrorMessage: string };

/** What PutRecordBatch answers for a record when the stream is throttled. */
/** The twin's functions run as stage `local`, which has the dev settings: so does its Firehose. */
const TWIN_BUFFERING = stageSettingsFor('local').lakeBuffering;

const SLOW_DOWN = { errorCode: 'ServiceUnavailableException', errorMessage: 'Slow down.' };

interface Buffered {
  lines: Buffer[];
  bytes: number;
  openedAt: number;
  /** The spool files holding these lines (the last one takes new records); removed once the object is written. */
  spools: string[];
}

/** One accepted record in a spool file: its object prefix and its bytes. */
interface Spooled {
  prefix: string;
  data: string;
}

/**
 * Firehose stand-in: speaks the PutRecord/PutRecordBatch API (so the real lake router and SDK
 * client run unchanged), partitions by the topology's keys, buffers with its hints and writes
 * gzip objects under the same keys Firehose would, through the S3 API.
 */
export class LocalFirehose {
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private readonly buffers = new Map<string, Buffered>();
  /** Spool lines of the call being answered, by spool file: written in one append per file before the answer. */
  private readonly unspooled = new Map<string, string[]>();
  private flushing: Promise<void> = Promise.resolve();
  private failures: Required<RecordFailurePlan> | null = null;
  /** Records seen while the current plan is active (to pick every n-th). */
  private seenUnderPlan = 0;
  /** Records refused since start, for whoever checks a test's premise. */
  refused = 0;
  endpoint = '';

  constructor(
    private readonly options: {
      s3: S3Client;
      bucket: string;
      streamName: string;
      /** Defaults to the twin stage's buffering hint; the twin may shorten it for demos and tests. */
      bufferIntervalSeconds?: number;
      /** Also writes each object here under its key, so people can open the files. */
      mirrorDir?: string;
      /** Refuse records from the start (see `failRecords`). */
      failRecords?: RecordFailurePlan;
      /** Hears of records accepted and delivered, as Firehose's IncomingRecords and DeliveryToS3.Records count them. */
      observer?: { incoming(records: number): void; delivered(records: number): void };
      /**
       * Where accepted records wait until their object is written. A record Firehose has acknowledged survives
       * whatever happens to the caller or to Firehose's hosts; with a spool the stand-in's do too (a twin on a data
       * dir killed and started again writes them then). Without one, a buffer lives in memory only.
       */
      spoolDir?: string;
    },
  ) {
    if (options.failRecords) this.failRecords(options.failRecords);
  }

  /** Refuses the next records as Firehose does under pressure (null: accept everything again). */
  failRecords(plan: RecordFailurePlan | null): void {
    this.seenUnderPlan = 0;
    this.failures =
      plan && ((plan.records ?? 0) > 0 || (plan.calls ?? 0) > 0)
        ? { records: 0, calls: 0, every: 1, ...SLOW_DOWN, ...plan }
        : null;
  }

  async start(port = 0): Promise<void> {
    this.recoverSpool();
    this.server = createServer((req, res) => void this.handle(req, res));
    this.endpoint = await listenOnLoopback(this.server, port);
    this.timer = setInterval(() => void this.flush(false), 250);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await closeServer(this.server);
    await this.flush(true);
  }

  private get intervalMs() {
    return (this.options.bufferIntervalSeconds ?? TWIN_BUFFERING.intervalSeconds) * 1000;
  }

  private get sizeBytes() {
    return TWIN_BUFFERING.sizeMiB * 1024 * 1024;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    if (req.url === FAILURES_PATH) return this.control(req.method ?? 'GET', raw, res);
    const target = String(req.headers['x-amz-target'] ?? '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    let body: PutRecordRequest;
    try {
      body = JSON.parse(raw.toString('utf8')) as PutRecordRequest;
    } catch {
      reply(400, { __type: 'SerializationException', message: 'Malformed JSON' });
      return;
    }
    if (body.DeliveryStreamName !== this.options.streamName) {
      reply(400, {
        __type: 'ResourceNotFoundException',
        message: `Delivery stream ${body.DeliveryStreamName} not found`,
      });
      return;
    }
    if (target.endsWith('.PutRecordBatch')) {
      const records = body.Records ?? [];
      if (records.length === 0 || records.length > 500) {
        reply(400, { __type: 'InvalidArgumentException', message: 'Records must hold 1 to 500 entries' });
        return;
      }
      const wholeCall = this.takeCall();
      const responses = records.map((r) => {
        const refusal = this.nextRefusal(wholeCall);
        return refusal ?? { RecordId: this.accept(Buffer.from(r.Data, 'base64')) };
      });
      const FailedPutCount = responses.filter((r) => 'ErrorCode' in r).length;
      this.options.observer?.incoming(responses.length - FailedPutCount);
      this.writeSpool();
      reply(200, { FailedPutCount, Encrypted: false, RequestResponses: responses });
      return;
    }
    if (target.endsWith('.PutRecord') && body.Record) {
      this.options.observer?.incoming(1);
      const RecordId = this.accept(Buffer.from(body.Record.Data, 'base64'));
      this.writeSpool();
      reply(200, { RecordId, Encrypted: false });
      return;
    }
    reply(400, { __type: 'UnknownOperationException', message: `Operation ${target} is not emulated` });
  }

  /** The error entry when the plan refuses the whole call, counted down once per call. */
  private takeCall(): Refusal | undefined {
    const plan = this.failures;
    if (!plan || plan.calls <= 0) return undefined;
    plan.calls--;
    if (plan.calls <= 0 && plan.records <= 0) this.failures = null;
    return { ErrorCode: plan.errorCode, ErrorMessage: plan.errorMessage };
  }

  /** The error entry for the next record if the plan refuses it (or the whole call is refused). */
  private nextRefusal(wholeCall?: Refusal): Refusal | undefined {
    const plan = this.failures;
    if (wholeCall) {
      this.refused++;
      return wholeCall;
    }
    if (!plan || plan.records <= 0 || ++this.seenUnderPlan % plan.every !== 0) return undefined;
    if (--plan.records <= 0 && plan.calls <= 0) this.failures = null;
    this.refused++;
    return { ErrorCode: plan.errorCode, ErrorMessage: plan.errorMessage };
  }

  /**
   * `PUT /_twin/failures {"records":3,"every":2}` (or `{"calls":2}`) refuses records; DELETE accepts
   * everything again; GET shows the plan left and how many records were refused.
   */
  private control(method: string, raw: Buffer, res: ServerResponse) {
    if (method === 'PUT') {
      let plan: RecordFailurePlan;
      try {
        plan = JSON.parse(raw.toString('utf8')) as RecordFailurePlan;
      } catch {
        plan = { records: Number.NaN };
      }
      const count = (value: unknown) => value === undefined || (Number.isInteger(value) && (value as number) >= 0);
      const every = plan.every === undefined || (count(plan.every) && plan.every > 0);
      const valid = count(plan.records) && count(plan.calls) && every;
      if (!valid || (plan.records === undefined && plan.calls === undefined)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        const message = 'Expected {"records"?: <count>, "calls"?: <count>, "every"?: <positive integer>}';
        return res.end(JSON.stringify({ message }));
      }
      this.failRecords(plan);
    } else if (method === 'DELETE') {
      this.failRecords(null);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ pending: this.failures, refused: this.refused }));
  }

  private accept(data: Buffer): string {
    let prefix: string;
    try {
      const values = partitionValues(
        JSON.parse(data.toString('utf8')) as Record<string, unknown>,
        rawEvents.partitionKeys,
      );
      if (!values) throw new Error('missing partition key');
      prefix = objectPrefix(rawEvents.prefixTemplate, values);
    } catch {
      // Like Firehose, records whose partition keys cannot be extracted go to the error prefix.
      prefix = errorObjectPrefix(rawEvents.errorPrefix, { errorOutputType: 'partitioning-failed', at: new Date() });
    }
    this.take(prefix, data);
    return randomUUID();
  }

  /** Adds a record to its prefix's buffer, written to the buffer's spool first when there is one. */
  private take(prefix: string, data: Buffer): void {
    let buffer = this.buffers.get(prefix);
    if (!buffer) {
      const { spoolDir } = this.options;
      buffer = { lines: [], bytes: 0, openedAt: Date.now(), spools: [] };
      if (spoolDir) buffer.spools.push(join(spoolDir, `${randomUUID()}.ndjson`));
      this.buffers.set(prefix, buffer);
    }
    const spool = buffer.spools.at(-1);
    if (spool) {
      const lines = this.unspooled.get(spool) ?? [];
      lines.push(`${JSON.stringify({ prefix, data: data.toString('base64') } satisfies Spooled)}\n`);
      this.unspooled.set(spool, lines);
    }
    buffer.lines.push(data);
    buffer.bytes += data.length;
  }

  /** Written before the answer: an acknowledged record is on disk (a killed process loses no written bytes). */
  private writeSpool(): void {
    for (const [spool, lines] of this.unspooled) appendFileSync(spool, lines.join(''));
    this.unspooled.clear();
  }

  /**
   * Buffers again what a previous run accepted and had not written (its spool files), before taking new records.
   * The records move to new spool files, one per buffer, before the old files go: a kill during recovery can
   * repeat a record in the lake (as Firehose may), never lose one.
   */
  private recoverSpool(): void {
    const { spoolDir } = this.options;
    if (!spoolDir) return;
    mkdirSync(spoolDir, { recursive: true });
    const files = readdirSync(spoolDir)
      .filter((file) => file.endsWith('.ndjson'))
      .map((file) => join(spoolDir, file));
    for (const file of files) {
      for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        let record: Spooled;
        try {
          record = JSON.parse(line) as Spooled;
        } catch {
          // A line cut short by a kill was never acknowledged.
          continue;
        }
        this.take(record.prefix, Buffer.from(record.data, 'base64'));
      }
    }
    this.writeSpool();
    for (const file of files) rmSync(file, { force: true });
  }

  /** How long the oldest record not yet delivered has waited (Firehose's DataFreshness), 0 when none waits. */
  oldestUndeliveredAgeMs(now = Date.now()): number {
    const oldest = Math.min(...[...this.buffers.values()].map((buffer) => buffer.openedAt));
    return Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0;
  }

  /** Writes every buffer whose hints are met (or all of them, on stop). */
  flush(all: boolean): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const now = Date.now();
      for (const [prefix, buffer] of [...this.buffers]) {
        if (!all && buffer.bytes < this.sizeBytes && now - buffer.openedAt < this.intervalMs) continue;
        this.buffers.delete(prefix);
        const name = `${this.options.streamName}-1-${stamp(new Date(now))}-${randomUUID()}`;
        const key = `${prefix}${name}${rawEvents.fileExtension}`;
        const body = gzipSync(Buffer.concat(buffer.lines));
        try {
          await this.options.s3.send(
            new PutObjectCommand({
              Bucket: this.options.bucket,
              Key: key,
              Body: body,
              ContentType: 'application/x-ndjson',
              ContentEncoding: 'gzip',
            }),
          );
          if (this.options.mirrorDir) {
            const file = join(this.options.mirrorDir, key);
            await mkdir(dirname(file), { recursive: true });
            // Renamed into place: whoever lists the folder sees whole files only, as in S3.
            await writeFile(`${file}.tmp`, body);
            await rename(`${file}.tmp`, file);
          }
          this.options.observer?.delivered(buffer.lines.length);
          for (const spool of buffer.spools) rmSync(spool, { force: true });
        } catch (error) {
          // Firehose retries delivery to S3; keep the data and try again on the next tick.
          const again = this.buffers.get(prefix);
          this.buffers.set(
            prefix,
            again
              ? {
                  ...buffer,
                  lines: [...buffer.lines, ...again.lines],
                  bytes: buffer.bytes + again.bytes,
                  // The newer buffer's spool stays last: it takes the records still to come.
                  spools: [...buffer.spools, ...again.spools],
                }
              : buffer,
          );
          if (all) throw error;
        }
      }
    });
    return this.flushing;
  }
}
