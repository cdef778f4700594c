import { kmsClient } from '../adapters/aws-clients';
import { KmsPublicKeySet, KmsTokenSigner, LocalTokenKeys, StaticPublicKeySet } from '../adapters/token-keys';
import type { DerSigner, PublicJwk, PublicKeySet } from '../domain/jws';
import { setting } from './config';

/** How the twin marks its own keys in TOKEN_SIGNING_KEY and TOKEN_PUBLIC_KEYS; deployed, these are KMS key ARNs. */
export const LOCAL_KEY_PREFIX = 'local:';

const localValue = (value: string) => Buffer.from(value.slice(LOCAL_KEY_PREFIX.length), 'base64url').toString('utf8');

/** What signs access tokens: the active KMS key deployed, the twin's generated key locally. */
export function tokenSigner(): DerSigner {
  const key = setting('TOKEN_SIGNING_KEY');
  return key.startsWith(LOCAL_KEY_PREFIX) ? new LocalTokenKeys(localValue(key)) : new KmsTokenSigner(kmsClient(), key);
}

/** The public keys tokens verify against: every KMS key slot deployed, the twin's JWKS locally. */
export function tokenPublicKeys(): PublicKeySet {
  const keys = setting('TOKEN_PUBLIC_KEYS');
  if (keys.startsWith(LOCAL_KEY_PREFIX))
    return new StaticPublicKeySet((JSON.parse(localValue(keys)) as { keys: PublicJwk[] }).keys);
  return new KmsPublicKeySet(
    kmsClient(),
    keys.split(',').filter((key) => key !== ''),
  );
}
