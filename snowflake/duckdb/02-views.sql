-- Generated from the event catalogue (functions/domain/events.ts) for DuckDB
-- by `npm run catalogue`: do not edit by hand.

CREATE OR REPLACE VIEW events AS
SELECT
  record ->> '$."id"' AS event_id,
  record ->> '$."type"' AS event_type,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record,
  file_name,
  loaded_at
FROM events_raw
QUALIFY ROW_NUMBER() OVER (PARTITION BY record ->> '$."id"' ORDER BY loaded_at, file_name) = 1;

CREATE OR REPLACE VIEW member_balance_snapshots AS
SELECT
  tenant_id,
  member_id,
  seq,
  occurred_at,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS lifetime_points,
  record ->> '$."data"."balance"."tier"' AS tier
FROM events
WHERE member_id IS NOT NULL;

-- member.enrolled
CREATE OR REPLACE VIEW events_member_enrolled AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."externalId"' AS external_id,
  record ->> '$."data"."tier"' AS tier,
  CAST(record ->> '$."data"."enrolledAt"' AS TIMESTAMP WITH TIME ZONE) AS enrolled_at,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'member.enrolled';

-- member.updated
CREATE OR REPLACE VIEW events_member_updated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record -> '$."data"."changedFields"' AS changed_fields,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'member.updated';

-- member.deactivated
CREATE OR REPLACE VIEW events_member_deactivated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."reason"' AS reason,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'member.deactivated';

-- member.reactivated
CREATE OR REPLACE VIEW events_member_reactivated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'member.reactivated';

-- member.erased
CREATE OR REPLACE VIEW events_member_erased AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  CAST(record ->> '$."data"."forfeitedPoints"' AS BIGINT) AS forfeited_points,
  CAST(record ->> '$."data"."cancelledPendingPoints"' AS BIGINT) AS cancelled_pending_points,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'member.erased';

-- points.earned
CREATE OR REPLACE VIEW events_points_earned AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."entryId"' AS entry_id,
  CAST(record ->> '$."data"."amountPoints"' AS BIGINT) AS amount_points,
  record ->> '$."data"."reason"' AS reason,
  record ->> '$."data"."source"' AS source,
  record ->> '$."data"."transactionId"' AS transaction_id,
  record ->> '$."data"."transaction"."type"' AS transaction_type,
  CAST(record ->> '$."data"."transaction"."amount"' AS DOUBLE) AS transaction_amount,
  record ->> '$."data"."transaction"."currency"' AS transaction_currency,
  record ->> '$."data"."transaction"."category"' AS transaction_category,
  record ->> '$."data"."transaction"."channel"' AS transaction_channel,
  CAST(record ->> '$."data"."transaction"."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS transaction_occurred_at,
  record -> '$."data"."transaction"."lines"' AS transaction_lines,
  record -> '$."data"."rules"' AS rules,
  record ->> '$."data"."campaignId"' AS campaign_id,
  CAST(record ->> '$."data"."expiresAt"' AS TIMESTAMP WITH TIME ZONE) AS expires_at,
  CAST(record ->> '$."data"."pending"' AS BOOLEAN) AS pending,
  CAST(record ->> '$."data"."activatesAt"' AS TIMESTAMP WITH TIME ZONE) AS activates_at,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'points.earned';

-- points.activated
CREATE OR REPLACE VIEW events_points_activated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."entryId"' AS entry_id,
  record ->> '$."data"."earnEntryId"' AS earn_entry_id,
  CAST(record ->> '$."data"."amountPoints"' AS BIGINT) AS amount_points,
  CAST(record ->> '$."data"."expiresAt"' AS TIMESTAMP WITH TIME ZONE) AS expires_at,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'points.activated';

-- points.redeemed
CREATE OR REPLACE VIEW events_points_redeemed AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."entryId"' AS entry_id,
  CAST(record ->> '$."data"."amountPoints"' AS BIGINT) AS amount_points,
  record ->> '$."data"."reason"' AS reason,
  record ->> '$."data"."source"' AS source,
  record -> '$."data"."lots"' AS lots,
  record ->> '$."data"."rewardId"' AS reward_id,
  record ->> '$."data"."redemptionId"' AS redemption_id,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'points.redeemed';

-- points.adjusted
CREATE OR REPLACE VIEW events_points_adjusted AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."entryId"' AS entry_id,
  CAST(record ->> '$."data"."amountPoints"' AS BIGINT) AS amount_points,
  record ->> '$."data"."reason"' AS reason,
  record -> '$."data"."lots"' AS lots,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'points.adjusted';

-- points.reversed
CREATE OR REPLACE VIEW events_points_reversed AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."entryId"' AS entry_id,
  record ->> '$."data"."reversedEntryId"' AS reversed_entry_id,
  record ->> '$."data"."reversedType"' AS reversed_type,
  record ->> '$."data"."effect"' AS effect,
  CAST(record ->> '$."data"."amountPoints"' AS BIGINT) AS amount_points,
  record ->> '$."data"."reason"' AS reason,
  record -> '$."data"."lots"' AS lots,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'points.reversed';

-- points.expired
CREATE OR REPLACE VIEW events_points_expired AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."entryId"' AS entry_id,
  CAST(record ->> '$."data"."amountPoints"' AS BIGINT) AS amount_points,
  record -> '$."data"."lots"' AS lots,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'points.expired';

-- points.expiring_soon
CREATE OR REPLACE VIEW events_points_expiring_soon AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  CAST(record ->> '$."data"."amountPoints"' AS BIGINT) AS amount_points,
  CAST(record ->> '$."data"."expiresAt"' AS TIMESTAMP WITH TIME ZONE) AS expires_at,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'points.expiring_soon';

-- tier.promoted
CREATE OR REPLACE VIEW events_tier_promoted AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."fromTier"' AS from_tier,
  record ->> '$."data"."toTier"' AS to_tier,
  CAST(record ->> '$."data"."benefits"."earnMultiplier"' AS DOUBLE) AS benefits_earn_multiplier,
  record -> '$."data"."benefits"."perks"' AS benefits_perks,
  CAST(record ->> '$."data"."reviewAt"' AS TIMESTAMP WITH TIME ZONE) AS review_at,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'tier.promoted';

-- tier.demoted
CREATE OR REPLACE VIEW events_tier_demoted AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."fromTier"' AS from_tier,
  record ->> '$."data"."toTier"' AS to_tier,
  CAST(record ->> '$."data"."benefits"."earnMultiplier"' AS DOUBLE) AS benefits_earn_multiplier,
  record -> '$."data"."benefits"."perks"' AS benefits_perks,
  CAST(record ->> '$."data"."reviewAt"' AS TIMESTAMP WITH TIME ZONE) AS review_at,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'tier.demoted';

-- offer.viewed
CREATE OR REPLACE VIEW events_offer_viewed AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."offerId"' AS offer_id,
  record ->> '$."data"."channel"' AS channel,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'offer.viewed';

-- offer.activated
CREATE OR REPLACE VIEW events_offer_activated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."offerId"' AS offer_id,
  CAST(record ->> '$."data"."activationCount"' AS BIGINT) AS activation_count,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'offer.activated';

-- reward.redeemed
CREATE OR REPLACE VIEW events_reward_redeemed AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."redemptionId"' AS redemption_id,
  record ->> '$."data"."rewardId"' AS reward_id,
  record ->> '$."data"."rewardName"' AS reward_name,
  CAST(record ->> '$."data"."pointsCost"' AS BIGINT) AS points_cost,
  record ->> '$."data"."status"' AS status,
  record ->> '$."data"."voucherCode"' AS voucher_code,
  CAST(record ->> '$."data"."rewardValue"."amount"' AS DOUBLE) AS reward_value_amount,
  record ->> '$."data"."rewardValue"."currency"' AS reward_value_currency,
  record ->> '$."data"."rewardCategory"' AS reward_category,
  record ->> '$."data"."fulfilment"' AS fulfilment,
  record ->> '$."data"."campaignId"' AS campaign_id,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'reward.redeemed';

-- reward.fulfilled
CREATE OR REPLACE VIEW events_reward_fulfilled AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."redemptionId"' AS redemption_id,
  record ->> '$."data"."rewardId"' AS reward_id,
  record ->> '$."data"."reference"' AS reference,
  CAST(record ->> '$."data"."pointsCost"' AS BIGINT) AS points_cost,
  CAST(record ->> '$."data"."rewardValue"."amount"' AS DOUBLE) AS reward_value_amount,
  record ->> '$."data"."rewardValue"."currency"' AS reward_value_currency,
  record ->> '$."data"."rewardCategory"' AS reward_category,
  record ->> '$."data"."fulfilment"' AS fulfilment,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'reward.fulfilled';

-- reward.cancelled
CREATE OR REPLACE VIEW events_reward_cancelled AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."redemptionId"' AS redemption_id,
  record ->> '$."data"."rewardId"' AS reward_id,
  CAST(record ->> '$."data"."refundedPoints"' AS BIGINT) AS refunded_points,
  CAST(record ->> '$."data"."restocked"' AS BOOLEAN) AS restocked,
  record ->> '$."data"."reason"' AS reason,
  CAST(record ->> '$."data"."pointsCost"' AS BIGINT) AS points_cost,
  CAST(record ->> '$."data"."rewardValue"."amount"' AS DOUBLE) AS reward_value_amount,
  record ->> '$."data"."rewardValue"."currency"' AS reward_value_currency,
  record ->> '$."data"."rewardCategory"' AS reward_category,
  record ->> '$."data"."fulfilment"' AS fulfilment,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'reward.cancelled';

-- endpoint.disabled
CREATE OR REPLACE VIEW events_endpoint_disabled AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."endpointId"' AS endpoint_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."url"' AS url,
  record ->> '$."data"."reason"' AS reason,
  CAST(record ->> '$."data"."failingSince"' AS TIMESTAMP WITH TIME ZONE) AS failing_since,
  CAST(record ->> '$."data"."lastStatus"' AS BIGINT) AS last_status,
  record ->> '$."data"."lastError"' AS last_error
FROM events
WHERE event_type = 'endpoint.disabled';

-- audit.tenant.created
CREATE OR REPLACE VIEW events_audit_tenant_created AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.tenant.created';

-- audit.tenant.updated
CREATE OR REPLACE VIEW events_audit_tenant_updated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record -> '$."data"."changedFields"' AS changed_fields
FROM events
WHERE event_type = 'audit.tenant.updated';

-- audit.tenant.suspended
CREATE OR REPLACE VIEW events_audit_tenant_suspended AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.tenant.suspended';

-- audit.tenant.reactivated
CREATE OR REPLACE VIEW events_audit_tenant_reactivated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.tenant.reactivated';

-- audit.api_key.created
CREATE OR REPLACE VIEW events_audit_api_key_created AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record -> '$."data"."scopes"' AS scopes,
  CAST(record ->> '$."data"."expiresAt"' AS TIMESTAMP WITH TIME ZONE) AS expires_at
FROM events
WHERE event_type = 'audit.api_key.created';

-- audit.api_key.rotated
CREATE OR REPLACE VIEW events_audit_api_key_rotated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record ->> '$."data"."newCredentialId"' AS new_credential_id,
  CAST(record ->> '$."data"."overlapEndsAt"' AS TIMESTAMP WITH TIME ZONE) AS overlap_ends_at
FROM events
WHERE event_type = 'audit.api_key.rotated';

-- audit.api_key.revoked
CREATE OR REPLACE VIEW events_audit_api_key_revoked AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.api_key.revoked';

-- audit.oauth_client.created
CREATE OR REPLACE VIEW events_audit_oauth_client_created AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record -> '$."data"."scopes"' AS scopes
FROM events
WHERE event_type = 'audit.oauth_client.created';

-- audit.oauth_client.secret_rotated
CREATE OR REPLACE VIEW events_audit_oauth_client_secret_rotated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  CAST(record ->> '$."data"."overlapEndsAt"' AS TIMESTAMP WITH TIME ZONE) AS overlap_ends_at
FROM events
WHERE event_type = 'audit.oauth_client.secret_rotated';

-- audit.oauth_client.revoked
CREATE OR REPLACE VIEW events_audit_oauth_client_revoked AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.oauth_client.revoked';

-- audit.webhook_endpoint.created
CREATE OR REPLACE VIEW events_audit_webhook_endpoint_created AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record -> '$."data"."eventTypes"' AS event_types
FROM events
WHERE event_type = 'audit.webhook_endpoint.created';

-- audit.webhook_endpoint.updated
CREATE OR REPLACE VIEW events_audit_webhook_endpoint_updated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record -> '$."data"."changedFields"' AS changed_fields
FROM events
WHERE event_type = 'audit.webhook_endpoint.updated';

-- audit.webhook_endpoint.deleted
CREATE OR REPLACE VIEW events_audit_webhook_endpoint_deleted AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.webhook_endpoint.deleted';

-- audit.webhook_endpoint.secret_rotated
CREATE OR REPLACE VIEW events_audit_webhook_endpoint_secret_rotated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  CAST(record ->> '$."data"."overlapEndsAt"' AS TIMESTAMP WITH TIME ZONE) AS overlap_ends_at
FROM events
WHERE event_type = 'audit.webhook_endpoint.secret_rotated';

-- audit.programme.updated
CREATE OR REPLACE VIEW events_audit_programme_updated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  CAST(record ->> '$."data"."programmeVersion"' AS BIGINT) AS programme_version,
  record -> '$."data"."changedFields"' AS changed_fields
FROM events
WHERE event_type = 'audit.programme.updated';

-- audit.points.adjusted
CREATE OR REPLACE VIEW events_audit_points_adjusted AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record ->> '$."data"."entryId"' AS entry_id,
  CAST(record ->> '$."data"."amountPoints"' AS BIGINT) AS amount_points
FROM events
WHERE event_type = 'audit.points.adjusted';

-- audit.lake.settings_updated
CREATE OR REPLACE VIEW events_audit_lake_settings_updated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record -> '$."data"."changedFields"' AS changed_fields
FROM events
WHERE event_type = 'audit.lake.settings_updated';

-- audit.lake.pseudonym_key_revealed
CREATE OR REPLACE VIEW events_audit_lake_pseudonym_key_revealed AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.lake.pseudonym_key_revealed';

-- audit.event_consumer.created
CREATE OR REPLACE VIEW events_audit_event_consumer_created AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record -> '$."data"."types"' AS types
FROM events
WHERE event_type = 'audit.event_consumer.created';

-- audit.event_consumer.updated
CREATE OR REPLACE VIEW events_audit_event_consumer_updated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record -> '$."data"."changedFields"' AS changed_fields
FROM events
WHERE event_type = 'audit.event_consumer.updated';

-- audit.event_consumer.deleted
CREATE OR REPLACE VIEW events_audit_event_consumer_deleted AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.event_consumer.deleted';

-- audit.export.created
CREATE OR REPLACE VIEW events_audit_export_created AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record ->> '$."data"."dataset"' AS dataset,
  record ->> '$."data"."cadence"' AS cadence
FROM events
WHERE event_type = 'audit.export.created';

-- audit.export.updated
CREATE OR REPLACE VIEW events_audit_export_updated AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record -> '$."data"."changedFields"' AS changed_fields
FROM events
WHERE event_type = 'audit.export.updated';

-- audit.export.deleted
CREATE OR REPLACE VIEW events_audit_export_deleted AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.export.deleted';

-- audit.backfill.requested
CREATE OR REPLACE VIEW events_audit_backfill_requested AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  CAST(record ->> '$."data"."from"' AS TIMESTAMP WITH TIME ZONE) AS from,
  CAST(record ->> '$."data"."to"' AS TIMESTAMP WITH TIME ZONE) AS to,
  record -> '$."data"."targets"' AS targets,
  CAST(record ->> '$."data"."ratePerSecond"' AS BIGINT) AS rate_per_second
FROM events
WHERE event_type = 'audit.backfill.requested';

-- audit.backfill.cancelled
CREATE OR REPLACE VIEW events_audit_backfill_cancelled AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  CAST(record ->> '$."data"."eventsSent"' AS BIGINT) AS events_sent
FROM events
WHERE event_type = 'audit.backfill.cancelled';

-- audit.inbound_queue.created
CREATE OR REPLACE VIEW events_audit_inbound_queue_created AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id,
  record ->> '$."data"."accountId"' AS account_id,
  record -> '$."data"."scopes"' AS scopes
FROM events
WHERE event_type = 'audit.inbound_queue.created';

-- audit.inbound_queue.removed
CREATE OR REPLACE VIEW events_audit_inbound_queue_removed AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."actor"."kind"' AS actor_kind,
  record ->> '$."actor"."credentialId"' AS actor_credential_id,
  record ->> '$."data"."subject"."type"' AS subject_type,
  record ->> '$."data"."subject"."id"' AS subject_id
FROM events
WHERE event_type = 'audit.inbound_queue.removed';

-- platform.maintenance.scheduled
CREATE OR REPLACE VIEW events_platform_maintenance_scheduled AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."maintenanceId"' AS maintenance_id,
  record ->> '$."data"."summary"' AS summary,
  record ->> '$."data"."description"' AS description,
  record ->> '$."data"."impact"' AS impact,
  CAST(record ->> '$."data"."startsAt"' AS TIMESTAMP WITH TIME ZONE) AS starts_at,
  CAST(record ->> '$."data"."endsAt"' AS TIMESTAMP WITH TIME ZONE) AS ends_at,
  record ->> '$."data"."status"' AS status
FROM events
WHERE event_type = 'platform.maintenance.scheduled';

-- platform.maintenance.started
CREATE OR REPLACE VIEW events_platform_maintenance_started AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."maintenanceId"' AS maintenance_id,
  record ->> '$."data"."summary"' AS summary,
  record ->> '$."data"."description"' AS description,
  record ->> '$."data"."impact"' AS impact,
  CAST(record ->> '$."data"."startsAt"' AS TIMESTAMP WITH TIME ZONE) AS starts_at,
  CAST(record ->> '$."data"."endsAt"' AS TIMESTAMP WITH TIME ZONE) AS ends_at,
  record ->> '$."data"."status"' AS status
FROM events
WHERE event_type = 'platform.maintenance.started';

-- platform.maintenance.completed
CREATE OR REPLACE VIEW events_platform_maintenance_completed AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."maintenanceId"' AS maintenance_id,
  record ->> '$."data"."summary"' AS summary,
  record ->> '$."data"."description"' AS description,
  record ->> '$."data"."impact"' AS impact,
  CAST(record ->> '$."data"."startsAt"' AS TIMESTAMP WITH TIME ZONE) AS starts_at,
  CAST(record ->> '$."data"."endsAt"' AS TIMESTAMP WITH TIME ZONE) AS ends_at,
  record ->> '$."data"."status"' AS status
FROM events
WHERE event_type = 'platform.maintenance.completed';

-- platform.maintenance.cancelled
CREATE OR REPLACE VIEW events_platform_maintenance_cancelled AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."maintenanceId"' AS maintenance_id,
  record ->> '$."data"."summary"' AS summary,
  record ->> '$."data"."description"' AS description,
  record ->> '$."data"."impact"' AS impact,
  CAST(record ->> '$."data"."startsAt"' AS TIMESTAMP WITH TIME ZONE) AS starts_at,
  CAST(record ->> '$."data"."endsAt"' AS TIMESTAMP WITH TIME ZONE) AS ends_at,
  record ->> '$."data"."status"' AS status
FROM events
WHERE event_type = 'platform.maintenance.cancelled';

-- webhook.endpoint.disabled
CREATE OR REPLACE VIEW events_webhook_endpoint_disabled AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."subscriptionId"' AS subscription_id,
  record ->> '$."data"."reason"' AS reason,
  CAST(record ->> '$."data"."disabledAt"' AS TIMESTAMP WITH TIME ZONE) AS disabled_at
FROM events
WHERE event_type = 'webhook.endpoint.disabled';

-- webhook.dead_letters.growing
CREATE OR REPLACE VIEW events_webhook_dead_letters_growing AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."subscriptionId"' AS subscription_id,
  CAST(record ->> '$."data"."deadLetters"' AS BIGINT) AS dead_letters
FROM events
WHERE event_type = 'webhook.dead_letters.growing';

-- batch.completed
CREATE OR REPLACE VIEW events_batch_completed AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."batchId"' AS batch_id,
  CAST(record ->> '$."data"."total"' AS BIGINT) AS total,
  CAST(record ->> '$."data"."succeeded"' AS BIGINT) AS succeeded,
  CAST(record ->> '$."data"."failed"' AS BIGINT) AS failed,
  CAST(record ->> '$."data"."createdAt"' AS TIMESTAMP WITH TIME ZONE) AS created_at
FROM events
WHERE event_type = 'batch.completed';

-- member.imported
CREATE OR REPLACE VIEW events_member_imported AS
SELECT
  record ->> '$."id"' AS event_id,
  CAST(record ->> '$."version"' AS BIGINT) AS event_version,
  record ->> '$."tenantId"' AS tenant_id,
  record ->> '$."memberId"' AS member_id,
  CAST(record ->> '$."seq"' AS BIGINT) AS seq,
  CAST(record ->> '$."occurredAt"' AS TIMESTAMP WITH TIME ZONE) AS occurred_at,
  record ->> '$."correlationId"' AS correlation_id,
  record ->> '$."type"' AS event_type,
  record ->> '$."data"."entryId"' AS entry_id,
  CAST(record ->> '$."data"."asOf"' AS TIMESTAMP WITH TIME ZONE) AS as_of,
  CAST(record ->> '$."data"."amountPoints"' AS BIGINT) AS amount_points,
  record -> '$."data"."lots"' AS lots,
  CAST(record ->> '$."data"."expiredPoints"' AS BIGINT) AS expired_points,
  CAST(record ->> '$."data"."lifetimePoints"' AS BIGINT) AS lifetime_points,
  CAST(record ->> '$."data"."qualifyingPoints"' AS BIGINT) AS qualifying_points,
  record ->> '$."data"."tier"' AS tier,
  record ->> '$."data"."importId"' AS import_id,
  CAST(record ->> '$."data"."balance"."availablePoints"' AS BIGINT) AS balance_available_points,
  CAST(record ->> '$."data"."balance"."pendingPoints"' AS BIGINT) AS balance_pending_points,
  CAST(record ->> '$."data"."balance"."lifetimePoints"' AS BIGINT) AS balance_lifetime_points,
  record ->> '$."data"."balance"."tier"' AS balance_tier
FROM events
WHERE event_type = 'member.imported';
