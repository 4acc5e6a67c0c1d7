// The agent's local HTTP API (api.listen, 127.0.0.1 by default): trigger a poll, read status,
// signed webhooks from git hosts (agent/api/webhooks/). Handlers only parse and delegate.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import { HOOK_KINDS, type HookKind } from './webhooks/signature.js';
import type { WebhookHandler } from './webhooks/handler.js';
import { isCommitArgument, type WaitLine } from './deployments/outcome.js';
import type { CommitWatchRequest } from './deployments/commit-watch.js';
import { parseDuration } from '../../shared/duration.js';

/** Longest a `GET /deployments/<sha>` may hold its answer. */
const MAX_WAIT_MS = 24 * 3_600_000;

export interface ApiHandlers {
  trigger(branch?: string): void;
  status(): Promise<unknown>;
  /** Absent when no `api.webhook_secret_file` is configured: the hook endpoints answer 404. */
  webhook?: WebhookHandler;
  /** `GET /deployments/<sha>`: follow one commit's deploy attempt (agent/api/deployments/). */
  watchCommit?(req: CommitWatchRequest, write: (line: WaitLine) => void): { done: Promise<void>; stop(): void };
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
    const deployment = /^\/deployments\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && deployment && h.watchCommit) {
      const commit = deployment[1];
      const timeoutMs = parseDuration(url.searchParams.get('timeout') ?? '10m');
      if (!isCommitArgument(commit)) return reply(400, { error: `not a commit id: ${JSON.stringify(commit)} (7 to 64 hex digits)` });
      if (timeoutMs === undefined || timeoutMs > MAX_WAIT_MS) return reply(400, { error: `timeout must be a duration of at most 24h, got ${JSON.stringify(url.searchParams.get('timeout'))}` });
      const envs = (url.searchParams.get('env') ?? '').split(',').map((e) => e.trim()).filter(Boolean);
      // NDJSON, one line per step as it happens: headers go out now, the body ends with the outcome.
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      const w = h.watchCommit({ commit: commit.toLowerCase(), envs, timeoutMs }, (line) => { res.write(JSON.stringify(line) + '\n'); });
      res.on('close', () => w.stop());
      void w.done.then(() => res.end());
      return;
    }
    const hook = /^\/(?:webhook|hooks\/([a-z]+))$/.exec(url.pathname);
    if (req.method === 'POST' && hook) {
      const kind = hook[1] as HookKind | undefined;
      if (kind !== undefined && !HOOK_KINDS.includes(kind)) return reply(404, { error: `unknown hook kind ${kind}; expected one of ${HOOK_KINDS.join(', ')}` });
      if (!h.webhook) return reply(404, { error: 'webhooks are off: set api.webhook_secret_file in agent.yml' });
      return h.webhook(req, res, kind);
    }
    reply(404, { error: `no such endpoint: ${req.method} ${url.pathname}` });
  });
  // A sender gets 10 s to deliver its headers and body (slow senders must not hold sockets);
  // answers may take longer (GET /deployments/<sha> waits for an outcome).
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
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

/** `http://host:port` where a local client reaches an API listening on `listen`: an API on every address answers on loopback too. */
export function apiOrigin(listen: string): string {
  const { host, port } = parseListen(listen);
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}
