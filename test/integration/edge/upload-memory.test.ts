// A 50 MB upload through a real `autoinfra edge` process is streamed, never buffered:
// 1. while the upstream does not read, the client can push only what socket buffers hold
//    (backpressure reaches the client): the edge holds no more than its socket buffers;
// 2. the whole body then flows through; the edge's RSS growth stays bounded (it is the runtime's
//    allocation ceiling — V8 young generation and malloc arenas — the same for 50 or 200 MB).
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { rssBytes, startEdgeProcess, tempDir } from '../../helpers/edge.js';

const MiB = 1024 * 1024;
const SIZE = 50 * MiB;
const CHUNK = 64 * 1024;
const STALL_MS = 1500;

t.test('50 MB upload streamed with bounded memory', async (t) => {
  const dir = tempDir();
  let received = 0;
  let reading = false;
  const upstream = http.createServer((req, res) => {
    if (req.url !== '/upload') { req.resume(); req.on('end', () => res.end('ok')); return; }
    req.pause();
    setTimeout(() => { reading = true; req.resume(); }, STALL_MS);
    req.on('data', (c: Buffer) => { received += c.length; });
    req.on('end', () => res.end(String(received)));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.teardown(() => { upstream.closeAllConnections(); upstream.close(); });
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
  let sentDuringStall = 0;
  let peakDuringStall = before;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/upload', headers: { host: 'up.test', 'content-length': String(SIZE) }, timeout: 60_000 }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(CHUNK, 7);
    const write = (): void => {
      while (sent < SIZE) {
        sent += CHUNK;
        if (!reading) { sentDuringStall = sent; peakDuringStall = peak; }
        if (!req.write(chunk)) { req.once('drain', write); return; }
      }
      req.end();
    };
    write();
  });
  const a = await answer;
  clearInterval(sampler);
  t.equal(a.status, 200);
  t.equal(Number(a.body), SIZE, 'the upstream received every byte');
  t.ok(sentDuringStall < 24 * MiB, `while the upstream did not read, the client could send only ${(sentDuringStall / MiB).toFixed(1)} MiB (socket buffers): backpressure reaches the client`);
  t.ok(peak - before < 64 * MiB, `edge RSS grew ${((peak - before) / MiB).toFixed(1)} MiB over the whole 50 MiB transfer`);
  t.comment(`edge RSS growth: stall ${((peakDuringStall - before) / MiB).toFixed(1)} MiB, whole transfer ${((peak - before) / MiB).toFixed(1)} MiB`);
});
