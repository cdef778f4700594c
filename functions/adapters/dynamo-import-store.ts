import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { IMPORT_RETENTION_DAYS, movableFrom, movedTo, type ImportAction, type ImportJob } from '../domain/imports';
import type { ChunkProgress, ImportStore } from '../domain/imports-runner';
import { Problem } from '../shared/problem';
import { ttlAfterDays, ttlAttribute } from '../shared/item-ttl';
import { applied } from './conditional-write';
import { decodeCursor, encodeCursor } from './cursor';

/**
 * Import jobs beside their tenant (`IMPORT#<id>`, ids sort by creation time) and the claim of the Idempotency-Key
 * that created each (`TENANT#<t>#IMPORTKEY#<key>`), put in one transaction. Every change is a conditional update:
 * an action on the statuses it may be taken from, a chunk's checkpoint on the step and offset it started at, so a
 * copy of a step never counts a chunk twice. Both expire with the job's objects (TTL, `IMPORT_RETENTION_DAYS`).
 */
export const importKeys = {
  job: (tenantId: string, importId: string) => ({ pk: `TENANT#${tenantId}`, sk: `IMPORT#${importId}` }),
  prefix: 'IMPORT#',
  claim: (tenantId: string, key: string) => ({ pk: `TENANT#${tenantId}#IMPORTKEY#${key}`, sk: 'IMPORTKEY' }),
};

const RUNNABLE = '#status IN (:queued, :running)';
const runnableValues = { ':queued': 'queued', ':running': 'running' };

export class DynamoImportStore implements ImportStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: ImportJob, claim?: { key: string; requestHash: string }): Promise<void> {
    const ttl = ttlAttribute(ttlAfterDays(new Date(job.createdAt), IMPORT_RETENTION_DAYS));
    const item = { ...importKeys.job(job.tenantId, job.importId), kind: 'import', ...job, ...ttl };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
            ...(claim
              ? [
                  {
                    Put: {
                      TableName: this.tableName,
                      Item: {
                        ...importKeys.claim(job.tenantId, claim.key),
                        kind: 'importKey',
                        importId: job.importId,
                        requestHash: claim.requestHash,
                        ...ttl,
                      },
                      ConditionExpression: 'attribute_not_exists(pk)',
                    },
                  },
                ]
              : []),
          ],
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'TransactionCanceledException') throw new Problem('idempotency_key_reused');
      throw error;
    }
  }

  async claimed(tenantId: string, key: string) {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: importKeys.claim(tenantId, key), ConsistentRead: true }),
    );
    return Item ? { importId: String(Item.importId), requestHash: String(Item.requestHash) } : null;
  }

  async get(tenantId: string, importId: string): Promise<ImportJob | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: importKeys.job(tenantId, importId), ConsistentRead: true }),
    );
    return Item ? jobOf(Item) : null;
  }

  async list(tenantId: string, page: { limit: number; cursor?: string }) {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, ['sk']).sk;
    const { pk } = importKeys.job(tenantId, '');
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': importKeys.prefix },
        ScanIndexForward: false,
        Limit: page.limit,
        ...(after?.startsWith(importKeys.prefix) ? { ExclusiveStartKey: { pk, sk: after } } : {}),
      }),
    );
    const last = result.Items?.at(-1);
    return {
      items: (result.Items ?? []).map(jobOf),
      ...(result.LastEvaluatedKey && last ? { nextCursor: encodeCursor({ sk: String(last.sk) }) } : {}),
    };
  }

  async move(
    tenantId: string,
    importId: string,
    action: ImportAction,
    at: string,
    extra: { objectBytes?: number } = {},
  ): Promise<ImportJob | null> {
    const from = movableFrom(action);
    const fromValues = Object.fromEntries(from.map((status, index) => [`:from${index}`, status]));
    const to = movedTo(action);
    const sets = ['#status = :to', 'updatedAt = :at'];
    if (extra.objectBytes !== undefined) sets.push('objectBytes = :bytes');
    if (to === 'cancelled') sets.push('finishedAt = :at');
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: importKeys.job(tenantId, importId),
          // A failed job resumed is running again: it has not finished.
          UpdateExpression: `SET ${sets.join(', ')}${action === 'resume' ? ' REMOVE finishedAt' : ''}`,
          ConditionExpression: `#status IN (${Object.keys(fromValues).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...fromValues,
            ':to': to,
            ':at': at,
            ...(extra.objectBytes !== undefined ? { ':bytes': extra.objectBytes } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? jobOf(Attributes) : null;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return null;
      throw error;
    }
  }

  beginStep(tenantId: string, importId: string, step: number, at: string): Promise<boolean> {
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: importKeys.job(tenantId, importId),
          UpdateExpression: 'SET #status = :running, updatedAt = :at, startedAt = if_not_exists(startedAt, :at)',
          ConditionExpression: `step = :step AND ${RUNNABLE}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...runnableValues, ':step': step, ':at': at },
        }),
      ),
    );
  }

  checkpoint(tenantId: string, importId: string, progress: ChunkProgress): Promise<boolean> {
    // Not conditioned on the status: a chunk that was in flight when the job was paused or cancelled still counts.
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: importKeys.job(tenantId, importId),
          UpdateExpression:
            'SET #offset = :offset, #line = :line, skipping = :skipping, errorParts = :parts, ' +
            'recentRowsPerSecond = :rate, updatedAt = :at, ' +
            'counts.applied = counts.applied + :applied, counts.unchanged = counts.unchanged + :unchanged, ' +
            'counts.rejected = counts.rejected + :rejected',
          ConditionExpression: 'step = :step AND #offset = :from',
          ExpressionAttributeNames: { '#offset': 'offset', '#line': 'line' },
          ExpressionAttributeValues: {
            ':offset': progress.offset,
            ':line': progress.line,
            ':skipping': progress.skipping,
            ':parts': progress.errorParts,
            ':rate': progress.recentRowsPerSecond,
            ':at': progress.at,
            ':applied': progress.added.applied,
            ':unchanged': progress.added.unchanged,
            ':rejected': progress.added.rejected,
            ':step': progress.step,
            ':from': progress.from,
          },
        }),
      ),
    );
  }

  advanceStep(tenantId: string, importId: string, step: number, at: string): Promise<boolean> {
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: importKeys.job(tenantId, importId),
          UpdateExpression: 'SET step = :next, updatedAt = :at',
          ConditionExpression: `step = :step AND ${RUNNABLE}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...runnableValues, ':step': step, ':next': step + 1, ':at': at },
        }),
      ),
    );
  }

  async markChained(tenantId: string, importId: string, step: number): Promise<void> {
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: importKeys.job(tenantId, importId),
          UpdateExpression: 'SET chainedStep = :step',
          ConditionExpression: 'chainedStep < :step',
          ExpressionAttributeValues: { ':step': step },
        }),
      ),
    );
  }

  finish(
    tenantId: string,
    importId: string,
    end: { status: 'completed' | 'failed' | 'cancelled'; at: string; reportKey?: string; error?: string },
  ): Promise<boolean> {
    const cancelled = end.status === 'cancelled';
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: importKeys.job(tenantId, importId),
          UpdateExpression:
            'SET #status = :end, updatedAt = :at' +
            (cancelled ? '' : ', finishedAt = :at') +
            (end.reportKey ? ', reportKey = :report' : '') +
            (end.error ? ', #errors = list_append(#errors, :error)' : ''),
          ConditionExpression: cancelled ? '#status = :end' : RUNNABLE,
          ExpressionAttributeNames: { '#status': 'status', ...(end.error ? { '#errors': 'errors' } : {}) },
          ExpressionAttributeValues: {
            ...(cancelled ? {} : runnableValues),
            ':end': end.status,
            ':at': end.at,
            ...(end.reportKey ? { ':report': end.reportKey } : {}),
            ...(end.error ? { ':error': [end.error.slice(0, 500)] } : {}),
          },
        }),
      ),
    );
  }
}

/** The job as the domain knows it: the item without its keys, marker and TTL. */
function jobOf(item: Record<string, unknown>): ImportJob {
  const { pk: _pk, sk: _sk, kind: _kind, expiresAt: _ttl, ...job } = item;
  return job as unknown as ImportJob;
}
