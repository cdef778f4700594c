import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { addLoyaltyPlatform } from '../../lib/loyalty-app';
import { logicalId, removeAssembly, synthesize, type Synthesized } from './synth';

/** `-c snowpipeSqsArn=…`: the lake bucket tells Snowflake's queue of every new events file, and only then. */

const QUEUE = 'arn:aws:sqs:eu-west-1:123456789012:sf-snowpipe-AIDAEXAMPLE-abcdEFGH';
let withSnowpipe: Synthesized;
let without: Synthesized;

beforeAll(() => {
  withSnowpipe = synthesize('test', { context: { snowpipeSqsArn: QUEUE } });
  without = synthesize('test');
});
afterAll(() => {
  removeAssembly(withSnowpipe);
  removeAssembly(without);
});

describe('Snowpipe notification', () => {
  it('sends object-created events under events/ (not errors/) to the configured queue', () => {
    // Prepare
    const bucket = withSnowpipe.resources[logicalId(withSnowpipe.stack, withSnowpipe.stack.lake.bucket)];

    // Assess
    expect(bucket?.Properties?.NotificationConfiguration).toEqual({
      QueueConfigurations: [
        {
          Event: 's3:ObjectCreated:*',
          Queue: QUEUE,
          Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'events/' }] } },
        },
      ],
    });
  });

  it('adds no notification, function or role to configure it when no queue is configured', () => {
    // Prepare
    const bucket = without.resources[logicalId(without.stack, without.stack.lake.bucket)];

    // Assess
    expect(bucket?.Properties?.NotificationConfiguration).toBeUndefined();
    without.template.resourceCountIs('Custom::S3BucketNotifications', 0);
    withSnowpipe.template.resourceCountIs('Custom::S3BucketNotifications', 0);
    expect(Object.keys(withSnowpipe.resources).length).toBe(Object.keys(without.resources).length);
  });

  it('adds no cdk-nag finding', () => {
    const annotations = Annotations.fromStack(withSnowpipe.stack);
    const findings = [
      ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];
    expect(findings.map((finding) => finding.id)).toEqual([]);
  });

  it('refuses a value that is not an SQS queue ARN', () => {
    expect(() => addLoyaltyPlatform(new App({ context: { snowpipeSqsArn: 'arn:aws:sns:eu-west-1:1:topic' } }))).toThrow(
      /snowpipeSqsArn must be an SQS queue ARN/,
    );
  });
});
