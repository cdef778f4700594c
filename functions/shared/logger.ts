import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger (structured JSON, Powertools); service name comes from POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'loyalty-ledger',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
});
