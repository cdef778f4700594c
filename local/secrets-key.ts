import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_KEY_PREFIX } from '../functions/composition/secrets';
import { MASTER_KEY_BYTES } from '../functions/adapters/local-data-keys';

/** Where a test (or a user) can hand the twin its master key: base64 of 32 bytes. */
export const TWIN_SECRETS_KEY_VARIABLE = 'TWIN_SECRETS_KEY';

/**
 * The twin's stand-in for the KMS key that seals webhook secrets, as the `WEBHOOK_SECRETS_KEY` setting of its
 * functions: the one given in `TWIN_SECRETS_KEY`, else the one kept in the state directory (made on the first
 * start, so sealed secrets open again after a restart), else a new one for an in-memory twin.
 */
export function twinSecretsKey(dataDir: string | null, given = process.env[TWIN_SECRETS_KEY_VARIABLE]): string {
  if (given) {
    if (Buffer.from(given, 'base64').length !== MASTER_KEY_BYTES) {
      throw new Error(`${TWIN_SECRETS_KEY_VARIABLE} must be the base64 of ${MASTER_KEY_BYTES} bytes`);
    }
    return `${LOCAL_KEY_PREFIX}${given}`;
  }
  const file = dataDir ? join(dataDir, 'secrets.key') : null;
  if (file && existsSync(file)) return `${LOCAL_KEY_PREFIX}${readFileSync(file, 'utf8').trim()}`;
  const key = randomBytes(MASTER_KEY_BYTES).toString('base64');
  if (file) writeFileSync(file, key, { mode: 0o600 });
  return `${LOCAL_KEY_PREFIX}${key}`;
}
