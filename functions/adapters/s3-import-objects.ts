import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ImportObjects } from '../domain/imports-runner';

/** The content type an upload is signed for: the uploader sends it as the URL's `headers` say. */
const NDJSON = 'application/x-ndjson';

/**
 * The imports bucket: presigned PUTs of inputs and GETs of error reports (signed with the function's own role, so a
 * URL can do exactly what the role may on that one key, and no more), the input's size, ranged reads of it, and the
 * report's parts. The bucket encrypts every object with its default encryption (S3-managed keys), so neither the
 * uploader nor the functions name a key.
 */
export class S3ImportObjects implements ImportObjects {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async uploadUrl(key: string, expiresInSeconds: number) {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: NDJSON });
    const url = await getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
    return { url, headers: { 'content-type': NDJSON } };
  }

  downloadUrl(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404) return undefined;
      throw error;
    }
  }

  async read(key: string, offset: number, length: number): Promise<Uint8Array> {
    if (length <= 0) return new Uint8Array();
    const { Body } = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }),
    );
    return Body ? Body.transformToByteArray() : new Uint8Array();
  }

  async put(key: string, body: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: NDJSON }));
  }

  async get(key: string): Promise<string> {
    const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Body ? Body.transformToString('utf-8') : '';
  }
}
