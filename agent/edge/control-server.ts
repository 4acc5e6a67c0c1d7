// The control socket: a small HTTP server on a unix socket, for the agent (EdgeClient) and operators.
//   POST /reload  load the routes file; answers {version} once the table is live (400 if malformed)
//   GET  /stats   counters as JSON (EdgeStats)
//   GET  /metrics the same as Prometheus text
import http from 'node:http';
import { chmod, rm } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import { InvalidInputError } from '../../shared/errors.js';
import { renderPrometheus, type EdgeStats } from './stats.js';

export interface ControlHandlers { reload(): Promise<number>; stats(): Promise<EdgeStats> }

export async function startControlServer(socketPath: string, h: ControlHandlers, logger: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: string, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    req.resume();
    const run = async (): Promise<void> => {
      if (route === 'POST /reload') reply(200, JSON.stringify({ version: await h.reload() }));
      else if (route === 'GET /stats') reply(200, JSON.stringify(await h.stats()));
      else if (route === 'GET /metrics') reply(200, renderPrometheus(await h.stats()), 'text/plain; version=0.0.4');
      else reply(404, JSON.stringify({ error: `unknown control request ${route}; use POST /reload, GET /stats or GET /metrics` }));
    };
    run().catch((e: unknown) => {
      const bad = e instanceof InvalidInputError;
      if (!bad) logger.error('control request failed', { request: route, error: (e as Error).message });
      reply(bad ? 400 : 500, JSON.stringify({ error: (e as Error).message, code: (e as { code?: string }).code }));
    });
  });
  // A socket file left by a crashed edge would make listen fail with EADDRINUSE.
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => { server.off('error', reject); resolve(); });
  });
  await chmod(socketPath, 0o660);
  return server;
}
