import * as z from '../shared/zod';
import { DEFAULT_EARNING_RULES, earningRules } from './earning-rules';
import { DEFAULT_TIER_PROGRAMME, tierProgramme } from './tiers';

/**
 * A tenant's programme settings: how long points live, when members hear about expiring points,
 * how long earnings are held, the earning rules for business transactions and the tier ladder. Tenant admins replace it
 * as a whole (PUT), versioned.
 */
export const programmeSettings = z.strictObject({
  pointsExpiry: z
    ._default(
      z.nullable(
        z.object({
          afterDays: z
            .number()
            .check(
              z.int(),
              z.gte(1),
              z.lte(3650),
              z.describe('Points expire at the UTC midnight ending this many days after they were earned'),
            ),
        }),
      ),
      null,
    )
    .check(z.describe('null: points never expire')),
  expiryNoticeDays: z
    ._default(z.number().check(z.int(), z.gte(0), z.lte(365)), 30)
    .check(z.describe('A points.expiring_soon event goes out this many days before a lot expires (0: none)')),
  holdDays: z
    ._default(z.number().check(z.int(), z.gte(0), z.lte(365)), 0)
    .check(z.describe('Direct earnings are held as pending for this many days unless the request says otherwise')),
  earningRules: z
    ._default(earningRules, DEFAULT_EARNING_RULES)
    .check(z.describe('How business transactions turn into points')),
  tiers: z
    ._default(tierProgramme, DEFAULT_TIER_PROGRAMME)
    .check(z.describe('The tier ladder, qualified on points earned in a rolling or calendar window')),
});

export type ProgrammeSettings = z.output<typeof programmeSettings>;

export interface Programme {
  tenantId: string;
  settings: ProgrammeSettings;
  /** Increments with every change; 0 for the defaults of a tenant that never configured one. */
  version: number;
  updatedAt: string | null;
}

export const defaultProgramme = (tenantId: string): Programme => ({
  tenantId,
  settings: programmeSettings.parse({}),
  version: 0,
  updatedAt: null,
});
