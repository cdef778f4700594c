/**
 * Renders CloudFormation values to the longest strings AWS could make of them, so that limits on
 * sizes (a function's resource policy, its environment) are checked against a real deployment's
 * worst case instead of the tokens in the template.
 */

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

/** The longest region name, a 12-digit account, the longest partition name. */
export const WORST = { region: 'ap-southeast-2', account: '123456789012', partition: 'aws-us-gov' } as const;

/** CloudFormation's generated names: `<stack>-<logical id>-<13 random characters>`, cut to the service's maximum. */
const MAX_NAME: Record<string, number> = {
  'AWS::Lambda::Function': 64,
  'AWS::DynamoDB::Table': 255,
  'AWS::SQS::Queue': 80,
  'AWS::KinesisFirehose::DeliveryStream': 64,
  'AWS::S3::Bucket': 63,
  'AWS::Lambda::Permission': 100,
};

export function generatedName(stackName: string, logicalId: string, type: string): string {
  const max = MAX_NAME[type] ?? 128;
  const name = `${stackName}-${logicalId}-ABCDEFGHIJKLM`;
  return name.length <= max ? name : name.slice(0, max);
}

/** What `Ref` returns for a resource of the template, at its longest. */
function ref(stackName: string, resources: Resources, logicalId: string): string {
  const { region, account } = WORST;
  switch (logicalId) {
    case 'AWS::Region':
      return region;
    case 'AWS::AccountId':
      return account;
    case 'AWS::Partition':
      return WORST.partition;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return stackName;
  }
  const resource = resources[logicalId];
  if (!resource) throw new Error(`Ref to unknown resource ${logicalId}`);
  const name = resource.Properties?.QueueName ?? generatedName(stackName, logicalId, resource.Type);
  switch (resource.Type) {
    case 'AWS::SQS::Queue':
      return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
    case 'AWS::ApiGateway::RestApi':
      return 'abcdefghij';
    case 'AWS::ApiGateway::Authorizer':
      return 'abcdef';
    case 'AWS::ApiGateway::Stage':
      return String(resource.Properties?.StageName ?? name);
    default:
      return String(
        resource.Properties?.TableName ?? resource.Properties?.FunctionName ?? resource.Properties?.RoleName ?? name,
      );
  }
}

/** What `Fn::GetAtt` returns, at its longest. */
function getAtt(stackName: string, resources: Resources, logicalId: string, attribute: string): string {
  const { region, account, partition } = WORST;
  const resource = resources[logicalId];
  if (!resource) throw new Error(`GetAtt of unknown resource ${logicalId}`);
  const name = ref(stackName, resources, logicalId);
  const arnOf: Record<string, () => string> = {
    'AWS::Lambda::Function': () => `arn:${partition}:lambda:${region}:${account}:function:${name}`,
    'AWS::DynamoDB::Table': () => `arn:${partition}:dynamodb:${region}:${account}:table/${name}`,
    'AWS::SQS::Queue': () => `arn:${partition}:sqs:${region}:${account}:${name.split('/').pop()}`,
    'AWS::KinesisFirehose::DeliveryStream': () =>
      `arn:${partition}:firehose:${region}:${account}:deliverystream/${name}`,
    'AWS::S3::Bucket': () => `arn:${partition}:s3:::${name}`,
    'AWS::IAM::Role': () => `arn:${partition}:iam::${account}:role/${name}`,
    'AWS::KMS::Key': () => `arn:${partition}:kms:${region}:${account}:key/12345678-1234-1234-1234-123456789012`,
  };
  if (attribute === 'StreamArn') return `${arnOf['AWS::DynamoDB::Table']!()}/stream/2026-12-02T08:00:00.000`;
  if (attribute === 'QueueName') return name.split('/').pop()!;
  if (attribute === 'Arn' && arnOf[resource.Type]) return arnOf[resource.Type]!();
  return `${name}-${attribute}`;
}

/**
 * A template value rendered to its longest string: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`
 * and `Fn::Split` are resolved; objects and arrays are rendered member by member.
 */
export function render(value: unknown, stackName: string, resources: Resources): any {
  if (Array.isArray(value)) return value.map((item) => render(item, stackName, resources));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, args] = entries[0]!;
    if (fn === 'Ref') return ref(stackName, resources, String(args));
    if (fn === 'Fn::GetAtt') {
      const [logicalId, attribute] = args as [string, string];
      return getAtt(stackName, resources, logicalId, attribute);
    }
    if (fn === 'Fn::Join') {
      const [separator, parts] = args as [string, unknown[]];
      return parts.map((part) => render(part, stackName, resources)).join(separator);
    }
    if (fn === 'Fn::Select') {
      const [index, list] = args as [number | string, unknown];
      return (render(list, stackName, resources) as unknown[])[Number(index)];
    }
    if (fn === 'Fn::Split') {
      const [separator, source] = args as [string, unknown];
      return String(render(source, stackName, resources)).split(separator);
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, render(item, stackName, resources)]));
}
