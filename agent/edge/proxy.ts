// The hot path: one request from a client, routed by Host (+ path prefix) per request — never per
// connection, so keep-alive clients follow a switch at once — and streamed to the upstream's
// keep-alive pool with undici's low-level dispatch. Bodies stream both ways with backpressure.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from '../logger.js';
import type { EdgeOptions } from './options.js';
import type { RouteLookup } from './routes.js';
import { observe, statusClass, type StatsRecorder, type TrafficCounts } from './stats.js';
import type { UpstreamPools } from './upstream-pools.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './hop-headers.js';
import type { Mirror, MirrorTicket } from './mirror.js';
import { parseRequestTarget } from './request-target.js';
import { rawAnswer, sendEdgeAnswer, TUNNEL_LIMIT_ANSWER } from './edge-answers.js';
import { errorKind } from './upstream-error.js';
import { TunnelSlots } from './tunnels.js';
import { UpgradeExchange } from './upgrade.js';

export interface ProxyDeps {
  options: EdgeOptions;
  lookup: () => RouteLookup;
  pools: UpstreamPools;
  mirror: Mirror;
  stats: StatsRecorder;
  logger: Logger;
  now: () => number;
}

export class Proxy {
  readonly #d: ProxyDeps;
  /** Requests in flight in this process (for the graceful stop). */
  inFlight = 0;
  /** Set on graceful stop: responses then close their connection. */
  stopping = false;
  /** Open upgraded connections (client side), closed at the end of a graceful stop. */
  readonly tunnels = new Set<Duplex>();

  readonly #tunnelSlots: TunnelSlots;

  constructor(deps: ProxyDeps) {
    this.#d = deps;
    this.#tunnelSlots = new TunnelSlots(deps.options, deps.stats.stats.tunnels);
  }

  handle(req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https'): void {
    const d = this.#d;
    if (this.stopping) res.shouldKeepAlive = false;
    const target = admit(req);
    if (target.kind !== 'route') {
      req.resume();
      if (target.kind === 'options') { d.stats.stats.edgeAnswers.options++; answerOptions(res); return; }
      d.stats.stats.edgeAnswers.badRequest++;
      res.shouldKeepAlive = false;
      sendEdgeAnswer(res, 400);
      return;
    }
    const route = d.lookup().match(target.host, target.path);
    if (!route) {
      d.stats.stats.unrouted++;
      req.resume();
      sendEdgeAnswer(res, 404);
      return;
    }
    const up = d.stats.upstream(route.upstream);
    const rc = d.stats.route(route.id);
    if (up.inFlight >= d.options.maxInFlightPerUpstream) {
      req.resume();
      countAnswer(rc, up, 503, 0);
      rc.edgeAnswers.overloaded++; up.edgeAnswers.overloaded++;
      sendEdgeAnswer(res, 503);
      return;
    }
    const headers = forwardHeaders(req, target, proto, false);
    const method = req.method ?? 'GET';
    const path = target.target;
    const cl = req.headers['content-length'];
    const contentLength = cl === undefined ? undefined : Number(cl);
    const hasBody = req.headers['transfer-encoding'] !== undefined || (contentLength !== undefined && contentLength > 0);
    let body: IncomingMessage | Duplex | null = hasBody ? req : null;
    let ticket: MirrorTicket | undefined;
    // A copy is never copied again (a mirror target routed back through this edge must not loop).
    if (route.mirror && req.headers['x-autoinfra-mirror'] === undefined) {
      const m = d.mirror.start(route, method, path, headers, hasBody, contentLength);
      if (m) {
        ticket = m.ticket;
        if (m.tee) { body = req.pipe(m.tee); req.once('error', (e) => m.tee?.destroy(e)); }
      }
    }
    const exchange = new Exchange(this, req, rc, up, res, ticket, d.now);
    try {
      d.pools.get(route.upstream).dispatch({ path, method: method as Dispatcher.HttpMethod, headers, body }, exchange);
    } catch (e) {
      exchange.onError(e as Error);
    }
  }

  /** WebSocket and other upgrades: the handshake is forwarded; a byte tunnel only after the upstream's 101 (upgrade.ts). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, proto: 'http' | 'https'): void {
    const d = this.#d;
    socket.on('error', () => socket.destroy());
    const target = admit(req);
    if (target.kind !== 'route') {
      d.stats.stats.edgeAnswers.badRequest++;
      rawAnswer(socket, 400);
      return;
    }
    const route = d.lookup().match(target.host, target.path);
    if (!route) {
      d.stats.stats.unrouted++;
      rawAnswer(socket, 404);
      return;
    }
    const up = d.stats.upstream(route.upstream);
    const rc = d.stats.route(route.id);
    // Only WebSocket is tunnelled. Any other protocol (h2c above all: HTTP/2 requests inside the
    // tunnel would pass routing) is forwarded as a plain request without Upgrade, relayed, and the
    // connection closed. Node has not parsed such a request's body, so one with a body is refused.
    const websocket = (req.headers.upgrade ?? '').trim().toLowerCase() === 'websocket';
    if (!websocket && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0)) {
      countAnswer(rc, up, 400, 0);
      rc.edgeAnswers.badRequest++; up.edgeAnswers.badRequest++;
      rawAnswer(socket, 400);
      return;
    }
    const slot = this.#tunnelSlots.take(req.socket.remoteAddress ?? '');
    if (!slot) {
      countAnswer(rc, up, 503, 0);
      rc.edgeAnswers.tunnelLimit++; up.edgeAnswers.tunnelLimit++;
      rawAnswer(socket, 503, TUNNEL_LIMIT_ANSWER);
      return;
    }
    // Connection and Upgrade are hop-by-hop: undici writes its own from `upgrade`.
    const headers = forwardHeaders(req, target, proto, false);
    const exchange = new UpgradeExchange({ socket, head, route: rc, up, slot, idleTimeoutMs: d.options.tunnelIdleTimeoutMs, onIdle: () => this.#tunnelSlots.idleClosed(), open: this.tunnels, now: d.now });
    try {
      d.pools.get(route.upstream).dispatch({ path: target.target, method: (req.method ?? 'GET') as Dispatcher.HttpMethod, headers, body: null, upgrade: websocket ? req.headers.upgrade : undefined }, exchange);
    } catch (e) {
      exchange.onError(e as Error);
    }
  }

  finished(): void { this.inFlight--; }
  started(): void { this.inFlight++; }
}

type Admission = { kind: 'refuse' } | { kind: 'options' } | { kind: 'route'; host: string | undefined; path: string; target: string; hostMissing: boolean };

/**
 * What the edge does with a request before routing: answer `OPTIONS *` itself (a question about the
 * edge, not about any site); refuse (400) a request whose routing would be ambiguous — two Host
 * headers (which one routes, and which one does the upstream trust?) — or whose target
 * request-target.ts refuses; else route by the normalised path and the target's authority.
 */
function admit(req: IncomingMessage): Admission {
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') hosts++;
  if (hosts > 1) return { kind: 'refuse' };
  const t = parseRequestTarget(req.method ?? 'GET', req.url ?? '/', req.headers.host);
  if (!t.ok) return { kind: 'refuse' };
  if (t.form === 'asterisk') return { kind: 'options' };
  return { kind: 'route', host: t.host, path: t.path, target: t.target, hostMissing: hosts === 0 && t.host !== undefined };
}

function forwardHeaders(req: IncomingMessage, target: Extract<Admission, { kind: 'route' }>, proto: 'http' | 'https', upgrade: boolean): string[] {
  const headers = upstreamRequestHeaders(req.rawHeaders, { remoteAddress: req.socket.remoteAddress ?? '', proto, host: target.host }, upgrade);
  // An HTTP/1.0 absolute-form request without Host: the upstream learns the host it was routed by.
  if (target.hostMissing && target.host !== undefined) headers.unshift('host', target.host);
  return headers;
}

function answerOptions(res: ServerResponse): void {
  res.writeHead(200, { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS', 'content-length': 0, 'cache-control': 'no-store' });
  res.end();
}

function countAnswer(rc: TrafficCounts, up: TrafficCounts, status: number, ms: number): void {
  const c = statusClass(status);
  rc.requests++; up.requests++;
  rc.status[c]++; up.status[c]++;
  observe(rc.latency, ms); observe(up.latency, ms);
}

/** One request's journey through undici (legacy handler callbacks: undici's native, cheapest path). */
class Exchange implements Dispatcher.DispatchHandler {
  readonly #proxy: Proxy;
  readonly #req: IncomingMessage;
  /** Set when the client's request stream failed (malformed chunked body, connection lost mid-body). */
  #clientBroke = false;
  readonly #route: TrafficCounts;
  readonly #up: TrafficCounts;
  readonly #res: ServerResponse;
  readonly #ticket: MirrorTicket | undefined;
  readonly #now: () => number;
  readonly #started: number;
  #abort: ((err?: Error) => void) | undefined;
  #done = false;
  #status = 0;

  constructor(proxy: Proxy, req: IncomingMessage, rc: TrafficCounts, up: TrafficCounts, res: ServerResponse, ticket: MirrorTicket | undefined, now: () => number) {
    this.#proxy = proxy;
    this.#req = req;
    // Registered before undici sees the body, so the flag is set by the time undici reports the
    // body's error to onError: that error is then the client's, not the upstream's.
    req.once('error', () => { this.#clientBroke = true; });
    this.#route = rc;
    this.#up = up;
    this.#res = res;
    this.#ticket = ticket;
    this.#now = now;
    this.#started = now();
    rc.inFlight++; up.inFlight++;
    proxy.started();
    // The client went away before the answer was complete: stop the upstream request too.
    res.once('close', () => { if (!this.#done) { this.#abort?.(new Error('client closed the connection')); this.#end(499); } });
  }

  onConnect(abort: (err?: Error) => void): void { this.#abort = abort; }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx informational: Node answers 100-continue itself
    this.#status = statusCode;
    this.#ticket?.production(statusCode);
    const res = this.#res;
    res.writeHead(statusCode, statusText, clientResponseHeaders(rawHeaders));
    res.on('drain', resume);
    return true;
  }

  onData(chunk: Buffer): boolean { return this.#res.write(chunk); }

  onComplete(): void {
    this.#res.end();
    this.#end(this.#status);
  }

  onError(err: Error): void {
    if (this.#done) return;
    if (this.#clientBroke || (this.#req.destroyed && !this.#req.complete)) {
      // The client broke its request (Node's parser has answered 400 or the connection is gone).
      this.#res.destroy();
      this.#end(499);
      return;
    }
    const kind = errorKind(err);
    if (kind === 'request') {
      this.#route.edgeAnswers.badRequest++; this.#up.edgeAnswers.badRequest++;
      this.#res.shouldKeepAlive = false;
      sendEdgeAnswer(this.#res, 400);
      this.#end(400);
      return;
    }
    this.#route.upstreamErrors[kind]++;
    this.#up.upstreamErrors[kind]++;
    if (this.#res.headersSent) { this.#res.destroy(err); this.#end(this.#status); return; }
    const status = kind === 'timeout' ? 504 : 502;
    this.#route.edgeAnswers.upstreamFailed++; this.#up.edgeAnswers.upstreamFailed++;
    this.#ticket?.production(status);
    sendEdgeAnswer(this.#res, status);
    this.#end(status);
  }

  #end(status: number): void {
    if (this.#done) return;
    this.#done = true;
    const ms = this.#now() - this.#started;
    this.#route.inFlight--; this.#up.inFlight--;
    this.#proxy.finished();
    // 499 (client closed or broke its request before an answer) is not the upstream's doing.
    this.#route.requests++; this.#up.requests++;
    if (status === 499) { this.#route.clientAborted++; this.#up.clientAborted++; }
    else if (status !== 0) { const c = statusClass(status); this.#route.status[c]++; this.#up.status[c]++; }
    observe(this.#route.latency, ms); observe(this.#up.latency, ms);
  }
}
