import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { startFauxqs } from 'fauxqs';
import { handler } from '../../functions/handlers/lake-router';
import { resetConfigCache } from '../../functions/composition/config';
import { lakeSink } from '../../functions/composition/lake';
import { rawEvents } from '../../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { FAILURES_PATH, LocalFirehose } from '../../local/firehose';
import { lakeRecords } from '../../local/lake-files';
import { provisionBucket } from '../../local/provision';
import { ifStarted } from '../support/teardown';

/**
 * The lake router against the twin's Firehose stand-in over real HTTP (SDK client → stand-in →
 * S3 emulator → files), with the stand-in answering partial `FailedPutCount`s as Firehose does.
 */
let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
/** The tenant has no lake settings (minimisation is the lake-minimisation e2e's subject): events go as committed. */
const table = mockClient(DynamoDBDocumentClient);
table.on(GetCommand).resolves({});
let s3: S3Client;
let firehose: LocalFirehose;
let lakeDir: string;
let bucket: string;

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false });
  const endpoint = `http://127.0.0.1:${fauxqs.port}`;
  s3 = new S3Client({ endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true });
  bucket = await provisionBucket(s3);
  lakeDir = mkdtempSync(join(tmpdir(), 'lake-router-test-'));
  firehose = new LocalFirehose({ s3, bucket, streamName: rawEvents.localName, mirrorDir: lakeDir });
  await firehose.start();
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_FIREHOSE: firehose.endpoint,
    RAW_EVENTS_STREAM_NAME: rawEvents.localName,
    TABLE_NAME: 'loyalty',
    WEBHOOK_SECRETS_KEY: `local:${Buffer.alloc(32).toString('base64')}`,
  });
  resetConfigCache();
});

afterAll(async () => {
  table.restore();
  await ifStarted(firehose)?.stop();
  ifStarted(s3)?.destroy();
  await ifStarted(fauxqs)?.stop();
  rmSync(lakeDir, { recursive: true, force: true });
});

let sequence = 1000;
const EMPTY_BALANCE = { availablePoints: 0, pendingPoints: 0, lifetimePoints: 0, tier: 'base' };
/** Outbox inserts as the stream delivers them, one member.enrolled event each, in stream order. */
function streamRecords(count: number, label: string): DynamoDBRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const event = {
      id: `evt_${label}_${i}`,
      version: 1,
      tenantId: 'lake-test',
      memberId: `mem_${label}_${i}`,
      seq: 1,
      occurredAt: '2026-05-01T10:00:00.000Z',
      type: 'member.enrolled',
      data: { externalId: `x-${i}`, tier: 'base', balance: EMPTY_BALANCE },
    };
    const item = { pk: `T#lake-test#M#${event.memberId}`, sk: 'E#00000001', kind: 'event', ...event };
    const dynamodb = { SequenceNumber: String(++sequence), NewImage: marshall(item) as never };
    return { eventName: 'INSERT', dynamodb };
  });
}

/** How many times each event id is in the lake files, after the stand-in has written every buffer. */
async function lakeCounts(label: string): Promise<Map<string, number>> {
  await firehose.flush(true);
  const counts = new Map<string, number>();
  for (const { id } of lakeRecords<{ id: string }>(lakeDir)) {
    if (id.startsWith(`evt_${label}_`)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const invoke = (records: DynamoDBRecord[]) => handler({ Records: records }, {} as never);

describe('lake router and partial Firehose failures', () => {
  it('resends only the refused records, so each event is in the lake exactly once', async () => {
    // Prepare: the stand-in refuses every second record, three in all (set through its control endpoint).
    const records = streamRecords(10, 'partial');
    const plan = JSON.stringify({ records: 3, every: 2 });
    const control = await fetch(`${firehose.endpoint}${FAILURES_PATH}`, { method: 'PUT', body: plan });
    expect(control.status).toBe(200);
    const refusedBefore = firehose.refused;

    // Act
    const response = await invoke(records);

    // Assess: the premise (three refusals happened), nothing left to retry, and no event twice.
    expect(firehose.refused - refusedBefore).toBe(3);
    expect(response.batchItemFailures).toEqual([]);
    const counts = await lakeCounts('partial');
    expect([...counts.keys()].sort()).toEqual(records.map((_, i) => `evt_partial_${i}`).sort());
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
  });

  it('resends a whole refused call (a throttled stream) once it is taken', async () => {
    // Prepare: the next call is refused record by record (FailedPutCount = all of them).
    const records = streamRecords(5, 'call');
    firehose.failRecords({ calls: 1 });
    const refusedBefore = firehose.refused;

    // Act
    const response = await invoke(records);

    // Assess
    expect(firehose.refused - refusedBefore).toBe(5);
    expect(response.batchItemFailures).toEqual([]);
    const counts = await lakeCounts('call');
    expect(counts.size).toBe(5);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
  });

  it('reports records refused after its retries as batch item failures; the stream retry lands them', async () => {
    // Prepare: every second record refused, nine in all. Attempt 1 sends records 0-9 and loses 1,3,5,7,9;
    // attempt 2 sends those five and loses 3 and 7; attempt 3 loses 3; attempt 4 loses 3 again.
    const records = streamRecords(10, 'stuck');
    firehose.failRecords({ records: 9, every: 2 });
    const refusedBefore = firehose.refused;

    // Act: the first invocation, then the stream's retry from the first reported record (as Lambda does).
    const first = await invoke(records);
    const failedSequence = first.batchItemFailures.map((failure) => failure.itemIdentifier);
    const retryFrom = records.findIndex((r) => r.dynamodb!.SequenceNumber === failedSequence[0]);
    const retry = await invoke(records.slice(retryFrom));

    // Assess: record 3 was reported (and only it), the retry went through.
    expect(firehose.refused - refusedBefore).toBe(9);
    expect(failedSequence).toEqual([records[3]!.dynamodb!.SequenceNumber]);
    expect(retry.batchItemFailures).toEqual([]);
    // Every event is in the lake once per time Firehose took it: 0-3 once; 4-9, taken in the first
    // invocation and again in the stream's retry, twice (at-least-once: loaders dedup by id).
    const counts = await lakeCounts('stuck');
    const expected = records.map((_, i) => [`evt_stuck_${i}`, i <= 3 ? 1 : 2] as const);
    expect([...counts.entries()].sort()).toEqual([...expected].sort());
  });

  it('fails the invocation when nothing could be put at all, so no record is lost or duplicated', async () => {
    // Prepare: a container configured with a stream name the stand-in does not know, so every call throws
    // (the handler keeps the sink it built first, so this container's sink is built here).
    process.env.RAW_EVENTS_STREAM_NAME = 'no-such-stream';
    resetConfigCache();
    const misconfigured = lakeSink();
    const records = streamRecords(3, 'thrown');

    // Act
    const outcome = misconfigured.forward(records);

    // Assess
    await expect(outcome).rejects.toThrow(/not found/);
    process.env.RAW_EVENTS_STREAM_NAME = rawEvents.localName;
    resetConfigCache();
    expect((await lakeCounts('thrown')).size).toBe(0);
  });
});

describe("the Firehose stand-in's spool", () => {
  it('writes what a stand-in acknowledged and never wrote, once, when the next one starts on its spool', async () => {
    // Prepare: a stand-in with a long buffer takes records through the lake router (acknowledged, still in its
    // buffer); then another starts on the same spool, as the twin does after a kill. A line cut short is never
    // acknowledged and is skipped.
    const spoolDir = mkdtempSync(join(tmpdir(), 'firehose-spool-'));
    const crashedLake = mkdtempSync(join(tmpdir(), 'firehose-crashed-'));
    const recoveredLake = mkdtempSync(join(tmpdir(), 'firehose-recovered-'));
    const options = { s3, bucket, streamName: rawEvents.localName, spoolDir };
    const crashed = new LocalFirehose({ ...options, bufferIntervalSeconds: 900, mirrorDir: crashedLake });
    await crashed.start();
    process.env.AWS_ENDPOINT_URL_FIREHOSE = crashed.endpoint;
    resetConfigCache();
    const records = streamRecords(7, 'spooled');
    const sink = lakeSink();
    const recovered = new LocalFirehose({ ...options, mirrorDir: recoveredLake });
    try {
      await sink.forward(records);
      writeFileSync(join(spoolDir, 'cut-short.ndjson'), '{"prefix":"events/tenant=lake-test/","da');

      // Act
      await recovered.start();
      await recovered.flush(true);

      // Assess: every acknowledged record, once; none in the stand-in that stopped; the spool emptied.
      const ids = lakeRecords<{ id: string }>(recoveredLake).map((record) => record.id);
      expect(ids.sort()).toEqual(records.map((_, i) => `evt_spooled_${i}`).sort());
      expect(lakeRecords(crashedLake)).toEqual([]);
      expect(readdirSync(spoolDir)).toEqual([]);
    } finally {
      process.env.AWS_ENDPOINT_URL_FIREHOSE = firehose.endpoint;
      resetConfigCache();
      await recovered.stop();
      await crashed.stop();
      for (const dir of [spoolDir, crashedLake, recoveredLake]) rmSync(dir, { recursive: true, force: true });
    }
  });
});
