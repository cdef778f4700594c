import { request as httpRequest } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP request sent byte for byte as written: fetch would normalize a malformed path or escape,
 * which is what some tests send on purpose.
 */
export function rawRequest(
  baseUrl: string,
  request: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const { method, path, headers, body } = request;
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({
          status: res.statusCode!,
          headers: res.headers as Record<string, string>,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
