// Harness for edge tests: in-process upstreams that say who answered (with slow paths, uploads,
// WebSocket), an edge started in-process or as a real `autoinfra edge` process, and small clients.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import { EdgeClient } from '../../agent/edge/client.js';
import { CLI_ENTRY, REPO_ROOT } from './cli.js';

export interface TestUpstream {
  name: string;
  /** '127.0.0.1:PORT' */
  address: string;
  port: number;
  hits: number;
  lastHeaders: http.IncomingHttpHeaders | undefined;
  server: http.Server;
  close(): Promise<void>;
}

/**
 * An upstream answering its `name`: `/` → name, `/slow?ms=N`, `/status/N`, `/upload` (counts and
 * discards the body → {name, bytes}), `…/echo` (method, target and headers as JSON); WebSocket upgrades get a text
 * frame `<name>:hello` and every text frame they send echoed back as `<name>:<text>`.
 */
export async function startUpstream(name: string, port = 0): Promise<TestUpstream> {
  const up: TestUpstream = { name, address: '', port: 0, hits: 0, lastHeaders: undefined, server: undefined as unknown as http.Server, close: async () => undefined };
  const server = http.createServer((req, res) => {
    up.hits++;
    up.lastHeaders = req.headers;
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: string): void => { res.writeHead(status, { 'content-type': 'text/plain', 'x-upstream': name }); res.end(body); };
    if (url.pathname === '/upload') {
      let bytes = 0;
      req.on('data', (c: Buffer) => { bytes += c.length; });
      req.on('end', () => send(200, JSON.stringify({ name, bytes })));
      return;
    }
    req.resume();
    if (url.pathname.endsWith('/echo')) return send(200, JSON.stringify({ name, method: req.method, path: req.url, headers: req.headers }));
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status) return send(Number(status[1]), `${name} ${status[1]}`);
    if (url.pathname === '/slow') { const t = setTimeout(() => send(200, name), Number(url.searchParams.get('ms') ?? 500)); res.on('close', () => clearTimeout(t)); return; }
    send(200, name);
  });
  server.keepAliveTimeout = 30_000;
  server.on('upgrade', (req, socket) => {
    up.hits++;
    up.lastHeaders = req.headers;
    const key = req.headers['sec-websocket-key'] ?? '';
    const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.write(wsTextFrame(`${name}:hello`));
    let buf = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const f = parseClientFrame(buf);
        if (!f) break;
        buf = buf.subarray(f.size);
        if (f.opcode === 8) { socket.end(Buffer.from([0x88, 0])); return; }
        if (f.opcode === 1) socket.write(wsTextFrame(`${name}:${f.payload.toString('utf8')}`));
      }
    });
    socket.on('error', () => socket.destroy());
    // The HTTP server allows half-open sockets: end ours when the peer ends, or close() would wait forever.
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  up.port = (server.address() as AddressInfo).port;
  up.address = `127.0.0.1:${up.port}`;
  up.server = server;
  up.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return up;
}

function wsTextFrame(text: string): Buffer {
  const p = Buffer.from(text);
  if (p.length >= 126) throw new Error('test frames are short');
  return Buffer.concat([Buffer.from([0x81, p.length]), p]);
}

/** Client frames are masked; short payloads only (tests send small messages). */
function parseClientFrame(b: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (b.length < 2) return undefined;
  const opcode = b[0] & 0x0f;
  const len = b[1] & 0x7f;
  if (len >= 126) throw new Error('test frames are short');
  const masked = (b[1] & 0x80) !== 0;
  const size = 2 + (masked ? 4 : 0) + len;
  if (b.length < size) return undefined;
  const mask = masked ? b.subarray(2, 6) : undefined;
  const payload = Buffer.from(b.subarray(size - len, size));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
  return { opcode, payload, size };
}

export function tempDir(prefix = 'ai-edge-'): string { return mkdtempSync(path.join(tmpdir(), prefix)); }

export interface Answer { status: number; body: string; headers: http.IncomingHttpHeaders }

/** One request to the edge with a given Host header. */
export function request(port: number, host: string, urlPath: string, opts: { agent?: http.Agent | false; method?: string; body?: string | Buffer; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: opts.method ?? 'GET', headers: { host, ...opts.headers }, agent: opts.agent ?? false, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface EdgeProcess { child: ChildProcess; stderr: () => string; client: EdgeClient; exited: Promise<number | null>; stop(): Promise<number | null> }

/** Runs `autoinfra edge` as a real process and waits (bounded) until its control socket answers. */
export async function startEdgeProcess(opts: { args: string[]; controlSocket: string; routesFile: string; env?: NodeJS.ProcessEnv; stdio?: StdioOptions; command?: [string, string[]] }): Promise<EdgeProcess> {
  const argv = [process.execPath, '--import', 'tsx', CLI_ENTRY, 'edge', '--control-socket', opts.controlSocket, '--routes-file', opts.routesFile, ...opts.args];
  const [cmd, args] = opts.command ?? [argv[0], argv.slice(1)];
  const child = spawn(cmd, opts.command ? [...args, ...argv] : args, { cwd: REPO_ROOT, env: { ...process.env, AUTOINFRA_CONFIG: '/nonexistent/agent.yml', ...opts.env }, stdio: opts.stdio ?? ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const client = new EdgeClient({ controlSocket: opts.controlSocket, routesFile: opts.routesFile, requestTimeoutMs: 2000 });
  const deadline = Date.now() + 20_000;
  let running = true;
  void exited.then(() => { running = false; });
  for (;;) {
    try { await client.stats(); break; } catch (e) {
      if (!running || Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`edge did not start: ${(e as Error).message}\n${err}`); }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    child, client, exited, stderr: () => err,
    stop: async () => { if (running) child.kill('SIGTERM'); const t = setTimeout(() => child.kill('SIGKILL'), 15_000); const code = await exited; clearTimeout(t); return code; },
  };
}

/** Resident set size of a process in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Writes `text` on a fresh connection to the edge and resolves with every byte the edge sent
 * until it closed the connection (requests under test say `Connection: close` or are refused),
 * or, with `until`, as soon as the bytes match it (the connection is then closed by us).
 */
export function rawRequest(port: number, text: string | Buffer, timeoutMs = 5_000, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`edge kept the connection open ${timeoutMs} ms; got so far: ${JSON.stringify(got)}`)); }, timeoutMs);
    sock.on('data', (c: Buffer) => { got += c.toString('latin1'); if (until?.test(got)) sock.destroy(); });
    sock.on('error', () => undefined);
    sock.on('close', () => { clearTimeout(timer); resolve(got); });
    sock.write(text);
  });
}

/** The status code of the first response in raw bytes (0 when there is none). */
export function rawStatus(text: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : 0;
}
