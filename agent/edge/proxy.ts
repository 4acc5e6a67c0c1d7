// The hot path: one request from a client, routed by Host (+ path prefix) per request — never per
// connection, so keep-alive clients follow a switch at once — and streamed to the upstream's
// keep-alive pool with undici's low-level dispatch. Bodies stream both ways with backpressure.
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
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

export interface ProxyDeps {
  options: EdgeOptions;
  lookup: () => RouteLookup;
  pools: UpstreamPools;
  mirror: Mirror;
  stats: StatsRecorder;
  logger: Logger;
  now: () => number;
}

/** Small, clear bodies for the answers the edge gives itself. */
const EDGE_ANSWERS: Record<number, string> = {
  400: 'autoinfra edge: bad request\n',
  404: 'autoinfra edge: no route for this host\n',
  502: 'autoinfra edge: the upstream did not answer (bad gateway)\n',
  503: 'autoinfra edge: the upstream is overloaded, try again shortly\n',
  504: 'autoinfra edge: the upstream did not answer in time (gateway timeout)\n',
};

export function sendEdgeAnswer(res: ServerResponse, status: number): void {
  const body = EDGE_ANSWERS[status] ?? `autoinfra edge: ${status}\n`;
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

type ErrorKind = 'connect' | 'timeout' | 'other' | 'request';
function errorKind(err: Error): ErrorKind {
  const code = (err as { code?: string }).code ?? '';
  // undici refused the request before sending anything (a header it cannot forward, a body shorter
  // than its Content-Length): the client's request is at fault, not the upstream.
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return 'request';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL') return 'connect';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  return 'other';
}

export class Proxy {
  readonly #d: ProxyDeps;
  /** Requests in flight in this process (for the graceful stop). */
  inFlight = 0;
  /** Set on graceful stop: responses then close their connection. */
  stopping = false;
  /** Open upgraded connections (client side), closed at the end of a graceful stop. */
  readonly tunnels = new Set<Duplex>();

  constructor(deps: ProxyDeps) { this.#d = deps; }

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

  /** WebSocket and other upgrades: a byte tunnel to the upstream after forwarding the handshake. */
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
    const [host, port] = splitAddress(route.upstream);
    const headers = forwardHeaders(req, target, proto, true);
    let lines = `${req.method} ${target.target} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) lines += `${headers[i]}: ${headers[i + 1]}\r\n`;
    const started = d.now();
    rc.requests++; up.requests++;
    rc.tunnels++; up.tunnels++;
    let closed = false;
    this.tunnels.add(socket);
    const upstream = net.connect({ host, port, timeout: d.options.upstreamConnectTimeoutMs });
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.tunnels.delete(socket);
      rc.tunnels--; up.tunnels--;
      upstream.destroy();
      socket.destroy();
    };
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      observe(rc.latency, d.now() - started); observe(up.latency, d.now() - started);
      rc.status['1xx']++; up.status['1xx']++;
      upstream.write(lines + '\r\n');
      if (head.length) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    const failed = (kind: ErrorKind): void => {
      if (closed) return;
      if (upstream.connecting || upstream.bytesRead === 0) {
        const k = kind === 'request' ? 'other' : kind;
        rc.upstreamErrors[k]++; up.upstreamErrors[k]++;
        rc.status['5xx']++; up.status['5xx']++;
        rc.edgeAnswers.upstreamFailed++; up.edgeAnswers.upstreamFailed++;
        rawAnswer(socket, kind === 'timeout' ? 504 : 502);
      }
      close();
    };
    upstream.once('timeout', () => failed('timeout'));
    upstream.once('error', (e) => failed(errorKind(e)));
    upstream.once('close', close);
    socket.once('close', close);
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

const RAW_REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

function rawAnswer(socket: Duplex, status: number): void {
  const body = EDGE_ANSWERS[status] ?? '';
  const reason = RAW_REASONS[status] ?? 'Bad Gateway';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

export function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  return [host.startsWith('[') ? host.slice(1, -1) : host, Number(address.slice(i + 1))];
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
