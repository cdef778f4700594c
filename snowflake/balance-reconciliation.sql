-- Balance reconciliation: for every member, the sum of the points deltas its events carry against the balance
-- snapshot of its latest event. Rows come back only for members whose two figures disagree: an empty result
-- means the lake holds every points movement exactly once. Plain SQL over the views (02-views.sql), so it runs
-- unchanged in Snowflake and in DuckDB.
--
-- Points move only through points.* events and member.erased (reward.redeemed and reward.cancelled come with the
-- points.redeemed and points.reversed events of the same commit, which carry the points).
WITH deltas AS (
  SELECT tenant_id, member_id,
    CASE WHEN pending THEN 0 ELSE amount_points END AS available_delta,
    CASE WHEN pending THEN amount_points ELSE 0 END AS pending_delta
  FROM events_points_earned
  UNION ALL
  SELECT tenant_id, member_id, amount_points, -amount_points FROM events_points_activated
  UNION ALL
  SELECT tenant_id, member_id, -amount_points, 0 FROM events_points_redeemed
  UNION ALL
  SELECT tenant_id, member_id, amount_points, 0 FROM events_points_adjusted
  UNION ALL
  SELECT tenant_id, member_id,
    CASE effect WHEN 'clawback' THEN -amount_points WHEN 'refund' THEN amount_points ELSE 0 END,
    CASE effect WHEN 'pending_cancelled' THEN -amount_points ELSE 0 END
  FROM events_points_reversed
  UNION ALL
  SELECT tenant_id, member_id, -amount_points, 0 FROM events_points_expired
  UNION ALL
  SELECT tenant_id, member_id, -forfeited_points, -cancelled_pending_points FROM events_member_erased
),
summed AS (
  SELECT tenant_id, member_id, SUM(available_delta) AS available_from_deltas, SUM(pending_delta) AS pending_from_deltas
  FROM deltas
  GROUP BY tenant_id, member_id
),
latest AS (
  SELECT tenant_id, member_id, seq, available_points, pending_points
  FROM member_balance_snapshots
  QUALIFY ROW_NUMBER() OVER (PARTITION BY tenant_id, member_id ORDER BY seq DESC) = 1
)
SELECT
  latest.tenant_id,
  latest.member_id,
  latest.seq AS latest_seq,
  latest.available_points,
  COALESCE(summed.available_from_deltas, 0) AS available_from_deltas,
  latest.pending_points,
  COALESCE(summed.pending_from_deltas, 0) AS pending_from_deltas
FROM latest
LEFT JOIN summed ON summed.tenant_id = latest.tenant_id AND summed.member_id = latest.member_id
WHERE latest.available_points <> COALESCE(summed.available_from_deltas, 0)
   OR latest.pending_points <> COALESCE(summed.pending_from_deltas, 0)
ORDER BY latest.tenant_id, latest.member_id;
