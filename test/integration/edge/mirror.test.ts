// Mirroring through a real `autoinfra edge` process: a mirror target that sleeps 1 s, or is down,
// leaves production throughput and latency unchanged within noise; drops are counted; mirrored
// requests carry X-Autoinfra-Mirror: 1; bodies ≤ 64 KiB are mirrored, larger ones dropped.
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startEdgeProcess, startUpstream, tempDir, request } from '../../helpers/edge.js';
import type { RouteTable } from '../../../shared/routes/route-table.js';

// Phases are measured in interleaved slices (A B C A B C …) so that load from other processes on a
// shared machine falls on all of them alike.
const SLICE_MS = 400;
const ROUNDS = 5;
const CONCURRENCY = 16;

interface Phase { rps: number; p50: number; p99: number; failed: number }

async function slice(port: number, host: string, lat: number[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let failed = 0;
  const end = Date.now() + SLICE_MS;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const s = performance.now();
      try { const a = await request(port, host, '/', { agent }); if (a.status !== 200 || a.body !== 'prod') failed++; } catch { failed++; }
      lat.push(performance.now() - s);
    }
  }));
  agent.destroy();
  return failed;
}

async function measure(port: number, hosts: string[]): Promise<Phase[]> {
  const lat = hosts.map((): number[] => []);
  const failed = hosts.map(() => 0);
  for (let r = 0; r < ROUNDS; r++) for (const [i, h] of hosts.entries()) failed[i] += await slice(port, h, lat[i]);
  return lat.map((l, i) => {
    l.sort((a, b) => a - b);
    return { rps: l.length / ((ROUNDS * SLICE_MS) / 1000), p50: l[Math.floor(l.length * 0.5)], p99: l[Math.floor(l.length * 0.99)], failed: failed[i] };
  });
}

t.test('mirror: a slow or dead target never slows production; drops and agreement counted', async (t) => {
  const dir = tempDir();
  const prod = await startUpstream('prod');
  let mirrored = 0; let mirrorHeader = 0; const bodies: string[] = [];
  const slow = http.createServer((req, res) => {
    mirrored++;
    if (req.headers['x-autoinfra-mirror'] === '1') mirrorHeader++;
    let b = ''; req.on('data', (c) => { b += c; });
    req.on('end', () => { if (b) bodies.push(b); setTimeout(() => res.end('mirror'), 1000); });
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const slowAddr = `127.0.0.1:${(slow.address() as AddressInfo).port}`;
  const dead = { address: '127.0.0.1:1' }; // nothing listens on port 1
  t.teardown(async () => { slow.closeAllConnections(); slow.close(); await prod.close(); });
  const routesFile = path.join(dir, 'routes.json');
  const table: RouteTable = {
    version: 1,
    routes: [
      { id: 'plain', hosts: ['plain.test'], upstream: prod.address },
      { id: 'to-slow', hosts: ['slow.test'], upstream: prod.address, mirror: { target: slowAddr, methods: ['GET', 'HEAD', 'POST'], sampleRate: 1 } },
      { id: 'to-dead', hosts: ['dead.test'], upstream: prod.address, mirror: { target: dead.address, methods: ['GET'], sampleRate: 1 } },
    ],
  };
  const probe = http.createServer(); await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port; await new Promise((r) => probe.close(r));
  const edge = await startEdgeProcess({ args: ['--listen', `127.0.0.1:${port}`], controlSocket: path.join(dir, 'edge.sock'), routesFile });
  t.teardown(() => edge.stop());
  await edge.client.apply(table);

  await slice(port, 'plain.test', []); // warm-up
  const [base, withSlow, withDead] = await measure(port, ['plain.test', 'slow.test', 'dead.test']);
  const ref = base.rps;
  const fmt = (p: Phase): string => `${p.rps.toFixed(0)} req/s p50 ${p.p50.toFixed(2)} ms p99 ${p.p99.toFixed(2)} ms`;
  t.comment(`no mirror: ${fmt(base)}`);
  t.comment(`mirror to 1 s-slow target: ${fmt(withSlow)} (${(withSlow.rps / ref).toFixed(2)}x)`);
  t.comment(`mirror to dead target: ${fmt(withDead)} (${(withDead.rps / ref).toFixed(2)}x)`);
  for (const p of [base, withSlow, withDead]) t.equal(p.failed, 0, 'no production request failed or was altered');
  // Shared 2-core CI machines are noisy: "unchanged" means within 25 % and no added second of latency.
  t.ok(withSlow.rps >= 0.75 * ref, 'throughput with a 1 s-slow mirror target within noise');
  t.ok(withDead.rps >= 0.75 * ref, 'throughput with a dead mirror target within noise');
  t.ok(withSlow.p99 < base.p99 + 50 && withSlow.p99 < 500, 'p99 not held by the slow mirror');

  const s = await edge.client.stats();
  const ms = s.mirror['to-slow'];
  t.ok(ms.dropped > 0, `drops counted when 64 copies are out (${ms.dropped} dropped, ${ms.sent} sent)`);
  t.ok(ms.sent <= 64 * ((ROUNDS * SLICE_MS * 3) / 1000 + 2), 'at most 64 copies in flight at a time');
  t.ok(ms.inFlight <= 64);
  t.equal(ms.sampled, ms.sent + ms.dropped);
  t.ok(mirrorHeader > 0 && mirrorHeader === mirrored, 'every mirrored request carries X-Autoinfra-Mirror: 1');
  t.equal(s.routes['to-dead'].status['5xx'], 0);

  // Bodies: ≤ 64 KiB mirrored byte for byte; larger ones dropped, production still gets all of it.
  await new Promise((r) => setTimeout(r, 1200)); // let the in-flight copies finish
  const droppedBefore = (await edge.client.stats()).mirror['to-slow'].dropped;
  const small = await request(port, 'slow.test', '/upload', { method: 'POST', body: 'a'.repeat(1000) });
  t.same(JSON.parse(small.body), { name: 'prod', bytes: 1000 });
  const big = await request(port, 'slow.test', '/upload', { method: 'POST', body: 'b'.repeat(100 * 1024) });
  t.same(JSON.parse(big.body), { name: 'prod', bytes: 100 * 1024 });
  const chunked = await new Promise<string>((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/upload', headers: { host: 'slow.test' } }, (res) => { let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve(b)); });
    req.on('error', reject);
    req.write('c'.repeat(500)); req.end('c'.repeat(500));
  });
  t.same(JSON.parse(chunked), { name: 'prod', bytes: 1000 }, 'chunked body streamed to production');
  const deadline = Date.now() + 5000;
  while (bodies.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.same(bodies.map((b) => b.length).sort(), [1000, 1000], 'small bodies (sized and chunked) mirrored, the 100 KiB one not');
  t.equal((await edge.client.stats()).mirror['to-slow'].dropped, droppedBefore + 1, 'the large body counted as dropped');
  await new Promise((r) => setTimeout(r, 1100));
  const after = (await edge.client.stats()).mirror['to-slow'];
  t.ok(after.agree > 0, `status class agreement recorded (${after.agree} agree, ${after.disagree} disagree)`);
  // A dead target: the first copy fails (counted), the next ones are dropped for a while without a connect attempt.
  const beforeDead = (await edge.client.stats()).mirror['to-dead'];
  for (let i = 0; i < 5; i++) t.equal((await request(port, 'dead.test', '/')).body, 'prod');
  await new Promise((r) => setTimeout(r, 100));
  const md = (await edge.client.stats()).mirror['to-dead'];
  t.ok(md.errors > beforeDead.errors, `errors counted for the dead target (${md.errors})`);
  t.ok(md.dropped >= beforeDead.dropped + 3, 'later copies to the dead target dropped without trying');
});
