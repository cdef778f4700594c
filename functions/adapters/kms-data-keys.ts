import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SealingContext } from '../domain/ports';
import type { DataKeySource } from './envelope-sealer';

/**
 * Data keys from a KMS customer-managed key (AES-256), with the context as KMS encryption context: KMS
 * refuses to decrypt a data key for any other context, and CloudTrail records the context of every use.
 */
export class KmsDataKeys implements DataKeySource {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async generate(context: SealingContext): Promise<{ plaintext: Buffer; encrypted: Buffer }> {
    const answer = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
    );
    if (!answer.Plaintext || !answer.CiphertextBlob) throw new Error('KMS returned no data key');
    return { plaintext: Buffer.from(answer.Plaintext), encrypted: Buffer.from(answer.CiphertextBlob) };
  }

  async decrypt(encrypted: Buffer, context: SealingContext): Promise<Buffer> {
    // The key id is named so that a blob of another key is refused rather than decrypted with it.
    const answer = await this.kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: encrypted, EncryptionContext: { ...context } }),
    );
    if (!answer.Plaintext) throw new Error('KMS returned no plaintext');
    return Buffer.from(answer.Plaintext);
  }
}
