// Mirroring: a sampled copy of a production request goes to the route's mirror target, with
// `X-Autoinfra-Mirror: 1`. The copy never holds the production request: it runs on its own pools,
// its response is read and discarded, and when `maxInFlight` copies are out the sample is dropped
// and counted. Status class agreement with production is recorded when both have answered.
import { Transform, type TransformCallback } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Route } from '../../shared/routes/route-table.js';
import type { EdgeOptions } from './options.js';
import { observe, statusClass, type MirrorCounts, type StatsRecorder } from './stats.js';
import type { UpstreamPools } from './upstream-pools.js';

export interface MirrorDeps { options: EdgeOptions['mirror']; pools: UpstreamPools; stats: StatsRecorder; random: () => number; now: () => number }

/** One mirrored request: the proxy tells it production's status; it compares when both are known. */
export class MirrorTicket implements Dispatcher.DispatchHandler {
  #prod: string | undefined;
  #mirror: string | undefined;
  #done = false;
  #started = 0;
  readonly #counts: MirrorCounts;
  readonly #mirrorSet: Mirror;

  readonly #target: string;

  constructor(counts: MirrorCounts, mirror: Mirror, target: string) { this.#counts = counts; this.#mirrorSet = mirror; this.#target = target; }

  production(status: number): void { this.#prod = statusClass(status); this.#compare(); }

  send(pool: Dispatcher, path: string, method: string, headers: string[], body: Buffer | null, timeoutMs: number, now: () => number): void {
    this.#started = now();
    this.#counts.sent++;
    try {
      pool.dispatch({ path, method: method as Dispatcher.HttpMethod, headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }, this);
    } catch {
      this.#finish(false);
    }
  }

  /** Gives up before sending (body too large, client aborted). */
  abandon(): void { if (!this.#done) { this.#done = true; this.#counts.dropped++; this.#counts.inFlight--; this.#mirrorSet.released(); } }

  onConnect(): void { /* nothing to do */ }
  onHeaders(statusCode: number): boolean {
    if (statusCode >= 200 && this.#mirror === undefined) {
      this.#mirror = statusClass(statusCode);
      observe(this.#counts.latency, this.#mirrorSet.now() - this.#started);
      this.#compare();
    }
    return true;
  }
  onData(): boolean { return true; }
  onComplete(): void { this.#finish(true); }
  onError(err: Error): void {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EHOSTUNREACH') this.#mirrorSet.targetDown(this.#target);
    this.#finish(false);
  }

  #finish(ok: boolean): void {
    if (this.#done) return;
    this.#done = true;
    if (!ok) this.#counts.errors++;
    this.#counts.inFlight--;
    this.#mirrorSet.released();
  }

  #compare(): void {
    if (this.#prod === undefined || this.#mirror === undefined) return;
    if (this.#prod === this.#mirror) this.#counts.agree++;
    else this.#counts.disagree++;
  }
}

export class Mirror {
  readonly #deps: MirrorDeps;
  #inFlight = 0;
  /** Targets that refused a connection, until when they are skipped: a dead target must not cost a connect attempt per request. */
  readonly #downUntil = new Map<string, number>();

  constructor(deps: MirrorDeps) { this.#deps = deps; }

  now(): number { return this.#deps.now(); }
  released(): void { this.#inFlight--; }
  targetDown(target: string): void { this.#downUntil.set(target, this.#deps.now() + this.#deps.options.downBackoffMs); }

  /**
   * Decides whether this request is mirrored. For a request without a body the copy is sent at
   * once; with a body, `tee` is returned: production reads its body through it, and the copy is
   * sent when the body has ended (if it stayed ≤ maxBodyBytes).
   */
  start(route: Route, method: string, path: string, headers: string[], hasBody: boolean, contentLength: number | undefined): { ticket: MirrorTicket; tee?: Transform } | undefined {
    const spec = route.mirror;
    if (!spec) return undefined;
    const methods = spec.methods.length ? spec.methods : this.#deps.options.methods;
    if (!methods.includes(method)) return undefined;
    if (spec.sampleRate < 1 && this.#deps.random() >= spec.sampleRate) return undefined;
    const counts = this.#deps.stats.mirror(route.id);
    counts.sampled++;
    const max = this.#deps.options.maxBodyBytes;
    const down = this.#downUntil.get(spec.target);
    if (down !== undefined && this.#deps.now() < down) { counts.dropped++; return undefined; }
    if (this.#inFlight >= this.#deps.options.maxInFlight || (contentLength !== undefined && contentLength > max)) {
      counts.dropped++;
      return undefined;
    }
    this.#inFlight++;
    counts.inFlight++;
    const ticket = new MirrorTicket(counts, this, spec.target);
    const pool = this.#deps.pools.get(spec.target);
    const mirrorHeaders = [...headers, 'x-autoinfra-mirror', '1'];
    const timeout = this.#deps.options.timeoutMs;
    if (!hasBody) {
      ticket.send(pool, path, method, mirrorHeaders, null, timeout, this.#deps.now);
      return { ticket };
    }
    const tee = new BodyTee(max, (body) => {
      if (body) ticket.send(pool, path, method, withLength(mirrorHeaders, body.length), body, timeout, this.#deps.now);
      else ticket.abandon();
    });
    return { ticket, tee };
  }
}

function withLength(headers: string[], length: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() !== 'content-length') out.push(headers[i], headers[i + 1]);
  out.push('content-length', String(length));
  return out;
}

/** Passes the production body through unchanged while keeping a copy of at most `max` bytes. */
class BodyTee extends Transform {
  #chunks: Buffer[] | undefined = [];
  #size = 0;
  readonly #max: number;
  readonly #done: (body: Buffer | undefined) => void;
  #reported = false;

  constructor(max: number, done: (body: Buffer | undefined) => void) {
    super();
    this.#max = max;
    this.#done = done;
    this.once('close', () => this.#report(undefined));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#chunks) {
      this.#size += chunk.length;
      if (this.#size > this.#max) { this.#chunks = undefined; this.#report(undefined); } else this.#chunks.push(chunk);
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.#report(this.#chunks ? Buffer.concat(this.#chunks) : undefined);
    cb();
  }

  #report(body: Buffer | undefined): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#chunks = undefined;
    this.#done(body);
  }
}
