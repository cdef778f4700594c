/**
 * Bounding what one endpoint holds in flight on the FIFO delivery queue. SQS FIFO hands out
 * nothing, for every message group, once 120,000 messages of the queue are in flight, and a
 * failing endpoint's waiting heads (one per member) would otherwise all stay in flight for hours.
 * While its messages must wait, an endpoint keeps at most `maxWaiting` of them in flight (each
 * holds a slot); the rest are parked in the table, per member in order, and woken again one
 * chain head at a time. Pure rules only: the delivery worker and the parking store apply them.
 */

/** An endpoint keeps at most this many messages waiting in flight; the rest are parked. */
export const MAX_WAITING_PER_ENDPOINT = 100;
/** What the queue's in-flight budget is sized for: this many endpoints failing at the same time. */
export const ENDPOINTS_FAILING_AT_ONCE = 500;
/** SQS FIFO: in-flight messages per queue before receives return nothing for every group. */
export const SQS_FIFO_IN_FLIGHT_LIMIT = 120_000;

/**
 * A slot outlives the wait it covers by the queue's visibility timeout (360 s) and a minute: a
 * holder that crashed before its visibility change comes back within that, and a slot whose
 * holder never comes back (its endpoint was deleted) frees itself.
 */
export const SLOT_LEASE_MARGIN_SECONDS = 420;
/** A chain whose head was woken is not woken again by a sweep for this long (its copy is on the way). */
export const WAKE_GRACE_SECONDS = 60;

/** Why a message may not be attempted now. */
export type WaitReason =
  | 'breaker_open'
  | 'probe_in_flight'
  | 'paused'
  | 'probe_taken'
  | 'retry'
  | 'not_due'
  | 'rate_limited'
  | 'digest_window'
  | 'disable_raced'
  | 'tenant_suspended'
  | 'maintenance_window';

/**
 * Waits that last because the endpoint or the message is failing need a slot (or park); a rate
 * cap's second, a digest window's close and a lost disable race are short and need none.
 */
export const needsSlot = (reason: WaitReason): boolean =>
  reason !== 'rate_limited' && reason !== 'digest_window' && reason !== 'disable_raced';

/** A member's parked chain: items `head ≤ seq < tail` are parked, oldest first. */
export interface ParkedChain {
  head: number;
  tail: number;
}

export const chainLength = (chain: ParkedChain | null): number => (chain ? chain.tail - chain.head : 0);

/**
 * Where a wake-up copy for place `seq` stands: the chain's head acts; a later place stays parked
 * (the copy is a no-op); an earlier place was handled already (the copy is stale).
 */
export function chainTurn(chain: ParkedChain | null, seq: number): 'head' | 'behind' | 'handled' {
  if (!chain || seq < chain.head || seq >= chain.tail) return 'handled';
  return seq === chain.head ? 'head' : 'behind';
}

/** How long a slot is held for a wait of `waitSeconds`. */
export const slotLeaseSeconds = (waitSeconds: number): number => waitSeconds + SLOT_LEASE_MARGIN_SECONDS;

/** A non-empty parked chain as the sweep finds it. */
export interface ParkedChainRef extends ParkedChain {
  orderKey: string;
}
