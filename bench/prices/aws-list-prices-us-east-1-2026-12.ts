import type { PriceList } from '../cost-model';

/**
 * AWS list prices, US East (N. Virginia), on-demand, first volume tier, no free tier, read on 2026-12-03. Each price
 * names the page it is published on; `checked` says where the figure was read that day (a third-party page quoting
 * the AWS page counts as checked only when it gives the same region and date range), `not re-checked` marks the last
 * known list price of a page whose figure could not be read that day. Update the file (a new dated copy) when AWS
 * changes a price; other regions cost up to about 15 % more.
 */
export const awsListPrices: PriceList = {
  region: 'us-east-1',
  readOn: '2026-12-03',
  prices: {
    apiGatewayRestRequest: {
      usd: 3.5 / 1e6,
      source:
        'https://aws.amazon.com/api-gateway/pricing/ (REST, first 333 million a month; checked: AWS whitepaper ' +
        '"Best Practices for Designing Amazon API Gateway Private APIs", Cost optimization, table 4)',
    },
    lambdaRequest: {
      usd: 0.2 / 1e6,
      source: 'https://aws.amazon.com/lambda/pricing/ (requests; checked: cloudchipr.com Lambda pricing guide)',
    },
    lambdaArmGbSecond: {
      usd: 0.0000133334,
      source:
        'https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s a month; checked: cloudchipr.com ' +
        'Lambda pricing guide)',
    },
    dynamodbWriteRequestUnit: {
      usd: 0.625 / 1e6,
      source:
        'https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class, write request units; checked: ' +
        'airbyte.com DynamoDB pricing, US East)',
    },
    dynamodbReadRequestUnit: {
      usd: 0.125 / 1e6,
      source:
        'https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class, read request units; checked: ' +
        'airbyte.com DynamoDB pricing, US East)',
    },
    dynamodbStorageGbMonth: {
      usd: 0.25,
      source:
        'https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class storage past 25 GB; not re-checked)',
    },
    sqsFifoRequest: {
      usd: 0.5 / 1e6,
      source:
        'https://aws.amazon.com/sqs/pricing/ (FIFO, first 100 billion a month; checked: cloudburn.io, March 2026)',
    },
    sqsStandardRequest: {
      usd: 0.4 / 1e6,
      source:
        'https://aws.amazon.com/sqs/pricing/ (Standard, first 100 billion a month; checked: cloudburn.io, March 2026)',
    },
    firehoseIngestedGb: {
      usd: 0.029,
      source:
        'https://aws.amazon.com/firehose/pricing/ (Direct PUT, first 500 TB a month, records rounded up to 5 KB; ' +
        'rounding checked on the page, price not re-checked)',
    },
    firehoseDynamicPartitioningGb: {
      usd: 0.02,
      source: 'https://aws.amazon.com/firehose/pricing/ (dynamic partitioning, per GB delivered; not re-checked)',
    },
    firehoseDynamicPartitioningObject: {
      usd: 0.005 / 1000,
      source:
        'https://aws.amazon.com/firehose/pricing/ (dynamic partitioning, per S3 object delivered; not re-checked)',
    },
    s3PutRequest: {
      usd: 0.005 / 1000,
      source: 'https://aws.amazon.com/s3/pricing/ (S3 Standard PUT, COPY, POST, LIST; checked: cloudkaramchari.com)',
    },
    s3StandardGbMonth: {
      usd: 0.023,
      source: 'https://aws.amazon.com/s3/pricing/ (S3 Standard, first 50 TB a month; not re-checked)',
    },
    cloudwatchLogsIngestedGb: {
      usd: 0.5,
      source:
        'https://aws.amazon.com/cloudwatch/pricing/ (Standard log class ingestion; Lambda logs first tier; checked: ' +
        'duckbillgroup.com on Lambda tiered log pricing, hykell.com)',
    },
    xrayTraceRecorded: {
      usd: 5 / 1e6,
      source: 'https://aws.amazon.com/xray/pricing/ (traces recorded; not re-checked)',
    },
  },
};
