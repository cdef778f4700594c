import { firehoseClient } from '../adapters/aws-clients';
import { FirehoseLakeSink } from '../adapters/firehose-lake-sink';
import { setting } from './config';

/** The lake router's sink: the raw-event delivery stream; the handler keeps it per container. */
export const lakeSink = (): FirehoseLakeSink =>
  new FirehoseLakeSink(firehoseClient(), setting('RAW_EVENTS_STREAM_NAME'));
