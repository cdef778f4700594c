import type { Problem } from '../shared/problem';
import type { EarningResult } from './earning-rules';
import type { HistoryLine } from './history';
import type { Reply } from './idempotency';
import type { Balance, MemberProfile, Mutation } from './ledger';
import type { Offer } from './offers';
import type { ProgrammeSettings } from './programme';

/** A committed change and the programme it was planned under (its reply shows the balance after it). */
export interface CommittedChange {
  mutation: Mutation;
  settings: ProgrammeSettings;
}

/**
 * What a ledger command did, in the domain's terms. The API turns each into a status and a body
 * (`LedgerReplies`); the reply is kept with the change so a retry replays it.
 */
export type LedgerOutcome =
  /** A member enrolled (`created`), found already enrolled, or changed. */
  | { kind: 'member'; profile: MemberProfile; balance: Balance; created: boolean }
  /** Points earned, redeemed, adjusted or reversed. */
  | ({ kind: 'points' } & CommittedChange)
  /** A business transaction evaluated by the earning rules; `change` is null when they gave no points. */
  | { kind: 'transaction'; transactionId: string; earning: EarningResult; change: CommittedChange | null }
  /** A reward redeemed (`created`), fulfilled or cancelled: the redemption is the change's first. */
  | ({ kind: 'redemption'; created: boolean } & CommittedChange)
  | { kind: 'offer-viewed'; offerId: string; eventId: string }
  | { kind: 'offer-activated'; offer: Offer; activationCount: number; eventId: string }
  /** An imported history line recorded (it moves no balance). */
  | { kind: 'history'; line: HistoryLine }
  /** A business rule refused the command; the refusal is remembered for its key like any outcome. */
  | { kind: 'refused'; problem: Problem };

/** The API's rendering of outcomes: owned by the API, handed to the ledger service as a port. */
export interface LedgerReplies {
  reply(outcome: LedgerOutcome): Reply;
}
