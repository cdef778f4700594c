import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { withAsyncLocalContext } from './xray-context';

/**
 * The X-Ray annotation that carries a piece of work's correlation id. X-Ray indexes annotations, so the filter
 * `annotation.correlationId = "<id>"` finds every segment of one request: its API call, and its stream and queue
 * hops, where trace context does not travel (DynamoDB Streams carry none).
 */
export const CORRELATION_ID_ANNOTATION = 'correlationId';

/**
 * Tracing switched off by its variable (the twin sets POWERTOOLS_TRACE_ENABLED=false; Powertools reads it the same
 * way). Then the tracer is not even loaded: loading the X-Ray SDK enables its async hooks (cls-hooked), which tax
 * every promise of the process, the AWS SDK's included, whether anything is traced or not (about 0.9 ms of CPU per
 * earn on the bench's machine, `npm run bench -- handlercpu`).
 */
const switchedOff = (process.env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() === 'false';

/**
 * The one tracer (Powertools, X-Ray), named as the logger is. Active only where Lambda runs it with tracing
 * on: the twin sets POWERTOOLS_TRACE_ENABLED=false, and outside Lambda it is off by itself. Outbound HTTP is
 * not captured: webhook and chat endpoints' URLs can hold secrets (an incoming-webhook path is the credential),
 * and a trace header would leak to tenants.
 */
const powertools = switchedOff
  ? undefined
  : await withAsyncLocalContext(async () => ({
      tracer: new (await import('@aws-lambda-powertools/tracer')).Tracer({
        serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'loyalty-ledger',
        captureHTTPsRequests: false,
      }),
      captureLambdaHandler: (await import('@aws-lambda-powertools/tracer/middleware')).captureLambdaHandler,
    }));
const tracer: Tracer | undefined = powertools?.tracer;

/**
 * The handler's subsegment (`## <handler>`, with ColdStart and Service annotations) around each invocation;
 * none with tracing switched off. Responses are not recorded: they carry members' personal data.
 */
export const traceInvocations = (): ReturnType<typeof captureLambdaHandler> | undefined =>
  powertools?.captureLambdaHandler(powertools.tracer, { captureResponse: false });

/** The client, with a subsegment for each AWS call it makes (when tracing is on). */
export const traced = <TClient extends object>(client: TClient): TClient =>
  tracer ? tracer.captureAWSv3Client(client) : client;

/** Marks the invocation's segment with its correlation id (when tracing is on). */
export function annotateCorrelationId(correlationId: string): void {
  if (tracer?.isTracingEnabled()) tracer.putAnnotation(CORRELATION_ID_ANNOTATION, correlationId);
}

/**
 * Runs one record's work of a batch in its own subsegment, annotated with the record's correlation id, so each
 * record's AWS calls can be found by that id (one batch carries many).
 * @example await traceRecord('### route', event.correlationId, () => fanOut.route(event));
 */
export async function traceRecord<T>(name: string, correlationId: string | undefined, work: () => Promise<T>) {
  const parent = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!tracer || !parent) return work();
  const subsegment = parent.addNewSubsegment(name);
  if (correlationId !== undefined) subsegment.addAnnotation(CORRELATION_ID_ANNOTATION, correlationId);
  tracer.setSegment(subsegment);
  try {
    return await work();
  } catch (error) {
    subsegment.addError(error as Error);
    throw error;
  } finally {
    subsegment.close();
    tracer.setSegment(parent);
  }
}
