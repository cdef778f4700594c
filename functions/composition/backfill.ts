import { documentClient, sqsClient } from '../adapters/aws-clients';
import { DynamoBackfillStore } from '../adapters/dynamo-backfill-store';
import { DynamoFeedBackfill } from '../adapters/dynamo-feed-backfill';
import { DynamoFeedIndex } from '../adapters/dynamo-feed-index';
import { SqsBackfillQueue } from '../adapters/sqs-backfill-queue';
import { BackfillRunner } from '../domain/backfill-runner';
import { BackfillService } from '../domain/backfill-service';
import type { BackfillMessage } from '../domain/backfill';
import type { LoyaltyEvent } from '../domain/events';
import { stageSettingsFor } from '../declaration/stages';
import { systemClock } from '../shared/clock';
import { setting } from './config';
import { lakeSink } from './lake';

/** The API's side of backfills: records and the first slice's message (its queue set up on the first request). */
export function backfillService(): BackfillService {
  let queue: SqsBackfillQueue | undefined;
  return new BackfillService(
    new DynamoBackfillStore(documentClient(), setting('TABLE_NAME')),
    {
      schedule: (message, delaySeconds) =>
        (queue ??= new SqsBackfillQueue(sqsClient(), setting('BACKFILL_QUEUE_URL'))).schedule(message, delaySeconds),
    },
    systemClock,
  );
}

/**
 * The backfill function's slice runner over a queue message's body: the feed index to read, the lake router's sink
 * (and its minimisation) to send.
 */
export function backfillSlices(): (body: string, receiveCount: number) => Promise<void> {
  const runner = backfillRunner();
  return (body, receiveCount) => runner.run(JSON.parse(body) as BackfillMessage, receiveCount);
}

function backfillRunner(): BackfillRunner {
  const dynamo = documentClient();
  const tableName = setting('TABLE_NAME');
  const sink = lakeSink();
  return new BackfillRunner(
    new DynamoBackfillStore(dynamo, tableName),
    new DynamoFeedIndex(dynamo, tableName),
    // The index serves events as the catalogue reads them (loyaltyEvent), the shape the lake router sends.
    (events) => sink.send(events as unknown as LoyaltyEvent[]),
    new SqsBackfillQueue(sqsClient(), setting('BACKFILL_QUEUE_URL')),
    systemClock,
    new DynamoFeedBackfill(dynamo, tableName),
    stageSettingsFor(setting('STAGE')).lakeBuffering.intervalSeconds,
  );
}
