import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { ProgressBar, type ProgressView } from './progress';

/**
 * The import CLI's calls: create a job, upload its file with the presigned URL (streamed, never read whole), start
 * it and follow it until it ends. Plain HTTPS with an API key, so the twin and a deployed stage are the same to it.
 */

export interface ImportView extends ProgressView {
  importId: string;
  status: string;
  rowsDone: { applied: number; unchanged: number; rejected: number; total: number };
  rowsTotal?: number;
  summary: string;
  errorReport?: { url: string; expiresAt: string };
  errors: string[];
}

interface CreatedView extends ImportView {
  upload: { url: string; method: 'PUT'; headers: Record<string, string>; expiresAt: string };
}

export class ImportApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface ImportApi {
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export function importApi(apiUrl: string, key: string): ImportApi {
  const base = apiUrl.replace(/\/+$/, '');
  return {
    async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          'x-api-key': key,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      const parsed = (text ? JSON.parse(text) : {}) as { code?: string; title?: string; detail?: string };
      if (!response.ok) {
        const detail = [parsed.title, parsed.detail].filter(Boolean).join(': ');
        throw new ImportApiError(
          response.status,
          parsed.code,
          `${method} ${path} answered ${response.status} ${parsed.code ?? ''} ${detail}`.trim(),
        );
      }
      return parsed as T;
    },
  };
}

/** Creates the job and uploads the file (a streamed PUT with its length, as S3 wants). */
export async function createAndUpload(api: ImportApi, file: string, rowsPerSecond?: number): Promise<CreatedView> {
  const created = await api.call<CreatedView>(
    'POST',
    '/v1/imports',
    rowsPerSecond === undefined ? {} : { rowsPerSecond },
    { 'idempotency-key': randomUUID() },
  );
  const { size } = statSync(file);
  const body = Readable.toWeb(createReadStream(file));
  const response = await fetch(created.upload.url, {
    method: created.upload.method,
    headers: { ...created.upload.headers, 'content-length': String(size) },
    body,
    duplex: 'half',
  });
  if (!response.ok) throw new Error(`The upload answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return created;
}

const FINISHED = ['completed', 'failed', 'cancelled'];

/** Follows a job until it ends (or `until` says stop), drawing progress; answers its last view. */
export async function follow(
  api: ImportApi,
  importId: string,
  options: { pollMs?: number; bar?: ProgressBar; until?: (view: ImportView) => boolean } = {},
): Promise<ImportView> {
  for (;;) {
    const view = await api.call<ImportView>('GET', `/v1/imports/${importId}`);
    if (FINISHED.includes(view.status) || options.until?.(view)) {
      options.bar?.done(view);
      return view;
    }
    options.bar?.update(view);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

/** Create, upload, start and follow: what `npm run import -- --file f` does. */
export async function runImport(
  api: ImportApi,
  file: string,
  options: { rowsPerSecond?: number; pollMs?: number; progress?: NodeJS.WriteStream } = {},
): Promise<ImportView> {
  const created = await createAndUpload(api, file, options.rowsPerSecond);
  await api.call('POST', `/v1/imports/${created.importId}/start`);
  return follow(api, created.importId, {
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.progress ? { bar: new ProgressBar(options.progress) } : {}),
  });
}

/** The report's lines, read through its presigned URL. */
export async function errorReport(view: ImportView): Promise<{ line: number; code: string; message: string }[]> {
  if (!view.errorReport) return [];
  const response = await fetch(view.errorReport.url);
  if (!response.ok) throw new Error(`The error report answered ${response.status}`);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { line: number; code: string; message: string });
}
