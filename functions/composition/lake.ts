import { firehose } from '../adapters/aws-clients';
import { FirehoseLakeSink } from '../adapters/firehose-lake-sink';
import { setting } from './config';

/** The lake router's sink: the raw-event delivery stream (a cheap wrapper of the container's one Firehose client). */
export const lakeSink = (): FirehoseLakeSink => new FirehoseLakeSink(firehose(), setting('RAW_EVENTS_STREAM_NAME'));
