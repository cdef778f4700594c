/**
 * The region, account and credentials of the local stand-ins (DynamoDB Local and fauxqs accept any
 * credentials); the ARNs and events the twin makes up name this region and account.
 */
export const REGION = 'us-east-1';
export const ACCOUNT_ID = '000000000000';
export const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
