// Shared set-up for the git source tests: a GitSource on a temp store, pointed at a GitServer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { GitSource, type GitSourceOptions } from '../../../agent/source/git-source.js';
import { systemClock } from '../../../agent/clock.js';
import { createLogger } from '../../../agent/logger.js';
import type { GitServer } from '../../helpers/git-server.js';

export interface Captured { lines: string[] }

/** A logger whose lines are kept for assertions. */
export function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk).trim()); cb(); } });
  return { logger: createLogger({ stream, level: 'debug' }), lines };
}

export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'ai-src-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function makeSource(server: GitServer, repo: string, dir: string, over: Partial<GitSourceOptions> = {}): GitSource {
  return new GitSource({
    url: server.url(repo),
    dir,
    branches: { production: 'production', master: 'master' },
    previews: { enabled: true, pattern: 'preview/*', pullRequests: true },
    intervalMs: 20,
    maxBackoffMs: 200,
    clock: systemClock,
    logger: over.logger ?? createLogger({ level: 'error', stream: new Writable({ write(_c, _e, cb) { cb(); } }) }),
    random: () => 0.5,
    requestTimeoutMs: 5000,
    ...over,
    host: over.host ?? 'test-host',
  });
}

/** Requests by kind, from the server's log. */
export function summarize(server: GitServer): { adverts: number; packs: number; total: number; bytes: number } {
  const adverts = server.requests.filter((r) => r.url.includes('/info/refs')).length;
  const packs = server.requests.filter((r) => r.url.endsWith('/git-upload-pack')).length;
  return { adverts, packs, total: server.requests.length, bytes: server.requests.reduce((n, r) => n + r.bytesOut, 0) };
}
