// What the agent uses to drive the edge: write the route table (atomically) and have the edge
// load it, read its counters, wait for an old colour to drain.
import http from 'node:http';
import { systemClock, type Clock } from '../clock.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import type { RouteTable } from '../../shared/routes/route-table.js';
import { assertRouteTable } from './routes.js';
import type { EdgeStats } from './stats.js';
import { EdgeControlError, EdgeUnavailableError } from './errors.js';

export interface EdgeClientOptions {
  controlSocket: string;
  routesFile: string;
  /** Bound on one control request (the edge answers in milliseconds). */
  requestTimeoutMs?: number;
  /** How often waitDrained looks at the counters. */
  pollIntervalMs?: number;
  /** Time for waitDrained's deadline and polling (the fault suite drives it). */
  clock?: Clock;
}

export class EdgeClient {
  readonly #o: Required<EdgeClientOptions>;

  constructor(opts: EdgeClientOptions) {
    this.#o = { requestTimeoutMs: 10_000, pollIntervalMs: 50, clock: systemClock, ...opts };
  }

  /**
   * Writes the routes file atomically, then asks the edge to load it. Resolves when the edge has
   * acknowledged that this version is live. When the edge is not running the file is still
   * written (the edge loads it at start) and this rejects with EdgeUnavailableError.
   */
  async apply(table: RouteTable): Promise<{ version: number }> {
    assertRouteTable(table);
    await writeFileAtomic(this.#o.routesFile, JSON.stringify(table, null, 2) + '\n', 0o640);
    const body = await this.#request('POST', '/reload');
    const { version } = JSON.parse(body) as { version: number };
    if (version !== table.version) {
      throw new EdgeControlError('reload', 200, `edge reports version ${version} live, expected ${table.version} (another writer changed ${this.#o.routesFile}?)`);
    }
    return { version };
  }

  async stats(): Promise<EdgeStats> {
    return JSON.parse(await this.#request('GET', '/stats')) as EdgeStats;
  }

  async metrics(): Promise<string> {
    return this.#request('GET', '/metrics');
  }

  /** True once nothing is in flight (requests and open tunnels) to `upstream`; false at the timeout. */
  async waitDrained(upstream: string, opts: { timeoutMs: number }): Promise<boolean> {
    const { clock } = this.#o;
    const deadline = clock.now() + opts.timeoutMs;
    for (;;) {
      const s = (await this.stats()).upstreams[upstream];
      if (!s || (s.inFlight <= 0 && s.tunnels <= 0)) return true;
      if (clock.now() >= deadline) return false;
      await clock.sleep(Math.min(this.#o.pollIntervalMs, Math.max(1, deadline - clock.now())));
    }
  }

  #request(method: string, path: string): Promise<string> {
    const socketPath = this.#o.controlSocket;
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath, method, path, timeout: this.#o.requestTimeoutMs, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new EdgeUnavailableError(socketPath, e.message, e)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 200) resolve(text);
          else reject(new EdgeControlError(`${method} ${path}`, res.statusCode ?? 0, text));
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.#o.requestTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new EdgeUnavailableError(socketPath, e.code === 'ENOENT' ? 'no socket (is the edge running?)' : e.code === 'ECONNREFUSED' ? 'connection refused (the edge is not running; stale socket)' : e.message, e)));
      req.end();
    });
  }
}
