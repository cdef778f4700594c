import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SealingContext } from '../domain/ports';
import { contextBytes, type DataKeySource } from './envelope-sealer';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const MASTER_KEY_BYTES = 32;

/**
 * The twin's stand-in for a KMS key: a 256-bit master key of its own wraps each data key with AES-256-GCM,
 * the context bound as additional data as KMS binds its encryption context. The wrapped key is iv | tag | ciphertext.
 */
export class LocalDataKeys implements DataKeySource {
  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== MASTER_KEY_BYTES) throw new Error(`The master key must be ${MASTER_KEY_BYTES} bytes`);
  }

  generate(context: SealingContext): Promise<{ plaintext: Buffer; encrypted: Buffer }> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.masterKey, iv);
    cipher.setAAD(contextBytes(context));
    const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Promise.resolve({ plaintext, encrypted: Buffer.concat([iv, cipher.getAuthTag(), wrapped]) });
  }

  decrypt(encrypted: Buffer, context: SealingContext): Promise<Buffer> {
    const decipher = createDecipheriv(ALGORITHM, this.masterKey, encrypted.subarray(0, IV_BYTES));
    decipher.setAAD(contextBytes(context));
    decipher.setAuthTag(encrypted.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Promise.resolve(
      Buffer.concat([decipher.update(encrypted.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]),
    );
  }
}
