import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { newPseudonymKey } from '../domain/minimisation';
import type { LakeSettingsStore, SealedSecret, SecretSealer, StoredLakeSettings } from '../domain/ports';

/** What the pseudonymisation key is sealed for: opening it under another tenant's context fails. */
export const pseudonymKeyContext = (tenantId: string) => ({ tenantId, purpose: 'pseudonyms' });

/**
 * Lake settings beside their tenant (`LAKESETTINGS`), with the pseudonymisation key sealed in the same item: the
 * key is set only if absent, so settings written again (or two writers racing) never replace it and pseudonyms stay
 * stable for ever.
 */
export class DynamoLakeSettingsStore implements LakeSettingsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sealer: SecretSealer,
  ) {}

  private async item(tenantId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.lakeSettings(tenantId), ConsistentRead: true }),
    );
    return Item;
  }

  async get(tenantId: string): Promise<StoredLakeSettings | null> {
    const item = await this.item(tenantId);
    // A key revealed before any settings were written makes an item without settings.
    if (!item?.settings) return null;
    return { settings: item.settings as StoredLakeSettings['settings'], updatedAt: item.updatedAt as string };
  }

  async put(tenantId: string, stored: StoredLakeSettings): Promise<void> {
    const existing = await this.item(tenantId);
    const sealedKey = existing?.sealedKey ?? (await this.sealer.seal(newPseudonymKey(), pseudonymKeyContext(tenantId)));
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.lakeSettings(tenantId),
        UpdateExpression:
          'SET #kind = :kind, settings = :settings, updatedAt = :updatedAt, sealedKey = if_not_exists(sealedKey, :key)',
        ExpressionAttributeNames: { '#kind': 'kind' },
        ExpressionAttributeValues: {
          ':kind': 'lakeSettings',
          ':settings': stored.settings,
          ':updatedAt': stored.updatedAt,
          ':key': sealedKey,
        },
      }),
    );
  }

  async pseudonymKey(tenantId: string, options: { create?: boolean } = {}): Promise<string | null> {
    let sealed = (await this.item(tenantId))?.sealedKey as SealedSecret | undefined;
    if (!sealed && options.create) {
      const fresh = await this.sealer.seal(newPseudonymKey(), pseudonymKeyContext(tenantId));
      // Set only if absent: a racing writer's key wins and both callers open the one stored.
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.lakeSettings(tenantId),
          UpdateExpression: 'SET #kind = :kind, sealedKey = if_not_exists(sealedKey, :key)',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':kind': 'lakeSettings', ':key': fresh },
          ReturnValues: 'ALL_NEW',
        }),
      );
      sealed = Attributes?.sealedKey as SealedSecret | undefined;
    }
    return sealed ? this.sealer.open(sealed, pseudonymKeyContext(tenantId)) : null;
  }
}
