import { generateKeyPairSync } from 'node:crypto';
import { publicJwkOf } from '../functions/adapters/token-keys';
import { LOCAL_KEY_PREFIX } from '../functions/composition/token-keys';

/**
 * The twin's access-token key: a P-256 key pair generated at each start (deployed, KMS holds the key). The token
 * function gets the private key, the authorizer only the JWKS, as the KMS grants split them deployed.
 */
export async function generateTwinTokenKeys(): Promise<{ tokenSigningKey: string; tokenPublicKeys: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const jwks = { keys: [await publicJwkOf(publicKey)] };
  const encode = (text: string) => LOCAL_KEY_PREFIX + Buffer.from(text, 'utf8').toString('base64url');
  return { tokenSigningKey: encode(pem), tokenPublicKeys: encode(JSON.stringify(jwks)) };
}
