import { memberPseudonym } from './minimisation';
import type { LakeSettingsStore } from './ports';

/**
 * How a tenant's member ids leave the platform (lake files, consumers' reads, exports): as committed, or as
 * pseudonyms under the tenant's key. Settings are written with their key, so a missing key when they ask for
 * pseudonyms is a broken item: refuse rather than leak ids.
 */
export async function memberIdsFor(
  keys: Pick<LakeSettingsStore, 'pseudonymKey'>,
  tenantId: string,
  pseudonymise: boolean,
  options: { create?: boolean } = {},
): Promise<(memberId: string) => string> {
  if (!pseudonymise) return (memberId) => memberId;
  const key = await keys.pseudonymKey(tenantId, options);
  if (key === null) throw new Error(`Tenant ${tenantId} has no pseudonym key`);
  return (memberId) => memberPseudonym(key, memberId);
}
