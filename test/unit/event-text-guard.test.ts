import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { DynamoEndpointHealth } from '../../functions/adapters/dynamo-endpoint-health';
import { planEarn, planEnrol, planOfferView, type Balance } from '../../functions/domain/ledger';
import type { Offer } from '../../functions/domain/offers';
import { programmeSettings } from '../../functions/domain/programme';
import { Problem } from '../../functions/shared/problem';
import { NOT_WELL_FORMED, illFormedPaths } from '../../functions/shared/well-formed';
import { idem, memoryLedgerWithMember } from '../support/ledger-helpers';

/**
 * Defence in depth: even when a schema lets ill-formed text through, no event is ever built with
 * it, because webhooks, the feed and the lake files carry events verbatim.
 */
const now = new Date('2026-11-21T10:00:00.000Z');
const settings = programmeSettings.parse({});
const BAD = 'bad \ud800 text';
const enrolled = (): Balance => planEnrol('t1', { externalId: 'x' }, now).balance;

/** What a plan throws, or null when it returns. */
function thrown(plan: () => unknown): unknown {
  try {
    plan();
    return null;
  } catch (error) {
    return error;
  }
}

describe('the event guard', () => {
  it.each([
    [
      'points.earned reason',
      () => planEarn(enrolled(), { amountPoints: 10, reason: BAD }, now, settings),
      'event.data.reason',
    ],
    [
      'points.earned source',
      () => planEarn(enrolled(), { amountPoints: 10, reason: 'ok', source: BAD }, now, settings),
      'event.data.source',
    ],
    ['member.enrolled externalId', () => planEnrol('t1', { externalId: BAD }, now), 'event.data.externalId'],
    [
      'offer.viewed channel',
      () => planOfferView(enrolled(), { offerId: 'o1', activationLimitPerMember: 1 } as Offer, BAD, now, settings),
      'event.data.channel',
    ],
  ])('refuses to build an event whose %s is ill-formed, as a 400 validation problem', (_field, plan, path) => {
    // Act
    const error = thrown(plan);

    // Assess
    expect(error).toBeInstanceOf(Problem);
    expect(error).toMatchObject({ code: 'validation_failed', status: 400 });
    expect((error as Problem).toBody().errors).toEqual([{ path, message: NOT_WELL_FORMED }]);
    expect(JSON.stringify((error as Problem).toBody()).isWellFormed()).toBe(true);
  });

  it('lets no ill-formed string into any event of a plan, whatever text it is given (property)', () => {
    // Prepare: any UTF-16 text, lone surrogates included (about half the runs hold one).
    const utf16 = fc
      .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xd800, max: 0xdfff })), {
        minLength: 1,
        maxLength: 12,
      })
      .map((units) => String.fromCharCode(...units));

    fc.assert(
      fc.property(utf16, utf16, (reason, source) => {
        // Act
        const error = thrown(() => planEarn(enrolled(), { amountPoints: 5, reason, source }, now, settings));
        const plan = error ? null : planEarn(enrolled(), { amountPoints: 5, reason, source }, now, settings);

        // Assess: refused exactly when some text is ill-formed; otherwise every event is clean.
        expect(error !== null).toBe(!reason.isWellFormed() || !source.isWellFormed());
        if (error) expect(error).toMatchObject({ code: 'validation_failed' });
        else expect(illFormedPaths(plan!.events)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('commits nothing when the service is asked to earn with ill-formed text', async () => {
    // Prepare
    const { store, service, memberId } = await memoryLedgerWithMember();
    const before = store.events.length;
    const body = { amountPoints: 10, reason: BAD };

    // Act
    const outcome = await service.earn('t1', memberId, idem('k-bad', body), body);

    // Assess
    expect(outcome).toMatchObject({ statusCode: 400, body: { code: 'validation_failed' } });
    expect(store.events).toHaveLength(before);
    expect((await service.getBalance('t1', memberId)).availablePoints).toBe(0);
  });

  it('makes the endpoint.disabled event well-formed: the last error is the platform’s own text', async () => {
    // Prepare
    const ddb = mockClient(DynamoDBDocumentClient);
    ddb.on(GetCommand).resolves({ Item: { enabled: true, url: 'https://example.com/hook' } });
    ddb.on(TransactWriteCommand).resolves({});
    const store = new DynamoEndpointHealth(ddb as unknown as DynamoDBDocumentClient, 'ledger');
    const subscription = { tenantId: 't1', subscriptionId: 'sub_1' } as Parameters<DynamoEndpointHealth['disable']>[0];

    // Act
    const disabled = await store.disable(subscription, now, {
      reason: 'failing',
      lastError: 'socket \udfff hang up',
    });

    // Assess
    expect(disabled).toBe(true);
    const put = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![1]!.Put!.Item!;
    expect(put).toMatchObject({ type: 'endpoint.disabled', data: { lastError: 'socket \ufffd hang up' } });
    expect(illFormedPaths(put)).toEqual([]);
    ddb.restore();
  });
});
