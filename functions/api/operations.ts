import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import type { IdempotencyContext, Reply } from '../domain/idempotency';
import type { LedgerService } from '../domain/ledger-service';
import { offerRequest, type Offer } from '../domain/offers';
import { campaignRequest, rewardRequest } from '../domain/rewards';
import { businessTransaction } from '../domain/earning-rules';
import { programmeSettings, type Programme } from '../domain/programme';
import { Problem } from '../shared/problem';
import { correlationIdOf } from './correlation';
import { header, idempotencyKey, parseBody, parseQuery } from './http';
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
import { errors, pathParam, problem, type Operation, type Scope, type Services } from './operation-kit';
import { requestHash } from './request-hash';
import * as s from './schemas';
import { webhookOperations } from './webhook-operations';

export { ALL_SCOPES, type Operation, type OperationContext, type Scope, type Services } from './operation-kit';

const idempotencyErrors = {
  409: problem('Idempotency-Key reused with another request, or concurrent update'),
};

const memberErrors = { 404: problem('No such member'), 410: problem('The member was erased') };

/** The Idempotency-Key of a mutating request, bound to its method, path and body; and the request's correlation id. */
function idem(event: APIGatewayProxyEvent, body: unknown): IdempotencyContext {
  const key = idempotencyKey(event);
  return { key, requestHash: requestHash(event.httpMethod, event.path, body), correlationId: correlationIdOf(event) };
}

const programmeView = (programme: Programme) => ({
  settings: programme.settings,
  version: programme.version,
  updatedAt: programme.updatedAt,
});
const programmeResponse = z.object({
  settings: programmeSettings,
  version: z.number().int().describe('Send it back in If-Match to update without overwriting a concurrent change'),
  updatedAt: z.string().nullable(),
});

async function requireOffer(services: Services, tenantId: string, offerId: string): Promise<Offer> {
  const offer = await services.offers.get(tenantId, offerId);
  if (!offer) throw new Problem('offer_not_found', `No offer ${offerId}`);
  return offer;
}

/** A points command on one member: validated body, Idempotency-Key, 201 with the entry and balance. */
function pointsOperation<S extends z.ZodType>(spec: {
  path: string;
  operationId: string;
  summary: string;
  scope: Scope;
  request: S;
  extraErrors?: Operation['responses'];
  run: (
    ledger: LedgerService,
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    body: z.output<S>,
    event: APIGatewayProxyEvent,
    services: Services,
  ) => Promise<Reply>;
}): Operation {
  return {
    method: 'POST',
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    tag: 'Points',
    scope: spec.scope,
    idempotent: true,
    request: spec.request,
    responses: {
      201: { description: 'Committed', schema: s.pointsResponse },
      ...errors,
      ...memberErrors,
      ...idempotencyErrors,
      ...spec.extraErrors,
    },
    run: ({ event, tenantId, services }) => {
      const memberId = pathParam(event, 'memberId');
      const body = parseBody(event, spec.request);
      return spec.run(services.ledger, tenantId, memberId, idem(event, body), body, event, services);
    },
  };
}

/** A change of one member's profile or status: Idempotency-Key, 200 with the member. */
function memberOperation<S extends z.ZodType>(spec: {
  path: string;
  method: 'POST' | 'PATCH';
  operationId: string;
  summary: string;
  scope: Scope;
  request: S;
  run: (
    ledger: LedgerService,
    tenantId: string,
    memberId: string,
    idem: IdempotencyContext,
    body: z.output<S>,
  ) => Promise<Reply>;
}): Operation {
  return {
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    tag: 'Members',
    scope: spec.scope,
    idempotent: true,
    request: spec.request,
    responses: {
      200: { description: 'The member after the change', schema: s.memberResponse },
      ...errors,
      ...memberErrors,
      ...idempotencyErrors,
    },
    run: ({ event, tenantId, services }) => {
      const memberId = pathParam(event, 'memberId');
      const body = parseBody(event, spec.request);
      return spec.run(services.ledger, tenantId, memberId, idem(event, body), body);
    },
  };
}

export const operations: Operation[] = [
  {
    method: 'POST',
    path: '/v1/members',
    operationId: 'enrolMember',
    summary: 'Enrol a member (idempotent by external id)',
    tag: 'Members',
    scope: 'members:write',
    idempotent: true,
    request: s.enrolRequest,
    responses: {
      201: { description: 'Enrolled', schema: s.memberResponse },
      200: { description: 'Already enrolled under this external id', schema: s.memberResponse },
      ...errors,
      ...idempotencyErrors,
    },
    run: ({ event, tenantId, services }) => {
      const body = parseBody(event, s.enrolRequest);
      return services.ledger.enrol(tenantId, idem(event, body), body);
    },
  },
  {
    method: 'GET',
    path: '/v1/members',
    operationId: 'listMembers',
    summary: 'List members in enrolment order, a page at a time',
    tag: 'Members',
    scope: 'members:read',
    idempotent: false,
    query: s.memberListQuery,
    responses: { 200: { description: 'A page of members', schema: s.memberListResponse }, ...errors },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: pageView(await services.ledger.listMembers(tenantId, parseQuery(event, s.memberListQuery)), (m) =>
        memberView(m.profile, m.balance),
      ),
    }),
  },
  {
    method: 'GET',
    path: '/v1/members/{memberId}',
    operationId: 'getMember',
    summary: 'Get a member',
    tag: 'Members',
    scope: 'members:read',
    idempotent: false,
    responses: {
      200: { description: 'The member', schema: s.memberResponse },
      ...errors,
      404: problem('No such member'),
    },
    run: async ({ event, tenantId, services }) => {
      const { profile, balance } = await services.ledger.getMember(tenantId, pathParam(event, 'memberId'));
      return { statusCode: 200, body: memberView(profile, balance) };
    },
  },
  memberOperation({
    method: 'PATCH',
    path: '/v1/members/{memberId}',
    operationId: 'updateMember',
    summary: 'Update profile fields (merge patch; null removes a field)',
    scope: 'members:write',
    request: s.profilePatchRequest,
    run: (ledger, tenantId, memberId, key, body) => ledger.updateProfile(tenantId, memberId, key, body),
  }),
  memberOperation({
    method: 'POST',
    path: '/v1/members/{memberId}/deactivate',
    operationId: 'deactivateMember',
    summary: 'Deactivate a member: no earning or redeeming until reactivated',
    scope: 'members:write',
    request: s.statusRequest,
    run: (ledger, tenantId, memberId, key, body) => ledger.setStatus(tenantId, memberId, key, 'inactive', body.reason),
  }),
  memberOperation({
    method: 'POST',
    path: '/v1/members/{memberId}/reactivate',
    operationId: 'reactivateMember',
    summary: 'Reactivate a deactivated member',
    scope: 'members:write',
    request: s.statusRequest,
    run: (ledger, tenantId, memberId, key) => ledger.setStatus(tenantId, memberId, key, 'active'),
  }),
  memberOperation({
    method: 'POST',
    path: '/v1/members/{memberId}/erase',
    operationId: 'eraseMember',
    summary: 'Erase personal data on request; remaining points are forfeited, the ledger stays consistent',
    scope: 'members:erase',
    request: z.object({}).strict(),
    run: (ledger, tenantId, memberId, key) => ledger.erase(tenantId, memberId, key),
  }),
  {
    method: 'GET',
    path: '/v1/members/{memberId}/balance',
    operationId: 'getBalance',
    summary: "Read a member's balance: available, pending, lifetime, expiring soon, lots; or as of a past instant",
    tag: 'Points',
    scope: 'members:read',
    idempotent: false,
    query: s.balanceQuery,
    responses: {
      200: {
        description: 'The balance (with asOf: the balance at that instant)',
        schema: z.union([s.balanceResponse, s.balanceAsOfResponse]),
      },
      ...errors,
      404: problem('No such member'),
    },
    run: async ({ event, tenantId, services }) => {
      const memberId = pathParam(event, 'memberId');
      const { asOf } = parseQuery(event, s.balanceQuery);
      if (asOf)
        return {
          statusCode: 200,
          body: balanceAsOfView(memberId, asOf, await services.ledger.lastEntryAt(tenantId, memberId, asOf)),
        };
      const balance = await services.ledger.getBalance(tenantId, memberId);
      return {
        statusCode: 200,
        body: balanceView(balance, await services.ledger.settings(tenantId), services.clock.now()),
      };
    },
  },
  {
    method: 'GET',
    path: '/v1/members/{memberId}/entries',
    operationId: 'listEntries',
    summary: "A member's ledger history, newest first by default, filtered by type and time",
    tag: 'Points',
    scope: 'members:read',
    idempotent: false,
    query: s.entryListQuery,
    responses: {
      200: { description: 'A page of ledger entries', schema: s.entryListResponse },
      ...errors,
      404: problem('No such member'),
    },
    run: async ({ event, tenantId, services }) => {
      const { type, ...query } = parseQuery(event, s.entryListQuery);
      return {
        statusCode: 200,
        body: pageView(
          await services.ledger.listEntries(tenantId, pathParam(event, 'memberId'), {
            ...query,
            ...(type ? { types: type } : {}),
          }),
          entryView,
        ),
      };
    },
  },
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
    run: async (ledger, tenantId, memberId, key, { campaignId, ...command }, _event, services) =>
      ledger.earn(
        tenantId,
        memberId,
        key,
        command,
        campaignId ? await services.catalogue.requireCampaign(tenantId, campaignId) : undefined,
      ),
  }),
  {
    method: 'POST',
    path: '/v1/members/{memberId}/transactions',
    operationId: 'postTransaction',
    summary:
      "Post a business transaction (purchase, stay, booking); the tenant's earning rules turn it into points, once per transaction id",
    tag: 'Points',
    scope: 'points:write',
    idempotent: true,
    request: businessTransaction,
    responses: {
      201: { description: 'Points earned', schema: s.transactionResponse },
      200: { description: 'The rules gave no points (nothing recorded)', schema: s.transactionResponse },
      ...errors,
      ...memberErrors,
      409: problem('Idempotency-Key reused, or the transaction id has earned already'),
    },
    run: ({ event, tenantId, services }) => {
      const body = parseBody(event, businessTransaction);
      return services.ledger.postTransaction(tenantId, pathParam(event, 'memberId'), idem(event, body), body);
    },
  },
  {
    method: 'POST',
    path: '/v1/members/{memberId}/transactions/preview',
    operationId: 'previewTransaction',
    summary: 'Dry run: what a business transaction would earn now, with the rules applied; records nothing',
    tag: 'Points',
    scope: 'members:read',
    idempotent: false,
    request: businessTransaction,
    responses: {
      200: { description: 'The earning', schema: s.transactionPreviewResponse },
      ...errors,
      404: problem('No such member'),
    },
    run: async ({ event, tenantId, services }) => {
      const tx = parseBody(event, businessTransaction);
      const { transactionId, earning } = await services.ledger.previewTransaction(
        tenantId,
        pathParam(event, 'memberId'),
        tx,
      );
      return { statusCode: 200, body: { transactionId, earning: earningView(earning) } };
    },
  },
  pointsOperation({
    path: '/v1/members/{memberId}/points/redeem',
    operationId: 'redeemPoints',
    summary: 'Spend points, soonest-expiring first; never below zero',
    scope: 'points:write',
    request: s.redeemRequest,
    extraErrors: { 422: problem('Not enough points') },
    run: (ledger, tenantId, memberId, key, body) => ledger.redeem(tenantId, memberId, key, body),
  }),
  pointsOperation({
    path: '/v1/members/{memberId}/points/adjust',
    operationId: 'adjustPoints',
    summary: 'Correct a balance (admin): signed amount, mandatory reason',
    scope: 'points:adjust',
    request: s.adjustRequest,
    extraErrors: { 422: problem('Not enough points for a debit') },
    run: (ledger, tenantId, memberId, key, body) => ledger.adjust(tenantId, memberId, key, body),
  }),
  pointsOperation({
    path: '/v1/members/{memberId}/entries/{entryId}/reverse',
    operationId: 'reverseEntry',
    summary:
      'Reverse an earning, redemption or adjustment, in whole or in part (a refund restores the original expiry dates)',
    scope: 'points:write',
    request: s.reverseRequest,
    extraErrors: { 422: problem('Not reversible, exceeds the entry, or the points were spent') },
    run: (ledger, tenantId, memberId, key, body, event) =>
      ledger.reverse(tenantId, memberId, pathParam(event, 'entryId'), key, body),
  }),
  {
    method: 'PUT',
    path: '/v1/offers/{offerId}',
    operationId: 'putOffer',
    summary:
      'Create or replace an offer of the catalogue (targeting by tier and segment, date window, per-member limit)',
    tag: 'Offers',
    scope: 'programme:manage',
    idempotent: false,
    request: offerRequest,
    responses: { 200: { description: 'The offer', schema: s.offerResponse }, ...errors },
    run: async ({ event, tenantId, services }) => {
      const offer: Offer = {
        ...parseBody(event, offerRequest),
        tenantId,
        offerId: pathParam(event, 'offerId'),
        updatedAt: services.clock.now().toISOString(),
      };
      await services.offers.put(offer);
      return { statusCode: 200, body: offerView(offer) };
    },
  },
  {
    method: 'GET',
    path: '/v1/offers',
    operationId: 'listOffers',
    summary: "The tenant's offer catalogue",
    tag: 'Offers',
    scope: 'members:read',
    idempotent: false,
    responses: { 200: { description: 'Offers', schema: s.offerListResponse }, ...errors },
    run: async ({ tenantId, services }) => ({
      statusCode: 200,
      body: { items: (await services.offers.list(tenantId)).map(offerView) },
    }),
  },
  {
    method: 'GET',
    path: '/v1/members/{memberId}/offers',
    operationId: 'listEligibleOffers',
    summary: 'Offers this member can activate now (tier, segments, date window, limit left)',
    tag: 'Offers',
    scope: 'members:read',
    idempotent: false,
    responses: {
      200: { description: 'Eligible offers', schema: s.eligibleOfferListResponse },
      ...errors,
      404: problem('No such member'),
    },
    run: async ({ event, tenantId, services }) => {
      const eligible = await services.ledger.eligibleOffers(
        tenantId,
        pathParam(event, 'memberId'),
        await services.offers.list(tenantId),
      );
      return {
        statusCode: 200,
        body: { items: eligible.map(({ offer, remaining }) => ({ ...offerView(offer), remaining })) },
      };
    },
  },
  {
    method: 'POST',
    path: '/v1/members/{memberId}/offers/{offerId}/view',
    operationId: 'recordOfferView',
    summary: 'Record that the member saw an offer (an offer.viewed event)',
    tag: 'Offers',
    scope: 'members:write',
    idempotent: true,
    request: s.offerViewRequest,
    responses: {
      201: { description: 'Recorded', schema: s.offerViewResponse },
      ...errors,
      ...memberErrors,
      ...idempotencyErrors,
    },
    run: async ({ event, tenantId, services }) => {
      const body = parseBody(event, s.offerViewRequest);
      const offer = await requireOffer(services, tenantId, pathParam(event, 'offerId'));
      return services.ledger.viewOffer(tenantId, pathParam(event, 'memberId'), idem(event, body), offer, body.channel);
    },
  },
  {
    method: 'POST',
    path: '/v1/members/{memberId}/offers/{offerId}/activate',
    operationId: 'activateOffer',
    summary: 'Activate an offer for the member, within its per-member limit',
    tag: 'Offers',
    scope: 'members:write',
    idempotent: true,
    request: z.object({}).strict(),
    responses: {
      201: { description: 'Activated', schema: s.offerActivationResponse },
      ...errors,
      ...memberErrors,
      ...idempotencyErrors,
      422: problem('Not active now, not for this member, or the limit is reached'),
    },
    run: async ({ event, tenantId, services }) => {
      const body = parseBody(event, z.object({}).strict());
      const offer = await requireOffer(services, tenantId, pathParam(event, 'offerId'));
      return services.ledger.activateOffer(tenantId, pathParam(event, 'memberId'), idem(event, body), offer);
    },
  },
  {
    method: 'PUT',
    path: '/v1/rewards/{rewardId}',
    operationId: 'putReward',
    summary:
      'Create or replace a reward of the catalogue (point cost, voucher or manual fulfilment, stock, funding campaign)',
    tag: 'Rewards',
    scope: 'programme:manage',
    idempotent: false,
    request: rewardRequest,
    responses: {
      200: { description: 'The reward and its stock', schema: s.rewardResponse },
      ...errors,
      404: problem('No such campaign'),
    },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: await services.catalogue.putReward(tenantId, pathParam(event, 'rewardId'), parseBody(event, rewardRequest)),
    }),
  },
  {
    method: 'GET',
    path: '/v1/rewards',
    operationId: 'listRewards',
    summary: 'The reward catalogue with the stock left of each',
    tag: 'Rewards',
    scope: 'members:read',
    idempotent: false,
    responses: { 200: { description: 'Rewards', schema: s.rewardListResponse }, ...errors },
    run: async ({ tenantId, services }) => ({ statusCode: 200, body: await services.catalogue.listRewards(tenantId) }),
  },
  {
    method: 'GET',
    path: '/v1/rewards/{rewardId}',
    operationId: 'getReward',
    summary: 'A reward and the stock left',
    tag: 'Rewards',
    scope: 'members:read',
    idempotent: false,
    responses: {
      200: { description: 'The reward', schema: s.rewardResponse },
      ...errors,
      404: problem('No such reward'),
    },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: await services.catalogue.getReward(tenantId, pathParam(event, 'rewardId')),
    }),
  },
  {
    method: 'POST',
    path: '/v1/rewards/{rewardId}/codes',
    operationId: 'importVoucherCodes',
    summary:
      "Import voucher codes into a voucher reward's pool (up to 500 a call; codes seen before are skipped, so a retry is safe)",
    tag: 'Rewards',
    scope: 'programme:manage',
    idempotent: false,
    request: s.codeImportRequest,
    responses: {
      200: { description: 'Imported', schema: s.codeImportResponse },
      ...errors,
      404: problem('No such reward'),
      422: problem('Not a voucher reward'),
    },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: await services.catalogue.importCodes(
        tenantId,
        pathParam(event, 'rewardId'),
        parseBody(event, s.codeImportRequest).codes,
      ),
    }),
  },
  {
    method: 'POST',
    path: '/v1/rewards/{rewardId}/stock',
    operationId: 'addRewardStock',
    summary: "Add units to a manual reward's stock",
    tag: 'Rewards',
    scope: 'programme:manage',
    idempotent: true,
    request: s.stockRequest,
    responses: {
      200: { description: 'Added', schema: s.stockResponse },
      ...errors,
      ...idempotencyErrors,
      404: problem('No such reward'),
      422: problem('A voucher reward or unlimited stock'),
    },
    run: async ({ event, tenantId, services }) => {
      const body = parseBody(event, s.stockRequest);
      return services.catalogue.addStock(tenantId, pathParam(event, 'rewardId'), idem(event, body), body.quantity);
    },
  },
  {
    method: 'PUT',
    path: '/v1/campaigns/{campaignId}',
    operationId: 'putCampaign',
    summary: 'Create a campaign or change its name and status (its budget grows only by funding)',
    tag: 'Rewards',
    scope: 'programme:manage',
    idempotent: false,
    request: campaignRequest,
    responses: { 200: { description: 'The campaign and its budget', schema: s.campaignResponse }, ...errors },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: await services.catalogue.putCampaign(
        tenantId,
        pathParam(event, 'campaignId'),
        parseBody(event, campaignRequest),
      ),
    }),
  },
  {
    method: 'GET',
    path: '/v1/campaigns/{campaignId}',
    operationId: 'getCampaign',
    summary: 'A campaign: funded, remaining and spent budget',
    tag: 'Rewards',
    scope: 'programme:manage',
    idempotent: false,
    responses: {
      200: { description: 'The campaign', schema: s.campaignResponse },
      ...errors,
      404: problem('No such campaign'),
    },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: await services.catalogue.getCampaign(tenantId, pathParam(event, 'campaignId')),
    }),
  },
  {
    method: 'POST',
    path: '/v1/campaigns/{campaignId}/funds',
    operationId: 'fundCampaign',
    summary: "Add points to a campaign's budget",
    tag: 'Rewards',
    scope: 'programme:manage',
    idempotent: true,
    request: s.fundRequest,
    responses: {
      200: { description: 'Funded', schema: s.fundResponse },
      ...errors,
      ...idempotencyErrors,
      404: problem('No such campaign'),
    },
    run: async ({ event, tenantId, services }) => {
      const body = parseBody(event, s.fundRequest);
      return services.catalogue.fundCampaign(
        tenantId,
        pathParam(event, 'campaignId'),
        idem(event, body),
        body.amountPoints,
      );
    },
  },
  {
    method: 'POST',
    path: '/v1/members/{memberId}/redemptions',
    operationId: 'redeemReward',
    summary:
      'Redeem a reward: points burnt, one unit of stock and one voucher code taken, the campaign charged, all in one commit',
    tag: 'Rewards',
    scope: 'points:write',
    idempotent: true,
    request: s.redeemRewardRequest,
    responses: {
      201: { description: 'Redeemed', schema: s.redemptionChangeResponse },
      ...errors,
      ...idempotencyErrors,
      404: problem('No such member or reward'),
      410: problem('The member was erased'),
      422: problem('Not enough points, out of stock, reward paused, or the campaign cannot fund it'),
    },
    run: async ({ event, tenantId, services }) => {
      const body = parseBody(event, s.redeemRewardRequest);
      const reward = await services.catalogue.requireReward(tenantId, body.rewardId);
      const campaign = reward.campaign
        ? await services.catalogue.requireCampaign(tenantId, reward.campaign.campaignId)
        : null;
      return services.ledger.redeemReward(
        tenantId,
        pathParam(event, 'memberId'),
        idem(event, body),
        reward,
        campaign,
        body.source,
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/members/{memberId}/redemptions',
    operationId: 'listRedemptions',
    summary: "The member's reward redemptions, newest first",
    tag: 'Rewards',
    scope: 'members:read',
    idempotent: false,
    query: s.redemptionListQuery,
    responses: {
      200: { description: 'A page of redemptions', schema: s.redemptionListResponse },
      ...errors,
      404: problem('No such member'),
    },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: pageView(
        await services.ledger.listRedemptions(
          tenantId,
          pathParam(event, 'memberId'),
          parseQuery(event, s.redemptionListQuery),
        ),
        redemptionView,
      ),
    }),
  },
  {
    method: 'GET',
    path: '/v1/members/{memberId}/redemptions/{redemptionId}',
    operationId: 'getRedemption',
    summary: 'A redemption and its fulfilment status',
    tag: 'Rewards',
    scope: 'members:read',
    idempotent: false,
    responses: {
      200: { description: 'The redemption', schema: s.redemptionResponse },
      ...errors,
      404: problem('No such redemption'),
    },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: redemptionView(
        await services.ledger.getRedemption(tenantId, pathParam(event, 'memberId'), pathParam(event, 'redemptionId')),
      ),
    }),
  },
  {
    method: 'POST',
    path: '/v1/members/{memberId}/redemptions/{redemptionId}/fulfil',
    operationId: 'fulfilRedemption',
    summary: 'Mark a pending redemption fulfilled (a reward.fulfilled event)',
    tag: 'Rewards',
    scope: 'points:write',
    idempotent: true,
    request: s.fulfilRequest,
    responses: {
      200: { description: 'Fulfilled', schema: s.redemptionChangeResponse },
      ...errors,
      ...idempotencyErrors,
      404: problem('No such member or redemption'),
      410: problem('The member was erased'),
      422: problem('Not pending'),
    },
    run: async ({ event, tenantId, services }) => {
      const body = parseBody(event, s.fulfilRequest);
      return services.ledger.fulfilRedemption(
        tenantId,
        pathParam(event, 'memberId'),
        pathParam(event, 'redemptionId'),
        idem(event, body),
        body.reference,
      );
    },
  },
  {
    method: 'POST',
    path: '/v1/members/{memberId}/redemptions/{redemptionId}/cancel',
    operationId: 'cancelRedemption',
    summary:
      'Cancel a redemption: points refunded with their original expiry, stock returned while pending, voucher voided, campaign credited',
    tag: 'Rewards',
    scope: 'points:write',
    idempotent: true,
    request: s.cancelRedemptionRequest,
    responses: {
      200: { description: 'Cancelled', schema: s.redemptionChangeResponse },
      ...errors,
      ...idempotencyErrors,
      404: problem('No such member or redemption'),
      410: problem('The member was erased'),
      422: problem('Cancelled already'),
    },
    run: async ({ event, tenantId, services }) => {
      const body = parseBody(event, s.cancelRedemptionRequest);
      return services.ledger.cancelRedemption(
        tenantId,
        pathParam(event, 'memberId'),
        pathParam(event, 'redemptionId'),
        idem(event, body),
        body.reason,
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/programme',
    operationId: 'getProgramme',
    summary: "The tenant's programme settings (expiry, notices, holds, earning rules)",
    tag: 'Programme',
    scope: 'programme:manage',
    idempotent: false,
    responses: { 200: { description: 'The programme', schema: programmeResponse }, ...errors },
    run: async ({ tenantId, services }) => ({
      statusCode: 200,
      body: programmeView(await services.programmes.get(tenantId)),
    }),
  },
  {
    method: 'PUT',
    path: '/v1/programme',
    operationId: 'putProgramme',
    summary:
      'Replace the programme settings; send If-Match with the version you read to avoid overwriting a concurrent change',
    tag: 'Programme',
    scope: 'programme:manage',
    idempotent: false,
    request: programmeSettings,
    responses: {
      200: { description: 'The new programme', schema: programmeResponse },
      ...errors,
      409: problem('Changed since the If-Match version'),
    },
    run: async ({ event, tenantId, services }) => {
      const settings = parseBody(event, programmeSettings);
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
      return { statusCode: 200, body: programmeView(next) };
    },
  },
  ...webhookOperations,
];
