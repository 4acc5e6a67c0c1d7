// The edge process (or one worker of it): listeners + proxy + mirror + counters + control socket.
// The route table is one immutable RouteLookup behind a reference; a switch replaces the reference
// in one synchronous step, so every request that starts after the acknowledgement sees the new one.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.js';
import type { EdgeOptions } from './options.js';
import type { RouteTable } from '../../shared/routes/route-table.js';
import { EMPTY_TABLE, RouteLookup } from './routes.js';
import { readRouteTable } from './routes-file.js';
import { StatsRecorder, type EdgeStats } from './stats.js';
import { UpstreamPools } from './upstream-pools.js';
import { Mirror } from './mirror.js';
import { Proxy } from './proxy.js';
import { rawAnswer } from './edge-answers.js';
import { openFileLimit, tunnelCap } from './fd-limit.js';
import type { Duplex } from 'node:stream';
import { inheritedFds, listen, listenSpecs, parseListenAddress, type ListenSpec } from './listeners.js';
import { startControlServer } from './control-server.js';
import { EdgeListenError } from './errors.js';

export interface EdgeDeps {
  logger: Logger;
  now?: () => number;
  random?: () => number;
  /** Environment and pid used to find systemd-inherited sockets. */
  env?: NodeJS.ProcessEnv;
  pid?: number;
  /** Serve the control socket (false in cluster workers: the primary does). */
  control?: boolean;
}

/** Grace after we stop accepting before idle connections are closed: a connection accepted just before may not have sent its request yet. */
const STOP_IDLE_GRACE_MS = 200;

export class EdgeServer {
  readonly options: EdgeOptions;
  readonly #d: Required<Omit<EdgeDeps, 'env' | 'pid'>> & Pick<EdgeDeps, 'env' | 'pid'>;
  readonly #stats = new StatsRecorder();
  readonly #pools: UpstreamPools;
  readonly #mirrorPools: UpstreamPools;
  readonly #proxy: Proxy;
  #lookup = new RouteLookup(EMPTY_TABLE);
  #servers: net.Server[] = [];
  #control: http.Server | undefined;
  #reloads: Promise<unknown> = Promise.resolve();

  constructor(options: EdgeOptions, deps: EdgeDeps) {
    this.options = options;
    this.#d = { now: () => performance.now(), random: Math.random, control: true, ...deps };
    const o = options;
    this.#pools = new UpstreamPools({ connections: o.upstreamConnections, headersTimeoutMs: o.upstreamHeadersTimeoutMs, bodyTimeoutMs: o.upstreamBodyTimeoutMs, connectTimeoutMs: o.upstreamConnectTimeoutMs });
    this.#mirrorPools = new UpstreamPools({ connections: o.mirror.maxInFlight, headersTimeoutMs: o.mirror.timeoutMs, bodyTimeoutMs: o.mirror.timeoutMs, connectTimeoutMs: Math.min(o.upstreamConnectTimeoutMs, o.mirror.timeoutMs) });
    const mirror = new Mirror({ options: o.mirror, pools: this.#mirrorPools, stats: this.#stats, random: this.#d.random, now: this.#d.now });
    // Tunnels may hold at most half the fds (fd-limit.ts): a lower cap than configured is logged once.
    const cap = tunnelCap(o.maxTunnels, openFileLimit());
    if (cap < o.maxTunnels) deps.logger.info('tunnel cap lowered to fit the open-file limit', { maxTunnels: cap, configured: o.maxTunnels, openFileLimit: openFileLimit() });
    this.#proxy = new Proxy({ options: { ...o, maxTunnels: cap }, lookup: () => this.#lookup, pools: this.#pools, mirror, stats: this.#stats, logger: deps.logger, now: this.#d.now });
  }

  get version(): number { return this.#lookup.version; }
  get table(): RouteTable { return this.#lookup.table; }

  /** Loads the routes file (a missing or malformed one leaves an empty table), listens, serves control. */
  async start(): Promise<void> {
    const log = this.#d.logger;
    try {
      this.apply(await readRouteTable(this.options.routesFile));
      log.info('route table loaded', { file: this.options.routesFile, version: this.version, routes: this.table.routes.length });
    } catch (e) {
      log.error(`route table not loaded, serving 404 for every host until a valid one is reloaded: ${(e as Error).message}`, { file: this.options.routesFile });
    }
    const fds = inheritedFds(this.#d.env ?? process.env, this.#d.pid ?? process.pid);
    const plain = listenSpecs(this.options.listen, fds);
    try {
      for (const spec of plain) await this.#open(spec, 'http');
      for (const t of this.options.tls) await this.#open(parseListenAddress(t.listen), 'https', t);
      if (this.#d.control) {
        this.#control = await startControlServer(this.options.controlSocket, { reload: () => this.reload(), stats: async () => this.stats() }, log);
      }
    } catch (e) {
      await this.stop(0);
      throw e;
    }
    log.info('edge listening', { listen: [...plain.map((s) => s.text), ...this.options.tls.map((t) => `${t.listen} (tls)`)], control: this.#d.control ? this.options.controlSocket : undefined });
  }

  async #open(spec: ListenSpec, proto: 'http' | 'https', tls?: { cert: string; key: string; listen: string }): Promise<void> {
    const o = this.options;
    const serverOpts = { maxHeaderSize: o.maxHeaderSize, requestTimeout: o.requestTimeoutMs, headersTimeout: o.headersTimeoutMs, noDelay: true, keepAlive: true };
    let server: http.Server;
    if (tls) {
      let cert: Buffer, key: Buffer;
      try { [cert, key] = await Promise.all([readFile(tls.cert), readFile(tls.key)]); } catch (e) {
        throw new EdgeListenError(tls.listen, `cannot read TLS certificate or key (${(e as Error).message})`, e);
      }
      server = https.createServer({ ...serverOpts, cert, key });
    } else {
      server = http.createServer(serverOpts);
    }
    server.keepAliveTimeout = o.idleTimeoutMs;
    server.on('request', (req, res) => this.#proxy.handle(req, res, proto));
    server.on('upgrade', (req, socket, head) => this.#proxy.upgrade(req, socket, head, proto));
    // CONNECT would make the edge a forward proxy to anywhere: refused (Node would drop it silently).
    server.on('connect', (_req, socket: Duplex) => {
      this.#stats.stats.edgeAnswers.badRequest++;
      socket.on('error', () => socket.destroy());
      rawAnswer(socket, 501);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Malformed HTTP from the client: counted as the edge's own answer, never as a route's.
      const own = this.#stats.stats.edgeAnswers;
      const [status, reason] = err.code === 'HPE_HEADER_OVERFLOW' ? ['431 Request Header Fields Too Large', 'tooLarge'] as const
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? ['408 Request Timeout', 'requestTimeout'] as const
        : ['400 Bad Request', 'badRequest'] as const;
      if (!socket.writable) { socket.destroy(); return; }
      own[reason]++;
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    });
    await listen(server, spec);
    this.#servers.push(server);
  }

  /** Addresses actually bound (tests listen on port 0). */
  addresses(): (net.AddressInfo | string | null)[] { return this.#servers.map((s) => s.address()); }

  /** Makes `table` live. Synchronous: the next request routes by it. */
  apply(table: RouteTable): void {
    this.#lookup = new RouteLookup(table);
    const keep = new Set<string>();
    const mirrors = new Set<string>();
    for (const r of table.routes) {
      keep.add(r.upstream);
      if (r.previous) keep.add(r.previous);
      if (r.mirror) mirrors.add(r.mirror.target);
    }
    this.#pools.prune(keep);
    this.#mirrorPools.prune(mirrors);
  }

  /** Loads the routes file and makes it live; a malformed file keeps the old table and throws. Reloads run one at a time. */
  reload(): Promise<number> {
    const next = this.#reloads.then(async () => {
      try {
        this.apply(await readRouteTable(this.options.routesFile));
      } catch (e) {
        this.#d.logger.error(`route table not reloaded, keeping version ${this.version}: ${(e as Error).message}`, { file: this.options.routesFile });
        throw e;
      }
      this.#d.logger.info('route table applied', { version: this.version, routes: this.table.routes.length });
      return this.version;
    });
    this.#reloads = next.catch(() => undefined);
    return next;
  }

  stats(): EdgeStats { return this.#stats.snapshot(this.version); }

  /** Graceful stop: stop accepting, let in-flight requests finish within `timeoutMs`, then close everything. */
  async stop(timeoutMs = this.options.stopTimeoutMs): Promise<void> {
    const p = this.#proxy;
    p.stopping = true;
    // net-level close: http.Server.close() would also cut connections whose first request is still on its way.
    for (const s of this.#servers) if (s.listening) net.Server.prototype.close.call(s);
    const deadline = this.#d.now() + timeoutMs;
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    if (timeoutMs > 0) await sleep(Math.min(STOP_IDLE_GRACE_MS, timeoutMs));
    while (p.inFlight > 0 && this.#d.now() < deadline) {
      for (const s of this.#servers) (s as http.Server).closeIdleConnections();
      await sleep(20);
    }
    if (p.inFlight > 0) this.#d.logger.warn('stop: requests still in flight at the deadline were cut', { inFlight: p.inFlight });
    for (const s of this.#servers) { (s as http.Server).closeIdleConnections(); (s as http.Server).closeAllConnections(); }
    // Upgraded connections are no longer the HTTP server's: close them here, or they would keep the process alive.
    for (const t of p.tunnels) t.destroy();
    this.#servers = [];
    if (this.#control) {
      const c = this.#control;
      this.#control = undefined;
      c.closeAllConnections();
      await new Promise<void>((r) => c.close(() => r()));
      await rm(this.options.controlSocket, { force: true });
    }
    await Promise.all([this.#pools.close(), this.#mirrorPools.close()]);
  }
}
