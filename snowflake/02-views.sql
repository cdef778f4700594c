-- Generated from the event catalogue (functions/domain/events.ts) for Snowflake
-- by `npm run catalogue`: do not edit by hand.

CREATE OR REPLACE VIEW events AS
SELECT
  record:"id"::STRING AS event_id,
  record:"type"::STRING AS event_type,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record,
  file_name,
  loaded_at
FROM events_raw
QUALIFY ROW_NUMBER() OVER (PARTITION BY record:"id"::STRING ORDER BY loaded_at, file_name) = 1;

CREATE OR REPLACE VIEW member_balance_snapshots AS
SELECT
  tenant_id,
  member_id,
  seq,
  occurred_at,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS lifetime_points,
  record:"data":"balance":"tier"::STRING AS tier
FROM events
WHERE member_id IS NOT NULL;

-- member.enrolled
CREATE OR REPLACE VIEW events_member_enrolled AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"externalId"::STRING AS external_id,
  record:"data":"tier"::STRING AS tier,
  record:"data":"enrolledAt"::TIMESTAMP_TZ AS enrolled_at,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'member.enrolled';

-- member.updated
CREATE OR REPLACE VIEW events_member_updated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"changedFields" AS changed_fields,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'member.updated';

-- member.deactivated
CREATE OR REPLACE VIEW events_member_deactivated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"reason"::STRING AS reason,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'member.deactivated';

-- member.reactivated
CREATE OR REPLACE VIEW events_member_reactivated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'member.reactivated';

-- member.erased
CREATE OR REPLACE VIEW events_member_erased AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"forfeitedPoints"::NUMBER(38,0) AS forfeited_points,
  record:"data":"cancelledPendingPoints"::NUMBER(38,0) AS cancelled_pending_points,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'member.erased';

-- points.earned
CREATE OR REPLACE VIEW events_points_earned AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"entryId"::STRING AS entry_id,
  record:"data":"amountPoints"::NUMBER(38,0) AS amount_points,
  record:"data":"reason"::STRING AS reason,
  record:"data":"source"::STRING AS source,
  record:"data":"transactionId"::STRING AS transaction_id,
  record:"data":"transaction":"type"::STRING AS transaction_type,
  record:"data":"transaction":"amount"::FLOAT AS transaction_amount,
  record:"data":"transaction":"currency"::STRING AS transaction_currency,
  record:"data":"transaction":"category"::STRING AS transaction_category,
  record:"data":"transaction":"channel"::STRING AS transaction_channel,
  record:"data":"transaction":"occurredAt"::TIMESTAMP_TZ AS transaction_occurred_at,
  record:"data":"transaction":"lines" AS transaction_lines,
  record:"data":"rules" AS rules,
  record:"data":"campaignId"::STRING AS campaign_id,
  record:"data":"expiresAt"::TIMESTAMP_TZ AS expires_at,
  record:"data":"pending"::BOOLEAN AS pending,
  record:"data":"activatesAt"::TIMESTAMP_TZ AS activates_at,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'points.earned';

-- points.activated
CREATE OR REPLACE VIEW events_points_activated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"entryId"::STRING AS entry_id,
  record:"data":"earnEntryId"::STRING AS earn_entry_id,
  record:"data":"amountPoints"::NUMBER(38,0) AS amount_points,
  record:"data":"expiresAt"::TIMESTAMP_TZ AS expires_at,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'points.activated';

-- points.redeemed
CREATE OR REPLACE VIEW events_points_redeemed AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"entryId"::STRING AS entry_id,
  record:"data":"amountPoints"::NUMBER(38,0) AS amount_points,
  record:"data":"reason"::STRING AS reason,
  record:"data":"source"::STRING AS source,
  record:"data":"lots" AS lots,
  record:"data":"rewardId"::STRING AS reward_id,
  record:"data":"redemptionId"::STRING AS redemption_id,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'points.redeemed';

-- points.adjusted
CREATE OR REPLACE VIEW events_points_adjusted AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"entryId"::STRING AS entry_id,
  record:"data":"amountPoints"::NUMBER(38,0) AS amount_points,
  record:"data":"reason"::STRING AS reason,
  record:"data":"lots" AS lots,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'points.adjusted';

-- points.reversed
CREATE OR REPLACE VIEW events_points_reversed AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"entryId"::STRING AS entry_id,
  record:"data":"reversedEntryId"::STRING AS reversed_entry_id,
  record:"data":"reversedType"::STRING AS reversed_type,
  record:"data":"effect"::STRING AS effect,
  record:"data":"amountPoints"::NUMBER(38,0) AS amount_points,
  record:"data":"reason"::STRING AS reason,
  record:"data":"lots" AS lots,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'points.reversed';

-- points.expired
CREATE OR REPLACE VIEW events_points_expired AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"entryId"::STRING AS entry_id,
  record:"data":"amountPoints"::NUMBER(38,0) AS amount_points,
  record:"data":"lots" AS lots,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'points.expired';

-- points.expiring_soon
CREATE OR REPLACE VIEW events_points_expiring_soon AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"amountPoints"::NUMBER(38,0) AS amount_points,
  record:"data":"expiresAt"::TIMESTAMP_TZ AS expires_at,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'points.expiring_soon';

-- tier.promoted
CREATE OR REPLACE VIEW events_tier_promoted AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"fromTier"::STRING AS from_tier,
  record:"data":"toTier"::STRING AS to_tier,
  record:"data":"benefits":"earnMultiplier"::FLOAT AS benefits_earn_multiplier,
  record:"data":"benefits":"perks" AS benefits_perks,
  record:"data":"reviewAt"::TIMESTAMP_TZ AS review_at,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'tier.promoted';

-- tier.demoted
CREATE OR REPLACE VIEW events_tier_demoted AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"fromTier"::STRING AS from_tier,
  record:"data":"toTier"::STRING AS to_tier,
  record:"data":"benefits":"earnMultiplier"::FLOAT AS benefits_earn_multiplier,
  record:"data":"benefits":"perks" AS benefits_perks,
  record:"data":"reviewAt"::TIMESTAMP_TZ AS review_at,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'tier.demoted';

-- offer.viewed
CREATE OR REPLACE VIEW events_offer_viewed AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"offerId"::STRING AS offer_id,
  record:"data":"channel"::STRING AS channel,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'offer.viewed';

-- offer.activated
CREATE OR REPLACE VIEW events_offer_activated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"offerId"::STRING AS offer_id,
  record:"data":"activationCount"::NUMBER(38,0) AS activation_count,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'offer.activated';

-- reward.redeemed
CREATE OR REPLACE VIEW events_reward_redeemed AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"redemptionId"::STRING AS redemption_id,
  record:"data":"rewardId"::STRING AS reward_id,
  record:"data":"rewardName"::STRING AS reward_name,
  record:"data":"pointsCost"::NUMBER(38,0) AS points_cost,
  record:"data":"status"::STRING AS status,
  record:"data":"voucherCode"::STRING AS voucher_code,
  record:"data":"rewardValue":"amount"::FLOAT AS reward_value_amount,
  record:"data":"rewardValue":"currency"::STRING AS reward_value_currency,
  record:"data":"rewardCategory"::STRING AS reward_category,
  record:"data":"fulfilment"::STRING AS fulfilment,
  record:"data":"campaignId"::STRING AS campaign_id,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'reward.redeemed';

-- reward.fulfilled
CREATE OR REPLACE VIEW events_reward_fulfilled AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"redemptionId"::STRING AS redemption_id,
  record:"data":"rewardId"::STRING AS reward_id,
  record:"data":"reference"::STRING AS reference,
  record:"data":"pointsCost"::NUMBER(38,0) AS points_cost,
  record:"data":"rewardValue":"amount"::FLOAT AS reward_value_amount,
  record:"data":"rewardValue":"currency"::STRING AS reward_value_currency,
  record:"data":"rewardCategory"::STRING AS reward_category,
  record:"data":"fulfilment"::STRING AS fulfilment,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'reward.fulfilled';

-- reward.cancelled
CREATE OR REPLACE VIEW events_reward_cancelled AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"redemptionId"::STRING AS redemption_id,
  record:"data":"rewardId"::STRING AS reward_id,
  record:"data":"refundedPoints"::NUMBER(38,0) AS refunded_points,
  record:"data":"restocked"::BOOLEAN AS restocked,
  record:"data":"reason"::STRING AS reason,
  record:"data":"pointsCost"::NUMBER(38,0) AS points_cost,
  record:"data":"rewardValue":"amount"::FLOAT AS reward_value_amount,
  record:"data":"rewardValue":"currency"::STRING AS reward_value_currency,
  record:"data":"rewardCategory"::STRING AS reward_category,
  record:"data":"fulfilment"::STRING AS fulfilment,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'reward.cancelled';

-- endpoint.disabled
CREATE OR REPLACE VIEW events_endpoint_disabled AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"endpointId"::STRING AS endpoint_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"url"::STRING AS url,
  record:"data":"reason"::STRING AS reason,
  record:"data":"failingSince"::TIMESTAMP_TZ AS failing_since,
  record:"data":"lastStatus"::NUMBER(38,0) AS last_status,
  record:"data":"lastError"::STRING AS last_error
FROM events
WHERE event_type = 'endpoint.disabled';

-- audit.tenant.created
CREATE OR REPLACE VIEW events_audit_tenant_created AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.tenant.created';

-- audit.tenant.updated
CREATE OR REPLACE VIEW events_audit_tenant_updated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"changedFields" AS changed_fields
FROM events
WHERE event_type = 'audit.tenant.updated';

-- audit.tenant.suspended
CREATE OR REPLACE VIEW events_audit_tenant_suspended AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.tenant.suspended';

-- audit.tenant.reactivated
CREATE OR REPLACE VIEW events_audit_tenant_reactivated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.tenant.reactivated';

-- audit.api_key.created
CREATE OR REPLACE VIEW events_audit_api_key_created AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"scopes" AS scopes,
  record:"data":"expiresAt"::TIMESTAMP_TZ AS expires_at
FROM events
WHERE event_type = 'audit.api_key.created';

-- audit.api_key.rotated
CREATE OR REPLACE VIEW events_audit_api_key_rotated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"newCredentialId"::STRING AS new_credential_id,
  record:"data":"overlapEndsAt"::TIMESTAMP_TZ AS overlap_ends_at
FROM events
WHERE event_type = 'audit.api_key.rotated';

-- audit.api_key.revoked
CREATE OR REPLACE VIEW events_audit_api_key_revoked AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.api_key.revoked';

-- audit.oauth_client.created
CREATE OR REPLACE VIEW events_audit_oauth_client_created AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"scopes" AS scopes
FROM events
WHERE event_type = 'audit.oauth_client.created';

-- audit.oauth_client.secret_rotated
CREATE OR REPLACE VIEW events_audit_oauth_client_secret_rotated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"overlapEndsAt"::TIMESTAMP_TZ AS overlap_ends_at
FROM events
WHERE event_type = 'audit.oauth_client.secret_rotated';

-- audit.oauth_client.revoked
CREATE OR REPLACE VIEW events_audit_oauth_client_revoked AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.oauth_client.revoked';

-- audit.webhook_endpoint.created
CREATE OR REPLACE VIEW events_audit_webhook_endpoint_created AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"eventTypes" AS event_types
FROM events
WHERE event_type = 'audit.webhook_endpoint.created';

-- audit.webhook_endpoint.updated
CREATE OR REPLACE VIEW events_audit_webhook_endpoint_updated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"changedFields" AS changed_fields
FROM events
WHERE event_type = 'audit.webhook_endpoint.updated';

-- audit.webhook_endpoint.deleted
CREATE OR REPLACE VIEW events_audit_webhook_endpoint_deleted AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.webhook_endpoint.deleted';

-- audit.webhook_endpoint.secret_rotated
CREATE OR REPLACE VIEW events_audit_webhook_endpoint_secret_rotated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"overlapEndsAt"::TIMESTAMP_TZ AS overlap_ends_at
FROM events
WHERE event_type = 'audit.webhook_endpoint.secret_rotated';

-- audit.programme.updated
CREATE OR REPLACE VIEW events_audit_programme_updated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"programmeVersion"::NUMBER(38,0) AS programme_version,
  record:"data":"changedFields" AS changed_fields
FROM events
WHERE event_type = 'audit.programme.updated';

-- audit.points.adjusted
CREATE OR REPLACE VIEW events_audit_points_adjusted AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"entryId"::STRING AS entry_id,
  record:"data":"amountPoints"::NUMBER(38,0) AS amount_points
FROM events
WHERE event_type = 'audit.points.adjusted';

-- audit.lake.settings_updated
CREATE OR REPLACE VIEW events_audit_lake_settings_updated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"changedFields" AS changed_fields
FROM events
WHERE event_type = 'audit.lake.settings_updated';

-- audit.lake.pseudonym_key_revealed
CREATE OR REPLACE VIEW events_audit_lake_pseudonym_key_revealed AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.lake.pseudonym_key_revealed';

-- audit.event_consumer.created
CREATE OR REPLACE VIEW events_audit_event_consumer_created AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"types" AS types
FROM events
WHERE event_type = 'audit.event_consumer.created';

-- audit.event_consumer.updated
CREATE OR REPLACE VIEW events_audit_event_consumer_updated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"changedFields" AS changed_fields
FROM events
WHERE event_type = 'audit.event_consumer.updated';

-- audit.event_consumer.deleted
CREATE OR REPLACE VIEW events_audit_event_consumer_deleted AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.event_consumer.deleted';

-- audit.export.created
CREATE OR REPLACE VIEW events_audit_export_created AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"dataset"::STRING AS dataset,
  record:"data":"cadence"::STRING AS cadence
FROM events
WHERE event_type = 'audit.export.created';

-- audit.export.updated
CREATE OR REPLACE VIEW events_audit_export_updated AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"changedFields" AS changed_fields
FROM events
WHERE event_type = 'audit.export.updated';

-- audit.export.deleted
CREATE OR REPLACE VIEW events_audit_export_deleted AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.export.deleted';

-- audit.backfill.requested
CREATE OR REPLACE VIEW events_audit_backfill_requested AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"from"::TIMESTAMP_TZ AS from,
  record:"data":"to"::TIMESTAMP_TZ AS to,
  record:"data":"targets" AS targets,
  record:"data":"ratePerSecond"::NUMBER(38,0) AS rate_per_second
FROM events
WHERE event_type = 'audit.backfill.requested';

-- audit.backfill.cancelled
CREATE OR REPLACE VIEW events_audit_backfill_cancelled AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"eventsSent"::NUMBER(38,0) AS events_sent
FROM events
WHERE event_type = 'audit.backfill.cancelled';

-- audit.inbound_queue.created
CREATE OR REPLACE VIEW events_audit_inbound_queue_created AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id,
  record:"data":"accountId"::STRING AS account_id,
  record:"data":"scopes" AS scopes
FROM events
WHERE event_type = 'audit.inbound_queue.created';

-- audit.inbound_queue.removed
CREATE OR REPLACE VIEW events_audit_inbound_queue_removed AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"actor":"kind"::STRING AS actor_kind,
  record:"actor":"credentialId"::STRING AS actor_credential_id,
  record:"data":"subject":"type"::STRING AS subject_type,
  record:"data":"subject":"id"::STRING AS subject_id
FROM events
WHERE event_type = 'audit.inbound_queue.removed';

-- platform.maintenance.scheduled
CREATE OR REPLACE VIEW events_platform_maintenance_scheduled AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"maintenanceId"::STRING AS maintenance_id,
  record:"data":"summary"::STRING AS summary,
  record:"data":"description"::STRING AS description,
  record:"data":"impact"::STRING AS impact,
  record:"data":"startsAt"::TIMESTAMP_TZ AS starts_at,
  record:"data":"endsAt"::TIMESTAMP_TZ AS ends_at,
  record:"data":"status"::STRING AS status
FROM events
WHERE event_type = 'platform.maintenance.scheduled';

-- platform.maintenance.started
CREATE OR REPLACE VIEW events_platform_maintenance_started AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"maintenanceId"::STRING AS maintenance_id,
  record:"data":"summary"::STRING AS summary,
  record:"data":"description"::STRING AS description,
  record:"data":"impact"::STRING AS impact,
  record:"data":"startsAt"::TIMESTAMP_TZ AS starts_at,
  record:"data":"endsAt"::TIMESTAMP_TZ AS ends_at,
  record:"data":"status"::STRING AS status
FROM events
WHERE event_type = 'platform.maintenance.started';

-- platform.maintenance.completed
CREATE OR REPLACE VIEW events_platform_maintenance_completed AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"maintenanceId"::STRING AS maintenance_id,
  record:"data":"summary"::STRING AS summary,
  record:"data":"description"::STRING AS description,
  record:"data":"impact"::STRING AS impact,
  record:"data":"startsAt"::TIMESTAMP_TZ AS starts_at,
  record:"data":"endsAt"::TIMESTAMP_TZ AS ends_at,
  record:"data":"status"::STRING AS status
FROM events
WHERE event_type = 'platform.maintenance.completed';

-- platform.maintenance.cancelled
CREATE OR REPLACE VIEW events_platform_maintenance_cancelled AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"maintenanceId"::STRING AS maintenance_id,
  record:"data":"summary"::STRING AS summary,
  record:"data":"description"::STRING AS description,
  record:"data":"impact"::STRING AS impact,
  record:"data":"startsAt"::TIMESTAMP_TZ AS starts_at,
  record:"data":"endsAt"::TIMESTAMP_TZ AS ends_at,
  record:"data":"status"::STRING AS status
FROM events
WHERE event_type = 'platform.maintenance.cancelled';

-- webhook.endpoint.disabled
CREATE OR REPLACE VIEW events_webhook_endpoint_disabled AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"subscriptionId"::STRING AS subscription_id,
  record:"data":"reason"::STRING AS reason,
  record:"data":"disabledAt"::TIMESTAMP_TZ AS disabled_at
FROM events
WHERE event_type = 'webhook.endpoint.disabled';

-- webhook.dead_letters.growing
CREATE OR REPLACE VIEW events_webhook_dead_letters_growing AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"subscriptionId"::STRING AS subscription_id,
  record:"data":"deadLetters"::NUMBER(38,0) AS dead_letters
FROM events
WHERE event_type = 'webhook.dead_letters.growing';

-- batch.completed
CREATE OR REPLACE VIEW events_batch_completed AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"batchId"::STRING AS batch_id,
  record:"data":"total"::NUMBER(38,0) AS total,
  record:"data":"succeeded"::NUMBER(38,0) AS succeeded,
  record:"data":"failed"::NUMBER(38,0) AS failed,
  record:"data":"createdAt"::TIMESTAMP_TZ AS created_at
FROM events
WHERE event_type = 'batch.completed';

-- member.imported
CREATE OR REPLACE VIEW events_member_imported AS
SELECT
  record:"id"::STRING AS event_id,
  record:"version"::NUMBER(38,0) AS event_version,
  record:"tenantId"::STRING AS tenant_id,
  record:"memberId"::STRING AS member_id,
  record:"seq"::NUMBER(38,0) AS seq,
  record:"occurredAt"::TIMESTAMP_TZ AS occurred_at,
  record:"correlationId"::STRING AS correlation_id,
  record:"type"::STRING AS event_type,
  record:"data":"entryId"::STRING AS entry_id,
  record:"data":"asOf"::TIMESTAMP_TZ AS as_of,
  record:"data":"amountPoints"::NUMBER(38,0) AS amount_points,
  record:"data":"lots" AS lots,
  record:"data":"expiredPoints"::NUMBER(38,0) AS expired_points,
  record:"data":"lifetimePoints"::NUMBER(38,0) AS lifetime_points,
  record:"data":"qualifyingPoints"::NUMBER(38,0) AS qualifying_points,
  record:"data":"tier"::STRING AS tier,
  record:"data":"importId"::STRING AS import_id,
  record:"data":"balance":"availablePoints"::NUMBER(38,0) AS balance_available_points,
  record:"data":"balance":"pendingPoints"::NUMBER(38,0) AS balance_pending_points,
  record:"data":"balance":"lifetimePoints"::NUMBER(38,0) AS balance_lifetime_points,
  record:"data":"balance":"tier"::STRING AS balance_tier
FROM events
WHERE event_type = 'member.imported';
