import { z } from 'zod';
import { DEFAULT_EARNING_RULES, earningRules } from './earning-rules';
import { DEFAULT_TIER_PROGRAMME, tierProgramme } from './tiers';

/**
 * A tenant's programme settings: how long points live, when members hear about expiring points,
 * how long earnings are held, the earning rules for business transactions and the tier ladder. Tenant admins replace it
 * as a whole (PUT), versioned.
 */
export const programmeSettings = z
  .object({
    pointsExpiry: z
      .object({
        afterDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .describe('Points expire at the UTC midnight ending this many days after they were earned'),
      })
      .nullable()
      .default(null)
      .describe('null: points never expire'),
    expiryNoticeDays: z
      .number()
      .int()
      .min(0)
      .max(365)
      .default(30)
      .describe('A points.expiring_soon event goes out this many days before a lot expires (0: none)'),
    holdDays: z
      .number()
      .int()
      .min(0)
      .max(365)
      .default(0)
      .describe('Direct earnings are held as pending for this many days unless the request says otherwise'),
    earningRules: earningRules.default(DEFAULT_EARNING_RULES).describe('How business transactions turn into points'),
    tiers: tierProgramme
      .default(DEFAULT_TIER_PROGRAMME)
      .describe('The tier ladder, qualified on points earned in a rolling or calendar window'),
  })
  .strict();

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
