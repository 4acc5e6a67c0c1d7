// The HTTP transport isomorphic-git talks through: undici with a timeout on every request, an
// abort signal for stop(), counters for status and benchmarks, and a replay of the ref
// advertisement within one poll.
//
// Why the replay: a poll lists refs (GET info/refs), and every fetch that follows starts with the
// same GET. Serving those from the listing just made saves one round trip per moved branch, and
// guarantees that the commit fetched is exactly the one the poll saw.
import { Agent, interceptors, type Dispatcher } from 'undici';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

export interface GitHttpOptions {
  /** Bound on waiting for response headers and on each gap in the body. */
  timeoutMs: number;
}

interface Advert { url: string; statusCode: number; statusMessage: string; headers: Record<string, string>; body: Buffer }

export class GitHttp implements HttpClient {
  /** Requests that went to the network (replays not counted). */
  requests = 0;
  bytesIn = 0;
  private readonly agent: Agent;
  private readonly dispatcher: Dispatcher;
  private readonly aborter = new AbortController();
  private recording = false;
  private advert?: Advert;

  constructor(private readonly opts: GitHttpOptions) {
    this.agent = new Agent({ headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, connect: { timeout: opts.timeoutMs } });
    this.dispatcher = this.agent.compose(interceptors.redirect({ maxRedirections: 5 }));
  }

  /** From now until endReplay(), a ref advertisement is kept and served again for the same URL. */
  beginReplay(): void {
    this.recording = true;
    this.advert = undefined;
  }

  endReplay(): void {
    this.recording = false;
    this.advert = undefined;
  }

  request = async (req: GitHttpRequest): Promise<GitHttpResponse> => {
    const method = req.method ?? 'GET';
    const isAdvert = method === 'GET' && /\/info\/refs\?service=git-upload-pack$/.test(req.url);
    if (isAdvert && this.advert && this.advert.url === req.url) return replay(this.advert, req.url);

    const body = req.body ? Buffer.concat(await collect(req.body)) : undefined;
    this.requests++;
    const res = await this.dispatcher.request({
      origin: new URL(req.url).origin,
      path: new URL(req.url).pathname + new URL(req.url).search,
      method: method as Dispatcher.HttpMethod,
      headers: req.headers,
      body,
      signal: this.aborter.signal,
    });
    const headers = flattenHeaders(res.headers);
    if (isAdvert && this.recording && res.statusCode === 200) {
      const buf = Buffer.concat(await collect(res.body));
      this.bytesIn += buf.length;
      this.advert = { url: req.url, statusCode: res.statusCode, statusMessage: 'OK', headers, body: buf };
      return replay(this.advert, req.url);
    }
    const counted = this.count(res.body);
    return { url: req.url, method, statusCode: res.statusCode, statusMessage: String(res.statusCode), headers, body: counted };
  };

  /** Aborts requests in flight and closes pooled connections. */
  async close(): Promise<void> {
    this.aborter.abort();
    await this.agent.close().catch(() => undefined);
  }

  private async *count(body: AsyncIterable<Uint8Array>): AsyncIterableIterator<Uint8Array> {
    for await (const chunk of body) {
      this.bytesIn += chunk.length;
      yield chunk;
    }
  }
}

function replay(a: Advert, url: string): GitHttpResponse {
  return { url, method: 'GET', statusCode: a.statusCode, statusMessage: a.statusMessage, headers: { ...a.headers }, body: once(a.body) };
}

async function* once(buf: Buffer): AsyncIterableIterator<Uint8Array> {
  yield buf;
}

async function collect(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of body) out.push(Buffer.from(c));
  return out;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
