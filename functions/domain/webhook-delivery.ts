import type { LoyaltyEvent } from './events';
import type { WebhookSubscription } from './ports';
import { webhookBody } from './webhook-message';
import { signedHeaders } from './webhook-signature';

export interface AttemptResult {
  ok: boolean;
  status?: number;
  durationMs: number;
  error?: string;
}

/**
 * One signed POST of one event to one endpoint. Only 2xx counts as delivered; redirects are not
 * followed (a 3xx is a failure), and the timeout is explicit.
 */
export async function attemptDelivery(input: {
  subscription: WebhookSubscription;
  event: LoyaltyEvent;
  timeoutMs: number;
  nowSeconds?: number;
}): Promise<AttemptResult> {
  const body = webhookBody(input.event);
  const headers = signedHeaders({
    secrets: input.subscription.secrets,
    id: input.event.id,
    timestampSeconds: input.nowSeconds ?? Math.floor(Date.now() / 1000),
    body,
  });
  const started = performance.now();
  try {
    const response = await fetch(input.subscription.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'LoyaltyLedger-Webhooks/1.0', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(input.timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    const durationMs = Math.round(performance.now() - started);
    return { ok: response.status >= 200 && response.status < 300, status: response.status, durationMs };
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    const name = (error as Error).name;
    return { ok: false, durationMs, error: name === 'TimeoutError' ? `timed out after ${input.timeoutMs} ms` : (error as Error).message };
  }
}
