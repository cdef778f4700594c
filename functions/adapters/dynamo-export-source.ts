import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  balanceRow,
  entryRow,
  memberRow,
  type ExportDataset,
  type ExportWindow,
  type MemberIdOf,
} from '../domain/exports';
import type { ExportSource } from '../domain/export-service';
import { feedShards } from '../domain/feed';
import { keys, MEMBER_LIST_SHARDS } from '../domain/keys';
import type { LedgerEntry, MemberProfile } from '../domain/ledger';
import { queryPages } from './query-prefix';
import type { LedgerStore } from '../domain/ports';
import { strip } from './dynamo-ledger-store';

/** Members read per page of the `members` index, and their balances fetched together (BatchGetItem's 100 each). */
const MEMBER_PAGE = 500;

/**
 * What scheduled exports read, at a cost that follows the data:
 * - members and balances: each `members` index shard of the tenant in id order (one read per member profile) and
 *   the members' balance items by BatchGetItem (one read each): about two 4 KB reads per member per run;
 * - ledger entries: the tenant's 16 `feed` index shards over the window find the members with events in it (an entry
 *   commits with its member's events at the same instant), then each such member's `byTime` index over the window
 *   reads exactly its entries: cost follows the window's activity, not the number of members.
 */
export class DynamoExportSource implements ExportSource {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ledger: Pick<LedgerStore, 'getBalances'>,
  ) {}

  rows(
    tenantId: string,
    dataset: ExportDataset,
    window: ExportWindow,
    ids: { idOf: MemberIdOf; pseudonymised: boolean },
  ): AsyncIterable<Record<string, unknown>> {
    if (dataset === 'ledger-entries') return this.entries(tenantId, window, ids.idOf);
    return this.members(tenantId, dataset, ids);
  }

  private query(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<Record<string, unknown>[]> {
    return queryPages(this.client, { ...input, TableName: this.tableName });
  }

  private async *members(
    tenantId: string,
    dataset: 'balances' | 'members',
    ids: { idOf: MemberIdOf; pseudonymised: boolean },
  ): AsyncGenerator<Record<string, unknown>> {
    for (let shard = 0; shard < MEMBER_LIST_SHARDS; shard++) {
      const pages = this.query({
        IndexName: 'members',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.memberListShard(tenantId, shard) },
        Limit: MEMBER_PAGE,
      });
      for await (const items of pages) {
        const profiles = items.map((item) => strip(item) as MemberProfile);
        const balances = await this.ledger.getBalances(
          tenantId,
          profiles.map((profile) => profile.memberId),
        );
        for (const profile of profiles) {
          const balance = balances.get(profile.memberId);
          if (dataset === 'members') yield memberRow(profile, balance, ids.idOf, ids.pseudonymised);
          else if (balance) yield balanceRow(balance, ids.idOf);
        }
      }
    }
  }

  private async *entries(
    tenantId: string,
    window: ExportWindow,
    idOf: MemberIdOf,
  ): AsyncGenerator<Record<string, unknown>> {
    const from = new Date(window.start).toISOString();
    const to = new Date(window.end).toISOString();
    // Feed positions are `<occurredAt>#<eventId>`: `to` alone sorts before every position at the window's end.
    const members = new Set<string>();
    for (const feedPk of feedShards(tenantId)) {
      const pages = this.query({
        IndexName: 'feed',
        KeyConditionExpression: 'feedPk = :pk AND feedSk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': feedPk, ':from': from, ':to': to },
        ProjectionExpression: 'pk',
      });
      for await (const items of pages)
        for (const item of items) if (keys.parseMemberPk(String(item.pk))) members.add(String(item.pk));
    }
    for (const pk of [...members].sort()) {
      const pages = this.query({
        IndexName: 'byTime',
        KeyConditionExpression: 'pk = :pk AND lsi1sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': keys.entryTime(from, 0), ':to': `AT#${to}` },
      });
      for await (const items of pages) for (const item of items) yield entryRow(strip(item) as LedgerEntry, idOf);
    }
  }
}
