import { assertWellFormedEvent, type LoyaltyEvent } from '../events';
import { newId } from '../../shared/ids';
import type { EndpointHealth } from './breaker';
import type { DisableDetail } from './ports';

/**
 * When the platform disables an endpoint on its own (a 410, or failing too long), it says why in
 * an `endpoint.disabled` event, with the endpoint's own `seq`.
 */

/** Why an endpoint that failed too long is disabled, from its health (which holds the last failure). */
export const failingDetail = (health: EndpointHealth): DisableDetail => ({
  reason: 'failing' as const,
  ...(health.failingSince ? { failingSince: health.failingSince } : {}),
  ...(health.lastStatus != null ? { lastStatus: health.lastStatus } : {}),
  ...(health.lastError ? { lastError: health.lastError } : {}),
});

/**
 * The `endpoint.disabled` event with the endpoint's next `seq`.
 * @example endpointDisabledEvent({ tenantId, subscriptionId, url, seq: 1, now, detail: { reason: 'gone', lastStatus:
 * 410 } })
 */
export function endpointDisabledEvent(input: {
  tenantId: string;
  subscriptionId: string;
  url: string;
  seq: number;
  now: Date;
  detail: DisableDetail;
}): LoyaltyEvent {
  const { detail } = input;
  const event: LoyaltyEvent = {
    id: newId('evt', input.now.getTime()),
    version: 1,
    tenantId: input.tenantId,
    endpointId: input.subscriptionId,
    seq: input.seq,
    occurredAt: input.now.toISOString(),
    ...(detail.correlationId !== undefined ? { correlationId: detail.correlationId } : {}),
    type: 'endpoint.disabled',
    data: {
      url: input.url,
      reason: detail.reason,
      ...(detail.failingSince ? { failingSince: detail.failingSince } : {}),
      ...(detail.lastStatus !== undefined ? { lastStatus: detail.lastStatus } : {}),
      // The platform's own diagnostic text, not a caller's: made well-formed rather than refused.
      ...(detail.lastError ? { lastError: detail.lastError.toWellFormed() } : {}),
    },
  };
  assertWellFormedEvent(event);
  return event;
}
