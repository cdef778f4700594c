import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './http-server';
import type { StatusFigures } from './status-figures';

const PAGE = readFileSync(new URL('./status-page.html', import.meta.url), 'utf8');

/** The CSP hash of each inline block of a kind, so the page runs its own script and style and nothing else. */
function inlineHashes(html: string, tag: 'script' | 'style'): string {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
    .map(
      (match) =>
        `'sha256-${createHash('sha256')
          .update(match[1] ?? '')
          .digest('base64')}'`,
    )
    .join(' ');
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${inlineHashes(PAGE, 'script')}`,
    `style-src ${inlineHashes(PAGE, 'style')}`,
    "connect-src 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
};

/**
 * The twin's status page: `/` renders the dashboard's panels in the browser from `/status.json`, which it
 * fetches every two seconds. Plain HTML with a small inline script and SVG sparklines, on loopback only.
 */
export class StatusPage {
  private server?: Server;
  url = '';

  constructor(private readonly figures: () => StatusFigures) {}

  async start(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res);
    });
    this.url = await listenOnLoopback(this.server, port);
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', ...HEADERS }).end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...HEADERS });
      res.end(method === 'HEAD' ? undefined : PAGE);
    } else if (path === '/status.json') {
      res.writeHead(200, { 'content-type': 'application/json', ...HEADERS });
      res.end(method === 'HEAD' ? undefined : JSON.stringify(this.figures()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...HEADERS }).end('Not found');
    }
  }
}
