import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { dueAtOf, type ExportDefinition, type ExportRun } from '../domain/exports';
import type { ExportStore } from '../domain/export-service';
import { keys } from '../domain/keys';
import type { Page } from '../domain/ports';
import { ttlAttribute, ttlEpochSeconds } from '../shared/item-ttl';
import { applied } from './conditional-write';
import { decodeCursor, encodeCursor } from './cursor';

/** Run records stay listable this long after their window (files stay in the bucket under its own rules). */
const RUN_RETENTION_S = 90 * 86_400;
const DEFINITION_FIELDS = [
  'tenantId',
  'exportId',
  'dataset',
  'cadence',
  'enabled',
  'createdAt',
  'updatedAt',
  'nextWindowStart',
  'requestedWindowStart',
] as const;

/** When the export is next due on the `due` index: a requested window now, else its next window's due time. */
function dueAt(definition: ExportDefinition, nowIso: string): string | null {
  if (definition.requestedWindowStart) return nowIso;
  if (!definition.enabled) return null;
  return new Date(dueAtOf(Date.parse(definition.nextWindowStart), definition.cadence)).toISOString();
}

function definitionOf(item: Record<string, unknown>): ExportDefinition {
  return Object.fromEntries(
    DEFINITION_FIELDS.filter((name) => item[name] !== undefined).map((name) => [name, item[name]]),
  ) as unknown as ExportDefinition;
}

function runOf(item: Record<string, unknown>): ExportRun {
  const { pk: _pk, sk: _sk, kind: _kind, tenantId: _tenant, expiresAt: _ttl, ...run } = item;
  return run as unknown as ExportRun;
}

/**
 * Export definitions beside their tenant (`EXPORT#<id>`), runs in a partition per export (`RUN#<window start>`).
 * An enabled export is on the `due` index in one partition (`EXPORTS#DUE`) by when its next window is due, so a
 * scheduler tick finds what is due with one query, however many tenants there are.
 */
export class DynamoExportStore implements ExportStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private item(definition: ExportDefinition, nowIso: string): Record<string, unknown> {
    const due = dueAt(definition, nowIso);
    return {
      ...keys.export(definition.tenantId, definition.exportId),
      kind: 'export',
      ...definition,
      ...(due ? { duePk: keys.exportsDue, dueAt: due } : {}),
    };
  }

  async create(definition: ExportDefinition): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: this.item(definition, definition.createdAt),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async replace(definition: ExportDefinition, expectedUpdatedAt: string): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(definition, definition.updatedAt),
          ConditionExpression: 'updatedAt = :expected',
          ExpressionAttributeValues: { ':expected': expectedUpdatedAt },
        }),
      ),
    );
  }

  async get(tenantId: string, exportId: string): Promise<ExportDefinition | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.export(tenantId, exportId), ConsistentRead: true }),
    );
    return Item ? definitionOf(Item) : null;
  }

  async list(tenantId: string): Promise<ExportDefinition[]> {
    const { pk, skPrefix } = keys.exportPrefix(tenantId);
    const found: ExportDefinition[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      found.push(...(page.Items ?? []).map(definitionOf));
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }

  async delete(tenantId: string, exportId: string): Promise<boolean> {
    return applied(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.export(tenantId, exportId),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }

  async listDue(nowIso: string, limit: number): Promise<{ tenantId: string; exportId: string }[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'due',
        KeyConditionExpression: 'duePk = :pk AND dueAt <= :now',
        ExpressionAttributeValues: { ':pk': keys.exportsDue, ':now': nowIso },
        Limit: limit,
      }),
    );
    return Items.map((item) => keys.parseExport({ pk: String(item.pk), sk: String(item.sk) })).filter(
      (key) => key !== null,
    );
  }

  async requestRun(tenantId: string, exportId: string, windowStart: string, nowIso: string): Promise<boolean> {
    return applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.export(tenantId, exportId),
          UpdateExpression: 'SET requestedWindowStart = :window, duePk = :duePk, dueAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':window': windowStart, ':duePk': keys.exportsDue, ':now': nowIso },
        }),
      ),
    );
  }

  async claimRun(tenantId: string, run: ExportRun, staleBefore: string): Promise<ExportRun | null> {
    const key = keys.exportRun(tenantId, run.exportId, run.windowStart);
    const claimed = await applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.runItem(tenantId, run),
          // A window is run once: again only when it failed or its run crashed (still running long after it began).
          ConditionExpression:
            'attribute_not_exists(pk) OR #status = :failed OR (#status = :running AND startedAt < :stale)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':running': 'running', ':stale': staleBefore },
        }),
      ),
    );
    if (claimed) return null;
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item ? runOf(Item) : null;
  }

  async getRun(tenantId: string, exportId: string, windowStart: string): Promise<ExportRun | null> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.exportRun(tenantId, exportId, windowStart),
        ConsistentRead: true,
      }),
    );
    return Item ? runOf(Item) : null;
  }

  async saveRun(tenantId: string, run: ExportRun): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: this.runItem(tenantId, run) }));
  }

  async listRuns(
    tenantId: string,
    exportId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<ExportRun>> {
    const pk = keys.exportRunPk(tenantId, exportId);
    const after = query.cursor ? decodeCursor(query.cursor, ['windowStart']).windowStart : undefined;
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': keys.exportRunPrefix },
        ScanIndexForward: false,
        Limit: query.limit,
        ...(after ? { ExclusiveStartKey: keys.exportRun(tenantId, exportId, after) } : {}),
      }),
    );
    const items = (page.Items ?? []).map(runOf);
    const last = items.at(-1);
    return {
      items,
      ...(page.LastEvaluatedKey && last ? { nextCursor: encodeCursor({ windowStart: last.windowStart }) } : {}),
    };
  }

  private runItem(tenantId: string, run: ExportRun): Record<string, unknown> {
    return {
      ...keys.exportRun(tenantId, run.exportId, run.windowStart),
      kind: 'exportRun',
      tenantId,
      ...run,
      ...ttlAttribute(ttlEpochSeconds(Date.parse(run.windowEnd), RUN_RETENTION_S)),
    };
  }
}
