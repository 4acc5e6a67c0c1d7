// A large upload through a real `autoinfra edge` process is streamed, never buffered:
// 1. while the upstream does not read, the client's sending stops (backpressure reaches it) well
//    short of the body, after no more than the kernel's socket buffers on the two hops and the
//    edge's small stream buffers; the edge's RSS does not grow with what the client pushed;
// 2. the whole body then flows through; the edge's RSS growth stays bounded (it is the runtime's
//    allocation ceiling — V8 young generation and malloc arenas — the same for 50 or 500 MB).
// The stall lasts until the client is seen blocked, not a guessed time, and the bound is read
// from this machine's socket-buffer limits, so a host with larger TCP buffers cannot fail it.
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { rssBytes, startEdgeProcess, tempDir } from '../../helpers/edge.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
/** Most the edge process itself may hold of a stalled body: stream high-water marks, parser. */
const EDGE_ALLOWANCE = 8 * MiB;
/** Sending is "stopped" once it has made no progress for this long while blocked on drain. */
const QUIET_MS = 750;
const STALL_DEADLINE_MS = 30_000;

/** Largest bytes a kernel may buffer on one loopback TCP hop: the sender's send buffer and the receiver's receive buffer. */
function hopBufferMax(): number {
  const max = (file: string): number => Number(readFileSync(file, 'utf8').trim().split(/\s+/).pop());
  const rmem = Math.max(max('/proc/sys/net/ipv4/tcp_rmem'), max('/proc/sys/net/core/rmem_max'));
  const wmem = Math.max(max('/proc/sys/net/ipv4/tcp_wmem'), max('/proc/sys/net/core/wmem_max'));
  return rmem + wmem;
}

t.test('large upload streamed with bounded memory', async (t) => {
  const bound = 2 * hopBufferMax() + EDGE_ALLOWANCE; // client→edge and edge→upstream
  const SIZE = Math.max(200 * MiB, Math.ceil((2 * bound) / CHUNK) * CHUNK);
  t.comment(`socket-buffer bound for a stalled body: ${(bound / MiB).toFixed(1)} MiB; body ${(SIZE / MiB).toFixed(0)} MiB`);
  const dir = tempDir();
  let received = 0;
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => { release = r; });
  const upstream = http.createServer((req, res) => {
    if (req.url !== '/upload') { req.resume(); req.on('end', () => res.end('ok')); return; }
    req.pause();
    void released.then(() => req.resume());
    req.on('data', (c: Buffer) => { received += c.length; });
    req.on('end', () => res.end(String(received)));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.teardown(() => { release(); upstream.closeAllConnections(); upstream.close(); });
  const up = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const routesFile = path.join(dir, 'routes.json');
  writeFileSync(routesFile, JSON.stringify({ version: 1, routes: [{ id: 'p/upload', hosts: ['up.test'], upstream: up }] }));
  const probe = http.createServer(); await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port; await new Promise((r) => probe.close(r));
  const edge = await startEdgeProcess({ args: ['--listen', `127.0.0.1:${port}`], controlSocket: path.join(dir, 'edge.sock'), routesFile });
  t.teardown(() => edge.stop());
  const pid = edge.child.pid!;
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => http.request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { host: 'up.test' } }, (res) => { res.resume(); res.on('end', r); }).end('x'.repeat(MiB)));
  const before = await rssBytes(pid);
  let peak = before;
  const sampler = setInterval(() => { void rssBytes(pid).then((v) => { peak = Math.max(peak, v); }).catch(() => undefined); }, 20);
  let sent = 0;
  let blocked = false;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/upload', headers: { host: 'up.test', 'content-length': String(SIZE) }, timeout: 120_000 }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(CHUNK, 7);
    const write = (): void => {
      blocked = false;
      while (sent < SIZE) {
        sent += CHUNK;
        if (!req.write(chunk)) { blocked = true; req.once('drain', write); return; }
      }
      req.end();
    };
    write();
  });
  // Wait until the client is blocked and has made no progress for QUIET_MS (or sent it all).
  const stallStart = Date.now();
  let last = -1;
  let quietSince = Date.now();
  while (sent < SIZE && Date.now() - stallStart < STALL_DEADLINE_MS) {
    if (sent !== last || !blocked) { last = sent; quietSince = Date.now(); }
    else if (Date.now() - quietSince >= QUIET_MS) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const sentDuringStall = sent;
  const peakDuringStall = peak;
  release();
  const a = await answer;
  clearInterval(sampler);
  t.equal(a.status, 200);
  t.equal(Number(a.body), SIZE, 'the upstream received every byte');
  t.ok(sentDuringStall < SIZE, `sending stopped while the upstream did not read (${(sentDuringStall / MiB).toFixed(1)} of ${(SIZE / MiB).toFixed(0)} MiB)`);
  t.ok(sentDuringStall <= bound, `while the upstream did not read, the client could send only ${(sentDuringStall / MiB).toFixed(1)} MiB, within socket buffers (${(bound / MiB).toFixed(1)} MiB): backpressure reaches the client`);
  t.ok(peakDuringStall - before < 64 * MiB, `edge RSS grew ${((peakDuringStall - before) / MiB).toFixed(1)} MiB while holding a stalled body`);
  t.ok(peak - before < 64 * MiB, `edge RSS grew ${((peak - before) / MiB).toFixed(1)} MiB over the whole ${(SIZE / MiB).toFixed(0)} MiB transfer`);
});
