import type { Sent } from './session';
import { tally, type Delivery, type Tally } from './tally';

/** What each scenario gives back: figures for the JSON, lines for the screen, and why it failed (empty: passed). */
export interface ScenarioResult {
  figures: Record<string, unknown>;
  lines: string[];
  failures: string[];
}

/** The tally of what was sent so far against the demo endpoint. */
export function measure(sent: Sent[], deliveries: Delivery[], endpoints = ['demo']) {
  const committed = sent.flatMap((s) => (s.eventId ? [{ eventId: s.eventId, memberId: s.memberId }] : []));
  return tally({ sent: sent.length, committed, endpoints, deliveries });
}

export const describe = (t: Tally) =>
  `sent ${t.sent}, committed ${t.committed}, delivered ${t.delivered} (distinct webhook-id), ` +
  `duplicates ${t.duplicates}, lost ${t.lost}, order inversions ${t.inversions}`;

export const prefixed = (name: string, t: Tally) =>
  Object.fromEntries(Object.entries(t).map(([key, value]) => [`${name}_${key}`, value]));

export const pct = (rate: number) => `${Math.round(rate * 1000) / 10} %`;
