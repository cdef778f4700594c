import * as z from '../shared/zod';
import type { IdempotencyContext, Reply } from '../domain/idempotency';
import { changedFieldNames } from '../domain/audit';
import type { LedgerEntry } from '../domain/ledger';
import type { LedgerService } from '../domain/ledger-service';
import { offerRequest, type Offer } from '../domain/offers';
import { campaignRequest, rewardRequest } from '../domain/rewards';
import { businessTransaction } from '../domain/earning-rules';
import { programmeSettings, type Programme } from '../domain/programme';
import { Problem } from '../shared/problem';
import { campaignView, rewardView } from './catalogue-views';
import { header } from './http';
import {
  balanceAsOfView,
  balanceView,
  earningView,
  entryView,
  memberView,
  offerView,
  pageView,
  redemptionView,
} from './ledger-views';
import { pathParam, problem, type Operation, type OperationContext, type Services } from './operation-kit';
import { commandOperation, readOperation, writeOperation, type OperationHead } from './operation-shapes';
import * as s from './schemas';
import { auditOperations, recordAudit } from './audit-operations';
import { feedOperations } from './feed-operations';
import { oauthClientOperations } from './oauth-client-operations';
import { webhookOperations } from './webhook-operations';
import { lakeOperations } from './lake-operations';
import { exportOperations } from './export-operations';
import { apiKeyOperations } from './api-key-operations';
import { adminOperations } from './admin-operations';
import { eventConsumerOperations } from './event-consumer-operations';
import { backfillOperations } from './backfill-operations';
import { maintenanceOperations } from './maintenance-operations';
import { endpointMaintenanceOperations } from './endpoint-maintenance-operations';
import { batchOperations } from './batch-operations';
import { historyOperations } from './history-operations';
import { inboundQueueOperations } from './inbound-queue-operations';
import { importOperations } from './import-operations';

export { principalFromContext } from '../domain/credentials';
export {
  OPERATOR_SCOPE,
  TENANT_SCOPES,
  type Operation,
  type OperationContext,
  type Scope,
  type Services,
  type TenantScope,
} from './operation-kit';

const memberErrors = { 404: problem('No such member'), 410: problem('The member was erased') };

const programmeView = (programme: Programme) => ({
  settings: programme.settings,
  version: programme.version,
  updatedAt: programme.updatedAt,
});
const programmeResponse = z.object({
  settings: programmeSettings,
  version: z
    .number()
    .check(z.int(), z.describe('Send it back in If-Match to update without overwriting a concurrent change')),
  updatedAt: z.nullable(z.string()),
});

async function requireOffer(services: Services, tenantId: string, offerId: string): Promise<Offer> {
  const offer = await services.offers.get(tenantId, offerId);
  if (!offer) throw new Problem('offer_not_found', `No offer ${offerId}`);
  return offer;
}

/** What a command on one member runs with: the request's context, the member named by the path, body and key. */
interface MemberCommand<B> extends OperationContext {
  ledger: LedgerService;
  memberId: string;
  idem: IdempotencyContext;
  body: B;
}

const memberCommand = <B>(ctx: OperationContext, body: B, idem: IdempotencyContext): MemberCommand<B> => ({
  ...ctx,
  ledger: ctx.services.ledger,
  memberId: pathParam(ctx.event, 'memberId'),
  idem,
  body,
});

/**
 * A committed adjustment goes to the audit trail. Recorded after the ledger commit, keyed by its entry:
 * a retry with the same Idempotency-Key replays the same entry and so the same audit event, which also
 * fills the trail in had the first attempt stopped between the commit and the record.
 */
async function auditAdjustment(command: MemberCommand<unknown>, reply: Reply): Promise<void> {
  const entry = reply.statusCode === 201 ? (reply.body as { entry?: LedgerEntry }).entry : undefined;
  if (!entry) return;
  const { entryId, amountPoints, createdAt } = entry;
  await recordAudit(
    command,
    'audit.points.adjusted',
    command.memberId,
    { entryId, amountPoints },
    {
      at: createdAt,
      key: entryId,
    },
  );
}

/** A points command on one member: validated body, Idempotency-Key, 201 with the entry and balance. */
function pointsOperation<S extends z.ZodMiniType>(
  spec: Omit<OperationHead, 'tag'> & {
    request: S;
    extraErrors?: Operation['responses'];
    run: (command: MemberCommand<z.output<S>>) => Promise<Reply>;
  },
): Operation {
  const { extraErrors, run, ...head } = spec;
  return commandOperation({
    ...head,
    tag: 'Points',
    responses: { 201: { description: 'Committed', schema: s.pointsResponse }, ...memberErrors, ...extraErrors },
    run: (ctx, body, idem) => run(memberCommand(ctx, body, idem)),
  });
}

/** A change of one member's profile or status: Idempotency-Key, 200 with the member. */
function memberOperation<S extends z.ZodMiniType>(
  spec: Omit<OperationHead, 'tag'> & {
    method: 'POST' | 'PATCH';
    request: S;
    run: (command: MemberCommand<z.output<S>>) => Promise<Reply>;
  },
): Operation {
  const { run, ...head } = spec;
  return commandOperation({
    ...head,
    tag: 'Members',
    responses: { 200: { description: 'The member after the change', schema: s.memberResponse }, ...memberErrors },
    run: (ctx, body, idem) => run(memberCommand(ctx, body, idem)),
  });
}

/** A change of one redemption of a member: Idempotency-Key, 200 with the redemption, 422 when refused. */
function redemptionOperation<S extends z.ZodMiniType>(
  spec: Pick<OperationHead, 'path' | 'operationId' | 'summary'> & {
    request: S;
    done: string;
    refused: string;
    run: (command: MemberCommand<z.output<S>> & { redemptionId: string }) => Promise<Reply>;
  },
): Operation {
  const { done, refused, run, ...head } = spec;
  return commandOperation({
    ...head,
    tag: 'Rewards',
    scope: 'points:write',
    responses: {
      200: { description: done, schema: s.redemptionChangeResponse },
      404: problem('No such member or redemption'),
      410: problem('The member was erased'),
      422: problem(refused),
    },
    run: (ctx, body, idem) =>
      run({ ...memberCommand(ctx, body, idem), redemptionId: pathParam(ctx.event, 'redemptionId') }),
  });
}

export const operations: Operation[] = [
  commandOperation({
    path: '/v1/members',
    operationId: 'enrolMember',
    summary: 'Enrol a member (idempotent by external id)',
    tag: 'Members',
    scope: 'members:write',
    request: s.enrolRequest,
    responses: {
      201: { description: 'Enrolled', schema: s.memberResponse },
      200: { description: 'Already enrolled under this external id', schema: s.memberResponse },
    },
    run: ({ tenantId, services }, body, idem) => services.ledger.enrol(tenantId, idem, body),
  }),
  readOperation({
    path: '/v1/members',
    operationId: 'listMembers',
    summary: 'List members in enrolment order, a page at a time',
    tag: 'Members',
    scope: 'members:read',
    query: s.memberListQuery,
    ok: { description: 'A page of members', schema: s.memberListResponse },
    read: async ({ tenantId, services }, query) =>
      pageView(await services.ledger.listMembers(tenantId, query), (m) => memberView(m.profile, m.balance)),
  }),
  readOperation({
    path: '/v1/members/{memberId}',
    operationId: 'getMember',
    summary: 'Get a member',
    tag: 'Members',
    scope: 'members:read',
    ok: { description: 'The member', schema: s.memberResponse },
    notFound: 'No such member',
    read: async ({ event, tenantId, services }) => {
      const { profile, balance } = await services.ledger.getMember(tenantId, pathParam(event, 'memberId'));
      return memberView(profile, balance);
    },
  }),
  memberOperation({
    method: 'PATCH',
    path: '/v1/members/{memberId}',
    operationId: 'updateMember',
    summary: 'Update profile fields (merge patch; null removes a field)',
    scope: 'members:write',
    request: s.profilePatchRequest,
    run: ({ ledger, tenantId, memberId, idem, body }) => ledger.updateProfile(tenantId, memberId, idem, body),
  }),
  memberOperation({
    method: 'POST',
    path: '/v1/members/{memberId}/deactivate',
    operationId: 'deactivateMember',
    summary: 'Deactivate a member: no earning or redeeming until reactivated',
    scope: 'members:write',
    request: s.statusRequest,
    run: ({ ledger, tenantId, memberId, idem, body }) =>
      ledger.setStatus(tenantId, memberId, idem, 'inactive', body.reason),
  }),
  memberOperation({
    method: 'POST',
    path: '/v1/members/{memberId}/reactivate',
    operationId: 'reactivateMember',
    summary: 'Reactivate a deactivated member',
    scope: 'members:write',
    request: s.statusRequest,
    run: ({ ledger, tenantId, memberId, idem }) => ledger.setStatus(tenantId, memberId, idem, 'active'),
  }),
  memberOperation({
    method: 'POST',
    path: '/v1/members/{memberId}/erase',
    operationId: 'eraseMember',
    summary: 'Erase personal data on request; remaining points are forfeited, the ledger stays consistent',
    scope: 'members:erase',
    request: z.strictObject({}),
    run: ({ ledger, tenantId, memberId, idem }) => ledger.erase(tenantId, memberId, idem),
  }),
  readOperation({
    path: '/v1/members/{memberId}/balance',
    operationId: 'getBalance',
    summary: "Read a member's balance: available, pending, lifetime, expiring soon, lots; or as of a past instant",
    tag: 'Points',
    scope: 'members:read',
    query: s.balanceQuery,
    ok: {
      description: 'The balance (with asOf: the balance at that instant)',
      schema: z.union([s.balanceResponse, s.balanceAsOfResponse]),
    },
    notFound: 'No such member',
    read: async ({ event, tenantId, services }, { asOf }) => {
      const memberId = pathParam(event, 'memberId');
      if (asOf) return balanceAsOfView(memberId, asOf, await services.ledger.lastEntryAt(tenantId, memberId, asOf));
      const balance = await services.ledger.getBalance(tenantId, memberId);
      return balanceView(balance, await services.ledger.settings(tenantId), services.clock.now());
    },
  }),
  readOperation({
    path: '/v1/members/{memberId}/entries',
    operationId: 'listEntries',
    summary: "A member's ledger history, newest first by default, filtered by type and time",
    tag: 'Points',
    scope: 'members:read',
    query: s.entryListQuery,
    ok: { description: 'A page of ledger entries', schema: s.entryListResponse },
    notFound: 'No such member',
    read: async ({ event, tenantId, services }, { type, ...query }) =>
      pageView(
        await services.ledger.listEntries(tenantId, pathParam(event, 'memberId'), {
          ...query,
          ...(type ? { types: type } : {}),
        }),
        entryView,
      ),
  }),
  pointsOperation({
    path: '/v1/members/{memberId}/points/earn',
    operationId: 'earnPoints',
    summary: 'Credit points (available now or held as pending)',
    scope: 'points:write',
    request: s.earnRequest,
    extraErrors: {
      404: problem('No such member or campaign'),
      422: problem('The campaign is closed or its budget cannot fund the points'),
    },
    run: async ({ ledger, tenantId, memberId, idem, body: { campaignId, ...command }, services }) =>
      ledger.earn(
        tenantId,
        memberId,
        idem,
        command,
        campaignId ? await services.catalogue.requireCampaign(tenantId, campaignId) : undefined,
      ),
  }),
  commandOperation({
    path: '/v1/members/{memberId}/transactions',
    operationId: 'postTransaction',
    summary:
      "Post a business transaction (purchase, stay, booking); the tenant's earning rules turn it into points, " +
      'once per transaction id',
    tag: 'Points',
    scope: 'points:write',
    request: businessTransaction,
    responses: {
      201: { description: 'Points earned', schema: s.transactionResponse },
      200: { description: 'The rules gave no points (nothing recorded)', schema: s.transactionResponse },
      ...memberErrors,
      409: problem('Idempotency-Key reused, or the transaction id has earned already'),
    },
    run: ({ event, tenantId, services }, body, idem) =>
      services.ledger.postTransaction(tenantId, pathParam(event, 'memberId'), idem, body),
  }),
  writeOperation({
    method: 'POST',
    path: '/v1/members/{memberId}/transactions/preview',
    operationId: 'previewTransaction',
    summary: 'Dry run: what a business transaction would earn now, with the rules applied; records nothing',
    tag: 'Points',
    scope: 'members:read',
    request: businessTransaction,
    responses: {
      200: { description: 'The earning', schema: s.transactionPreviewResponse },
      404: problem('No such member'),
    },
    run: async ({ event, tenantId, services }, tx) => {
      const memberId = pathParam(event, 'memberId');
      const { transactionId, earning } = await services.ledger.previewTransaction(tenantId, memberId, tx);
      return { statusCode: 200, body: { transactionId, earning: earningView(earning) } };
    },
  }),
  pointsOperation({
    path: '/v1/members/{memberId}/points/redeem',
    operationId: 'redeemPoints',
    summary: 'Spend points, soonest-expiring first; never below zero',
    scope: 'points:write',
    request: s.redeemRequest,
    extraErrors: { 422: problem('Not enough points') },
    run: ({ ledger, tenantId, memberId, idem, body }) => ledger.redeem(tenantId, memberId, idem, body),
  }),
  pointsOperation({
    path: '/v1/members/{memberId}/points/adjust',
    operationId: 'adjustPoints',
    summary: 'Correct a balance (admin): signed amount, mandatory reason',
    scope: 'points:adjust',
    request: s.adjustRequest,
    extraErrors: { 422: problem('Not enough points for a debit') },
    run: async (command) => {
      const { ledger, tenantId, memberId, idem, body } = command;
      const reply = await ledger.adjust(tenantId, memberId, idem, body);
      await auditAdjustment(command, reply);
      return reply;
    },
  }),
  pointsOperation({
    path: '/v1/members/{memberId}/entries/{entryId}/reverse',
    operationId: 'reverseEntry',
    summary:
      'Reverse an earning, redemption or adjustment, in whole or in part (a refund restores the original expiry dates)',
    scope: 'points:write',
    request: s.reverseRequest,
    extraErrors: { 422: problem('Not reversible, exceeds the entry, or the points were spent') },
    run: ({ ledger, tenantId, memberId, idem, body, event }) =>
      ledger.reverse(tenantId, memberId, pathParam(event, 'entryId'), idem, body),
  }),
  writeOperation({
    method: 'PUT',
    path: '/v1/offers/{offerId}',
    operationId: 'putOffer',
    summary:
      'Create or replace an offer of the catalogue (targeting by tier and segment, date window, per-member limit)',
    tag: 'Offers',
    scope: 'programme:manage',
    request: offerRequest,
    responses: { 200: { description: 'The offer', schema: s.offerResponse } },
    run: async ({ event, tenantId, services }, body) => {
      const offer: Offer = {
        ...body,
        tenantId,
        offerId: pathParam(event, 'offerId'),
        updatedAt: services.clock.now().toISOString(),
      };
      await services.offers.put(offer);
      return { statusCode: 200, body: offerView(offer) };
    },
  }),
  readOperation({
    path: '/v1/offers',
    operationId: 'listOffers',
    summary: "The tenant's offer catalogue",
    tag: 'Offers',
    scope: 'members:read',
    ok: { description: 'Offers', schema: s.offerListResponse },
    read: async ({ tenantId, services }) => ({ items: (await services.offers.list(tenantId)).map(offerView) }),
  }),
  readOperation({
    path: '/v1/members/{memberId}/offers',
    operationId: 'listEligibleOffers',
    summary: 'Offers this member can activate now (tier, segments, date window, limit left)',
    tag: 'Offers',
    scope: 'members:read',
    ok: { description: 'Eligible offers', schema: s.eligibleOfferListResponse },
    notFound: 'No such member',
    read: async ({ event, tenantId, services }) => {
      const eligible = await services.ledger.eligibleOffers(
        tenantId,
        pathParam(event, 'memberId'),
        await services.offers.list(tenantId),
      );
      return { items: eligible.map(({ offer, remaining }) => ({ ...offerView(offer), remaining })) };
    },
  }),
  commandOperation({
    path: '/v1/members/{memberId}/offers/{offerId}/view',
    operationId: 'recordOfferView',
    summary: 'Record that the member saw an offer (an offer.viewed event)',
    tag: 'Offers',
    scope: 'members:write',
    request: s.offerViewRequest,
    responses: { 201: { description: 'Recorded', schema: s.offerViewResponse }, ...memberErrors },
    run: async ({ event, tenantId, services }, body, idem) => {
      const offer = await requireOffer(services, tenantId, pathParam(event, 'offerId'));
      return services.ledger.viewOffer(tenantId, pathParam(event, 'memberId'), idem, offer, body.channel);
    },
  }),
  commandOperation({
    path: '/v1/members/{memberId}/offers/{offerId}/activate',
    operationId: 'activateOffer',
    summary: 'Activate an offer for the member, within its per-member limit',
    tag: 'Offers',
    scope: 'members:write',
    request: z.strictObject({}),
    responses: {
      201: { description: 'Activated', schema: s.offerActivationResponse },
      ...memberErrors,
      422: problem('Not active now, not for this member, or the limit is reached'),
    },
    run: async ({ event, tenantId, services }, _body, idem) => {
      const offer = await requireOffer(services, tenantId, pathParam(event, 'offerId'));
      return services.ledger.activateOffer(tenantId, pathParam(event, 'memberId'), idem, offer);
    },
  }),
  writeOperation({
    method: 'PUT',
    path: '/v1/rewards/{rewardId}',
    operationId: 'putReward',
    summary:
      'Create or replace a reward of the catalogue (point cost, voucher or manual fulfilment, stock, funding campaign)',
    tag: 'Rewards',
    scope: 'programme:manage',
    request: rewardRequest,
    responses: {
      200: { description: 'The reward and its stock', schema: s.rewardResponse },
      404: problem('No such campaign'),
    },
    run: async ({ event, tenantId, services }, body) => ({
      statusCode: 200,
      body: rewardView(await services.catalogue.putReward(tenantId, pathParam(event, 'rewardId'), body)),
    }),
  }),
  readOperation({
    path: '/v1/rewards',
    operationId: 'listRewards',
    summary: 'The reward catalogue with the stock left of each',
    tag: 'Rewards',
    scope: 'members:read',
    ok: { description: 'Rewards', schema: s.rewardListResponse },
    read: async ({ tenantId, services }) => ({
      items: (await services.catalogue.listRewards(tenantId)).map(rewardView),
    }),
  }),
  readOperation({
    path: '/v1/rewards/{rewardId}',
    operationId: 'getReward',
    summary: 'A reward and the stock left',
    tag: 'Rewards',
    scope: 'members:read',
    ok: { description: 'The reward', schema: s.rewardResponse },
    notFound: 'No such reward',
    read: async ({ event, tenantId, services }) =>
      rewardView(await services.catalogue.getReward(tenantId, pathParam(event, 'rewardId'))),
  }),
  writeOperation({
    method: 'POST',
    path: '/v1/rewards/{rewardId}/codes',
    operationId: 'importVoucherCodes',
    summary:
      "Import voucher codes into a voucher reward's pool (up to 500 a call; codes seen before are skipped, " +
      'so a retry is safe)',
    tag: 'Rewards',
    scope: 'programme:manage',
    request: s.codeImportRequest,
    responses: {
      200: { description: 'Imported', schema: s.codeImportResponse },
      404: problem('No such reward'),
      422: problem('Not a voucher reward'),
    },
    run: async ({ event, tenantId, services }, { codes }) => ({
      statusCode: 200,
      body: await services.catalogue.importCodes(tenantId, pathParam(event, 'rewardId'), codes),
    }),
  }),
  commandOperation({
    path: '/v1/rewards/{rewardId}/stock',
    operationId: 'addRewardStock',
    summary: "Add units to a manual reward's stock",
    tag: 'Rewards',
    scope: 'programme:manage',
    request: s.stockRequest,
    responses: {
      200: { description: 'Added', schema: s.stockResponse },
      404: problem('No such reward'),
      422: problem('A voucher reward or unlimited stock'),
    },
    run: ({ event, tenantId, services }, body, idem) =>
      services.catalogue.addStock(tenantId, pathParam(event, 'rewardId'), idem, body.quantity),
  }),
  writeOperation({
    method: 'PUT',
    path: '/v1/campaigns/{campaignId}',
    operationId: 'putCampaign',
    summary: 'Create a campaign or change its name and status (its budget grows only by funding)',
    tag: 'Rewards',
    scope: 'programme:manage',
    request: campaignRequest,
    responses: { 200: { description: 'The campaign and its budget', schema: s.campaignResponse } },
    run: async ({ event, tenantId, services }, body) => ({
      statusCode: 200,
      body: campaignView(await services.catalogue.putCampaign(tenantId, pathParam(event, 'campaignId'), body)),
    }),
  }),
  readOperation({
    path: '/v1/campaigns/{campaignId}',
    operationId: 'getCampaign',
    summary: 'A campaign: funded, remaining and spent budget',
    tag: 'Rewards',
    scope: 'programme:manage',
    ok: { description: 'The campaign', schema: s.campaignResponse },
    notFound: 'No such campaign',
    read: async ({ event, tenantId, services }) =>
      campaignView(await services.catalogue.getCampaign(tenantId, pathParam(event, 'campaignId'))),
  }),
  commandOperation({
    path: '/v1/campaigns/{campaignId}/funds',
    operationId: 'fundCampaign',
    summary: "Add points to a campaign's budget",
    tag: 'Rewards',
    scope: 'programme:manage',
    request: s.fundRequest,
    responses: { 200: { description: 'Funded', schema: s.fundResponse }, 404: problem('No such campaign') },
    run: ({ event, tenantId, services }, body, idem) =>
      services.catalogue.fundCampaign(tenantId, pathParam(event, 'campaignId'), idem, body.amountPoints),
  }),
  commandOperation({
    path: '/v1/members/{memberId}/redemptions',
    operationId: 'redeemReward',
    summary:
      'Redeem a reward: points burnt, one unit of stock and one voucher code taken, the campaign charged, ' +
      'all in one commit',
    tag: 'Rewards',
    scope: 'points:write',
    request: s.redeemRewardRequest,
    responses: {
      201: { description: 'Redeemed', schema: s.redemptionChangeResponse },
      404: problem('No such member or reward'),
      410: problem('The member was erased'),
      422: problem('Not enough points, out of stock, reward paused, or the campaign cannot fund it'),
    },
    run: async ({ event, tenantId, services }, body, idem) => {
      const reward = await services.catalogue.requireReward(tenantId, body.rewardId);
      const campaign = reward.campaign
        ? await services.catalogue.requireCampaign(tenantId, reward.campaign.campaignId)
        : null;
      const memberId = pathParam(event, 'memberId');
      return services.ledger.redeemReward(tenantId, memberId, idem, reward, campaign, body.source);
    },
  }),
  readOperation({
    path: '/v1/members/{memberId}/redemptions',
    operationId: 'listRedemptions',
    summary: "The member's reward redemptions, newest first",
    tag: 'Rewards',
    scope: 'members:read',
    query: s.redemptionListQuery,
    ok: { description: 'A page of redemptions', schema: s.redemptionListResponse },
    notFound: 'No such member',
    read: async ({ event, tenantId, services }, query) =>
      pageView(await services.ledger.listRedemptions(tenantId, pathParam(event, 'memberId'), query), redemptionView),
  }),
  readOperation({
    path: '/v1/members/{memberId}/redemptions/{redemptionId}',
    operationId: 'getRedemption',
    summary: 'A redemption and its fulfilment status',
    tag: 'Rewards',
    scope: 'members:read',
    ok: { description: 'The redemption', schema: s.redemptionResponse },
    notFound: 'No such redemption',
    read: async ({ event, tenantId, services }) =>
      redemptionView(
        await services.ledger.getRedemption(tenantId, pathParam(event, 'memberId'), pathParam(event, 'redemptionId')),
      ),
  }),
  redemptionOperation({
    path: '/v1/members/{memberId}/redemptions/{redemptionId}/fulfil',
    operationId: 'fulfilRedemption',
    summary: 'Mark a pending redemption fulfilled (a reward.fulfilled event)',
    request: s.fulfilRequest,
    done: 'Fulfilled',
    refused: 'Not pending',
    run: ({ ledger, tenantId, memberId, redemptionId, idem, body }) =>
      ledger.fulfilRedemption(tenantId, memberId, redemptionId, idem, body.reference),
  }),
  redemptionOperation({
    path: '/v1/members/{memberId}/redemptions/{redemptionId}/cancel',
    operationId: 'cancelRedemption',
    summary:
      'Cancel a redemption: points refunded with their original expiry, stock returned while pending, ' +
      'voucher voided, campaign credited',
    request: s.cancelRedemptionRequest,
    done: 'Cancelled',
    refused: 'Cancelled already',
    run: ({ ledger, tenantId, memberId, redemptionId, idem, body }) =>
      ledger.cancelRedemption(tenantId, memberId, redemptionId, idem, body.reason),
  }),
  readOperation({
    path: '/v1/programme',
    operationId: 'getProgramme',
    summary: "The tenant's programme settings (expiry, notices, holds, earning rules)",
    tag: 'Programme',
    scope: 'programme:manage',
    ok: { description: 'The programme', schema: programmeResponse },
    read: async ({ tenantId, services }) => programmeView(await services.programmes.get(tenantId)),
  }),
  writeOperation({
    method: 'PUT',
    path: '/v1/programme',
    operationId: 'putProgramme',
    summary:
      'Replace the programme settings; send If-Match with the version you read to avoid overwriting ' +
      'a concurrent change',
    tag: 'Programme',
    scope: 'programme:manage',
    request: programmeSettings,
    responses: {
      200: { description: 'The new programme', schema: programmeResponse },
      409: problem('Changed since the If-Match version'),
    },
    run: async (ctx, settings) => {
      const { event, tenantId, services } = ctx;
      const current = await services.programmes.get(tenantId);
      const ifMatch = header(event.headers, 'if-match')?.replaceAll('"', '');
      const expected = ifMatch === undefined ? current.version : Number(ifMatch);
      if (!Number.isSafeInteger(expected))
        throw new Problem('validation_failed', 'If-Match must be the programme version');
      if (expected !== current.version) throw new Problem('programme_conflict');
      const next: Programme = {
        tenantId,
        settings,
        version: current.version + 1,
        updatedAt: services.clock.now().toISOString(),
      };
      if (!(await services.programmes.put(next, expected))) throw new Problem('programme_conflict');
      const changedFields = changedFieldNames(current.settings, settings);
      await recordAudit(
        ctx,
        'audit.programme.updated',
        tenantId,
        { programmeVersion: next.version, changedFields },
        {
          at: next.updatedAt ?? undefined,
          key: `version-${next.version}`,
        },
      );
      return { statusCode: 200, body: programmeView(next) };
    },
  }),
  ...webhookOperations,
  ...auditOperations,
  ...feedOperations,
  ...lakeOperations,
  ...apiKeyOperations,
  ...adminOperations,
  ...oauthClientOperations,
  ...eventConsumerOperations,
  ...exportOperations,
  ...backfillOperations,
  ...maintenanceOperations,
  ...endpointMaintenanceOperations,
  ...batchOperations,
  ...historyOperations,
  ...inboundQueueOperations,
  ...importOperations,
];
