import { randomBytes } from 'node:crypto';
import { checkContract } from './api-contract';
import type { RunningTwin } from './twin-process';

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/**
 * A tenant's client of the twin's API: the demo key, JSON bodies and a fresh Idempotency-Key on
 * every mutation unless `idempotent: false` (operations that take none).
 * @example const api = twinApi(twin); const { status, body } = await api('/v1/members', { body: { externalId: 'x' } });
 */
export function twinApi(twin: Pick<RunningTwin, 'apiUrl' | 'demo'>) {
  let counter = 0;
  return async function api<T = Record<string, unknown>>(
    path: string,
    init: { method?: string; body?: unknown; idempotent?: boolean; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const method = init.method ?? (init.body !== undefined ? 'POST' : 'GET');
    const response = await contractFetch(`${twin.apiUrl}${path}`, {
      method,
      headers: {
        'x-api-key': twin.demo.apiKey,
        'content-type': 'application/json',
        ...(method !== 'GET' && init.idempotent !== false
          ? { 'idempotency-key': `t-${process.pid}-${Date.now()}-${++counter}` }
          : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

/**
 * A client of the twin's API for tests that act as several callers (an operator, tenants): the caller's key on
 * each call, JSON bodies, a fresh Idempotency-Key on every write.
 * @example const call = keyedApi(twin); const { status } = await call(operatorKey, 'GET', '/admin/tenants');
 */
export function keyedApi(twin: Pick<RunningTwin, 'apiUrl'>) {
  return async function call<T = Record<string, unknown>>(
    key: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const response = await contractFetch(`${twin.apiUrl}${path}`, {
      method,
      headers: {
        'x-api-key': key,
        'content-type': 'application/json',
        ...(method === 'GET' ? {} : { 'idempotency-key': `k-${randomBytes(8).toString('hex')}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

/**
 * `fetch` for the twin's API: the answer is checked against its operation's contract
 * (`api-contract.ts`) before the caller sees it, and handed back as a Response to read as usual.
 * @example const answer = await contractFetch(`${twin.apiUrl}/v1/rewards`, { headers: { 'x-api-key': key } });
 */
export async function contractFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, init);
  const text = await response.text();
  checkContract({
    method: init.method ?? 'GET',
    path: new URL(url).pathname,
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
  });
  return new Response(text === '' ? null : text, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

export interface ReceivedHook {
  endpoint: string;
  webhookId: string;
  correlationId?: string;
  /** The `webhook-signature` header the receiver got. */
  signature?: string;
  verified: boolean;
  answered: number;
  body: {
    id: string;
    type: string;
    memberId?: string;
    seq: number;
    correlationId?: string;
    data: Record<string, unknown>;
  } | null;
}

/** What the twin's sample receiver got so far (optionally for one endpoint name). */
export async function receivedHooks(
  twin: Pick<RunningTwin, 'receiverUrl'>,
  endpoint?: string,
): Promise<ReceivedHook[]> {
  const { items } = (await (await fetch(`${twin.receiverUrl}/received`)).json()) as { items: ReceivedHook[] };
  return endpoint ? items.filter((item) => item.endpoint === endpoint) : items;
}

/** Configures a receiver endpoint: the secret it verifies with, and optionally an outage. */
export async function configureReceiver(
  twin: Pick<RunningTwin, 'receiverUrl'>,
  endpoint: string,
  config: { secrets?: string[]; failure?: { status: number; times?: number; retryAfter?: string } | null },
) {
  if (config.secrets) {
    await fetch(`${twin.receiverUrl}/hooks/${endpoint}/secrets`, {
      method: 'PUT',
      body: JSON.stringify({ secrets: config.secrets }),
    });
  }
  if (config.failure !== undefined) {
    await fetch(
      `${twin.receiverUrl}/hooks/${endpoint}/failure`,
      config.failure ? { method: 'PUT', body: JSON.stringify(config.failure) } : { method: 'DELETE' },
    );
  }
}
