// The agent's local HTTP API (api.listen, 127.0.0.1 by default): trigger a poll, read status.
// Handlers only parse and delegate. Webhooks (with signatures) come with their own issue.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';

export interface ApiHandlers {
  trigger(branch?: string): void;
  status(): Promise<unknown>;
}

export interface ApiServer { address: string; close(): Promise<void> }

export async function startApi(listen: string, h: ApiHandlers, logger: Logger): Promise<ApiServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body) + '\n');
    };
    if (req.method === 'POST' && url.pathname === '/trigger') {
      const branch = url.searchParams.get('branch') ?? undefined;
      h.trigger(branch);
      return reply(202, { triggered: branch ?? 'all' });
    }
    if (req.method === 'GET' && url.pathname === '/status') {
      h.status().then((s) => reply(200, s), (e: Error) => reply(500, { error: e.message }));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/healthz') return reply(200, { ok: true });
    reply(404, { error: `no such endpoint: ${req.method} ${url.pathname}` });
  });
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  logger.info(`api listening on ${a.address}:${a.port}`);
  return {
    address: `${a.address}:${a.port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1';
  return { host, port: Number(listen.slice(i + 1)) };
}
