import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { exportPartKey, PART_MAX_BYTES, PART_MAX_ROWS, type ExportFile } from '../domain/exports';
import type { ExportFileWriter } from '../domain/export-service';

/**
 * Export files in the lake bucket: gzip NDJSON parts of at most `PART_MAX_ROWS` rows or `PART_MAX_BYTES` bytes
 * before compression, named `part-00000.ndjson.gz` onwards under the window's prefix. The same rows give the same
 * objects, so a redone window overwrites its files; an empty window still gets one (empty) part, so a loader sees
 * that the window ran. The bucket's default encryption (the lake key) applies.
 */
export class S3ExportWriter implements ExportFileWriter {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly limits: { rows: number; bytes: number } = { rows: PART_MAX_ROWS, bytes: PART_MAX_BYTES },
  ) {}

  async write(prefix: string, rows: AsyncIterable<Record<string, unknown>>): Promise<ExportFile[]> {
    const files: ExportFile[] = [];
    let lines: string[] = [];
    let bytes = 0;
    const flush = async () => {
      const key = exportPartKey(prefix, files.length);
      const body = gzipSync(lines.join(''));
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }),
      );
      files.push({ key, rows: lines.length, bytes: body.length });
      lines = [];
      bytes = 0;
    };
    for await (const row of rows) {
      const line = `${JSON.stringify(row)}\n`;
      if (lines.length > 0 && (lines.length >= this.limits.rows || bytes + line.length > this.limits.bytes))
        await flush();
      lines.push(line);
      bytes += line.length;
    }
    if (lines.length > 0 || files.length === 0) await flush();
    return files;
  }
}
