import { documentClient, firehoseClient } from '../adapters/aws-clients';
import { FirehoseLakeSink, type LakeLineShaper } from '../adapters/firehose-lake-sink';
import { DynamoLakeSettingsStore } from '../adapters/dynamo-lake-settings-store';
import { keepsEverything, minimise } from '../domain/minimisation';
import { memberIdsFor } from '../domain/pseudonyms';
import type { LakeSettingsStore } from '../domain/ports';
import { systemClock, type Clock } from '../shared/clock';
import { ttlCache } from '../shared/ttl-cache';
import { setting } from './config';
import { sealerForKey } from './secrets';

type Minimiser = ((event: Parameters<LakeLineShaper>[0]) => object) | null;

/**
 * Each tenant's lake settings applied to its events, behind a per-container cache: settings change rarely and are
 * read for every event, and the opened key saves a KMS call per event. A tenant without settings (or with settings
 * that keep everything) gets its events as committed.
 */
export function tenantMinimisation(store: LakeSettingsStore, ttlMs: number, clock: Clock): LakeLineShaper {
  const byTenant = ttlCache(
    async (tenantId): Promise<Minimiser> => {
      const stored = await store.get(tenantId);
      if (!stored || keepsEverything(stored.settings)) return null;
      const { settings } = stored;
      const pseudonym = await memberIdsFor(store, tenantId, settings.pseudonymiseMemberIds);
      return (event) => minimise(event, settings, pseudonym);
    },
    ttlMs,
    clock,
  );
  return async (event) => {
    const minimiser = await byTenant.get(event.tenantId);
    return minimiser ? minimiser(event) : event;
  };
}

/** The lake router's sink: the raw-event delivery stream; the handler keeps it per container. */
export const lakeSink = (): FirehoseLakeSink => {
  const store = new DynamoLakeSettingsStore(
    documentClient(),
    setting('TABLE_NAME'),
    sealerForKey(setting('WEBHOOK_SECRETS_KEY')),
  );
  return new FirehoseLakeSink(
    firehoseClient(),
    setting('RAW_EVENTS_STREAM_NAME'),
    tenantMinimisation(store, setting('LAKE_SETTINGS_CACHE_TTL_MS'), systemClock),
  );
};
