// One upgrade request (WebSocket handshake). The handshake goes through the upstream's undici pool
// like any request, and only when the upstream answers 101 Switching Protocols do the client and
// upstream sockets become a byte tunnel. Any other answer is relayed as an ordinary response with
// `Connection: close`, and the client connection ends: the bytes a client sends after the
// handshake are never forwarded, since with no 101 they could be a second request reaching the
// upstream raw, past routing and X-Forwarded-For (WebSocket smuggling).
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { clientResponseHeaders } from './hop-headers.js';
import { rawAnswer } from './edge-answers.js';
import { errorKind } from './upstream-error.js';
import { observe, statusClass, type TrafficCounts } from './stats.js';
import type { TunnelSlot } from './tunnels.js';

export interface UpgradeContext {
  /** The client's socket (detached from Node's HTTP server) and the bytes already read after the handshake. */
  socket: Duplex;
  head: Buffer;
  route: TrafficCounts;
  up: TrafficCounts;
  slot: TunnelSlot;
  idleTimeoutMs: number;
  onIdle: () => void;
  /** Open client sockets of the edge, closed at the end of a graceful stop. */
  open: Set<Duplex>;
  now: () => number;
}

export class UpgradeExchange implements Dispatcher.DispatchHandler {
  readonly #c: UpgradeContext;
  readonly #started: number;
  #abort: ((err?: Error) => void) | undefined;
  /** Something was written to the client (an answer began). */
  #answered = false;
  /** The upstream answered 101: the tunnel's own close handler owns the end. */
  #tunnelled = false;
  /** The handshake no longer counts as in flight. */
  #settled = false;
  #done = false;

  constructor(c: UpgradeContext) {
    this.#c = c;
    this.#started = c.now();
    c.open.add(c.socket);
    // The handshake is a request in flight until answered, so a drain waits for it (then for the tunnel).
    c.route.inFlight++; c.up.inFlight++;
    c.socket.once('close', () => {
      if (this.#done || this.#tunnelled) return;
      this.#abort?.(new Error('client closed the connection'));
      if (!this.#answered) {
        // The client left before the upstream answered: not the upstream's doing.
        c.route.requests++; c.up.requests++;
        c.route.clientAborted++; c.up.clientAborted++;
      }
      this.#finish();
    });
  }

  onConnect(abort: (err?: Error) => void): void { this.#abort = abort; }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    this.#count(statusCode);
    this.#answered = true;
    const h = clientResponseHeaders(rawHeaders);
    let text = `HTTP/1.1 ${statusCode} ${statusText}\r\n`;
    for (let i = 0; i < h.length; i += 2) text += `${h[i]}: ${h[i + 1]}\r\n`;
    // Transfer-Encoding is dropped with the other hop-by-hop headers: without Content-Length the
    // body ends when the connection closes, which it does after this response.
    this.#c.socket.write(`${text}connection: close\r\n\r\n`);
    this.#c.socket.on('drain', resume);
    return true;
  }

  onData(chunk: Buffer): boolean { return this.#c.socket.write(chunk); }

  onComplete(): void {
    this.#c.socket.end();
    this.#finish();
  }

  onError(err: Error): void {
    if (this.#done) return;
    const c = this.#c;
    const kind = errorKind(err);
    if (!this.#answered && kind === 'request') {
      c.route.edgeAnswers.badRequest++; c.up.edgeAnswers.badRequest++;
      this.#count(400);
      rawAnswer(c.socket, 400);
    } else {
      const k = kind === 'request' ? 'other' : kind;
      c.route.upstreamErrors[k]++; c.up.upstreamErrors[k]++;
      if (this.#answered) c.socket.destroy();
      else {
        const status = k === 'timeout' ? 504 : 502;
        c.route.edgeAnswers.upstreamFailed++; c.up.edgeAnswers.upstreamFailed++;
        this.#count(status);
        rawAnswer(c.socket, status);
      }
    }
    this.#finish();
  }

  /** undici calls this only for a 101 (llhttp flags an upgrade on no other status). */
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, upstream: Duplex): void {
    const c = this.#c;
    this.#count(statusCode);
    this.#answered = true;
    this.#tunnelled = true;
    let text = `HTTP/1.1 101 Switching Protocols\r\n`;
    const h = rawHeaders ?? [];
    for (let i = 0; i < h.length; i += 2) text += `${h[i].toString()}: ${h[i + 1].toString()}\r\n`;
    c.socket.write(`${text}\r\n`);
    if (c.head.length) upstream.write(c.head);
    c.route.tunnels++; c.up.tunnels++;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      c.route.tunnels--; c.up.tunnels--;
      upstream.destroy();
      c.socket.destroy();
      this.#finish();
    };
    // Idle = no byte either way: both directions pass through the client socket (reads and writes
    // both refresh its timer), so one timer covers the tunnel.
    const sock = c.socket as Duplex & { setTimeout?: (ms: number) => void };
    sock.setTimeout?.(c.idleTimeoutMs);
    c.socket.once('timeout', () => { c.onIdle(); close(); });
    upstream.on('error', close);
    upstream.once('close', close);
    c.socket.once('close', close);
    c.socket.pipe(upstream);
    upstream.pipe(c.socket);
  }

  #count(status: number): void {
    const c = this.#c;
    this.#settle();
    const cls = statusClass(status);
    c.route.requests++; c.up.requests++;
    c.route.status[cls]++; c.up.status[cls]++;
    const ms = this.#c.now() - this.#started;
    observe(c.route.latency, ms); observe(c.up.latency, ms);
  }

  /** The attempt or the tunnel is over: give the slot back (once). */
  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#c.route.inFlight--; this.#c.up.inFlight--;
  }

  #finish(): void {
    this.#settle();
    this.#done = true;
    this.#c.slot.release();
    this.#c.open.delete(this.#c.socket);
  }
}
