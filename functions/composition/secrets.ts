import type { SecretSealer } from '../domain/ports';
import { kmsClient } from '../adapters/aws-clients';
import { EnvelopeSealer } from '../adapters/envelope-sealer';
import { KmsDataKeys } from '../adapters/kms-data-keys';
import { LocalDataKeys } from '../adapters/local-data-keys';
import { setting } from './config';

/** How the twin names its own master key in `WEBHOOK_SECRETS_KEY`: `local:<base64 of 32 bytes>`. */
export const LOCAL_KEY_PREFIX = 'local:';

/**
 * The sealer for a master key setting: a KMS key (its ARN, deployed) or the twin's own key. Both seal in the
 * same envelope format, so the code that stores secrets is the same everywhere.
 * @example sealerForKey('arn:aws:kms:eu-west-1:123456789012:key/…') // KMS data keys
 */
export function sealerForKey(key: string): SecretSealer {
  if (key.startsWith(LOCAL_KEY_PREFIX)) {
    return new EnvelopeSealer(new LocalDataKeys(Buffer.from(key.slice(LOCAL_KEY_PREFIX.length), 'base64')));
  }
  return new EnvelopeSealer(new KmsDataKeys(kmsClient(), key));
}

/** The sealer of webhook signing secrets, from the function's `WEBHOOK_SECRETS_KEY`. */
export const webhookSecretSealer = (): SecretSealer => sealerForKey(setting('WEBHOOK_SECRETS_KEY'));
