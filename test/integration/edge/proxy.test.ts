// Proxy mechanics through an in-process edge on 127.0.0.1 with in-process upstreams.
import t from 'tap';
import path from 'node:path';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { WebSocket } from 'undici';
import { EdgeServer } from '../../../agent/edge/edge-server.js';
import { EdgeClient } from '../../../agent/edge/client.js';
import { edgeOptions } from '../../../agent/edge/options.js';
import { EdgeUnavailableError } from '../../../agent/edge/errors.js';
import { silentLogger } from '../../../agent/logger.js';
import { request, startUpstream, tempDir, type TestUpstream } from '../../helpers/edge.js';
import type { RouteTable } from '../../../shared/routes/route-table.js';

const dir = tempDir();
const routesFile = path.join(dir, 'routes.json');
const controlSocket = path.join(dir, 'edge.sock');
let blue: TestUpstream, green: TestUpstream, edge: EdgeServer, port: number, client: EdgeClient;
const table = (v: number, upstream: string, extra: Partial<RouteTable['routes'][0]> = {}): RouteTable => ({ version: v, routes: [{ id: 'production/web', hosts: ['web.test', '127.0.0.1'], upstream, ...extra }] });

t.before(async () => {
  blue = await startUpstream('blue');
  green = await startUpstream('green');
  edge = new EdgeServer(edgeOptions({ listen: ['127.0.0.1:0'], controlSocket, routesFile, upstreamHeadersTimeoutMs: 300, maxHeaderSize: 4096 }), { logger: silentLogger() });
  await edge.start();
  port = (edge.addresses()[0] as AddressInfo).port;
  client = new EdgeClient({ controlSocket, routesFile });
});
t.teardown(async () => { await edge.stop(1000); await blue.close(); await green.close(); });

t.test('starts with no routes file: 404 with a small clear body for every host', async (t) => {
  t.equal(edge.version, 0);
  const a = await request(port, 'web.test', '/');
  t.equal(a.status, 404);
  t.match(a.body, /no route for this host/);
});

t.test('apply: file written, edge acknowledges, routed by Host with X-Forwarded-* and hop-by-hop removed', async (t) => {
  t.same(await client.apply(table(1, blue.address)), { version: 1 });
  t.same(JSON.parse(readFileSync(routesFile, 'utf8')), table(1, blue.address));
  const a = await request(port, 'WEB.test:8080', '/echo?x=1', { headers: { connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'x-forwarded-for': '10.1.1.1', 'keep-alive': 'timeout=1' } });
  t.equal(a.status, 200);
  const echo = JSON.parse(a.body) as { name: string; headers: Record<string, string> };
  t.equal(echo.name, 'blue');
  t.equal(echo.headers.host, 'WEB.test:8080', 'Host passed through');
  t.equal(echo.headers['x-forwarded-for'], '10.1.1.1, 127.0.0.1');
  t.equal(echo.headers['x-forwarded-proto'], 'http');
  t.equal(echo.headers['x-forwarded-host'], 'WEB.test:8080');
  t.notOk('x-hop' in echo.headers, 'Connection-listed header removed');
  t.notOk('keep-alive' in echo.headers);
  t.equal((await request(port, 'other.test', '/')).status, 404, 'unknown host → 404');
  t.equal(a.headers['x-upstream'], 'blue', 'response headers passed through');
});

t.test('malformed routes file: reload answers 400, the old table stays', async (t) => {
  writeFileSync(routesFile, '{"version": 7, "routes": [{"id": "x"}]}');
  const err = await client.apply({ version: 2, routes: [{ id: 'x', hosts: ['BAD HOST'], upstream: 'nope' }] }).catch((e: Error) => e);
  t.match(err, { code: 'E_EDGE_ROUTES' }, 'the client validates before writing');
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const http = import('node:http');
    void http.then((h) => h.request({ socketPath: controlSocket, method: 'POST', path: '/reload' }, (r) => { let b = ''; r.on('data', (c) => { b += c; }); r.on('end', () => resolve({ status: r.statusCode ?? 0, body: b })); }).on('error', reject).end());
  });
  t.equal(res.status, 400);
  t.match(res.body, /routes\.json.*routes\[0\]\.hosts/s, 'names the file and the problem');
  t.equal(edge.version, 1);
  t.equal((await request(port, 'web.test', '/')).body, 'blue');
});

t.test('upstream down → 502 and counted; slow upstream → 504 and counted', async (t) => {
  const dead = await startUpstream('dead');
  await dead.close();
  await client.apply(table(3, dead.address));
  const a = await request(port, 'web.test', '/');
  t.equal(a.status, 502);
  t.match(a.body, /bad gateway/);
  let s = await client.stats();
  t.equal(s.upstreams[dead.address].status['5xx'], 1);
  t.equal(s.upstreams[dead.address].upstreamErrors.connect, 1);
  await client.apply(table(4, blue.address));
  const slow = await request(port, 'web.test', '/slow?ms=1000');
  t.equal(slow.status, 504);
  s = await client.stats();
  t.equal(s.upstreams[blue.address].upstreamErrors.timeout, 1);
  t.equal(s.routes['production/web'].status['5xx'], 2);
});

t.test('header size limit → 431', async (t) => {
  const a = await request(port, 'web.test', '/', { headers: { 'x-big': 'a'.repeat(8000) } });
  t.equal(a.status, 431);
});

t.test('WebSocket through a switch: the open socket stays on the old colour, a new one gets the new colour', async (t) => {
  await client.apply(table(5, blue.address));
  const open = (): Promise<{ ws: WebSocket; next: () => Promise<string> }> => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const queue: string[] = []; const waiters: ((s: string) => void)[] = [];
    ws.onmessage = (e) => { const w = waiters.shift(); if (w) w(String(e.data)); else queue.push(String(e.data)); };
    ws.onerror = () => reject(new Error('websocket error'));
    ws.onopen = () => resolve({ ws, next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r))) });
  });
  const a = await open();
  t.equal(await a.next(), 'blue:hello');
  let s = await client.stats();
  t.equal(s.upstreams[blue.address].tunnels, 1, 'open tunnel counted');
  t.equal(await client.waitDrained(blue.address, { timeoutMs: 50 }), false, 'an open tunnel is not drained');
  await client.apply(table(6, green.address));
  a.ws.send('after-switch');
  t.equal(await a.next(), 'blue:after-switch', 'existing WebSocket still on blue');
  const b = await open();
  t.equal(await b.next(), 'green:hello', 'new WebSocket on green');
  a.ws.close(); b.ws.close();
  t.equal(await client.waitDrained(blue.address, { timeoutMs: 3000 }), true, 'drained once closed');
  s = await client.stats();
  t.equal(s.upstreams[blue.address].tunnels, 0);
});

t.test('raw upgrade to an unknown host → 404', async (t) => {
  const sock = net.connect(port, '127.0.0.1');
  sock.write('GET / HTTP/1.1\r\nHost: nowhere.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  const text = await new Promise<string>((r) => { let b = ''; sock.on('data', (c) => { b += c; }); sock.on('close', () => r(b)); });
  t.match(text, /^HTTP\/1\.1 404/);
});

t.test('EdgeClient: edge not running → file still written, EdgeUnavailableError', async (t) => {
  const d2 = tempDir();
  const c2 = new EdgeClient({ controlSocket: path.join(d2, 'none.sock'), routesFile: path.join(d2, 'routes.json') });
  const err = await c2.apply(table(1, blue.address)).catch((e: Error) => e);
  t.ok(err instanceof EdgeUnavailableError);
  t.equal((err as EdgeUnavailableError).code, 'E_EDGE_UNAVAILABLE');
  t.ok(existsSync(path.join(d2, 'routes.json')));
});

t.test('TLS listener with certificate files; X-Forwarded-Proto https', async (t) => {
  const d3 = tempDir();
  const cert = path.join(d3, 'cert.pem'); const key = path.join(d3, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=web.test'], { stdio: 'ignore' });
  writeFileSync(path.join(d3, 'routes.json'), JSON.stringify(table(1, blue.address)));
  const tlsEdge = new EdgeServer(edgeOptions({ listen: [], tls: [{ listen: '127.0.0.1:0', cert, key }], controlSocket: path.join(d3, 'c.sock'), routesFile: path.join(d3, 'routes.json') }), { logger: silentLogger(), control: false });
  await tlsEdge.start();
  t.teardown(() => tlsEdge.stop(500));
  const tlsPort = (tlsEdge.addresses()[0] as AddressInfo).port;
  const body = await new Promise<string>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: tlsPort, path: '/echo', headers: { host: 'web.test' }, rejectUnauthorized: false }, (r) => { let b = ''; r.on('data', (c) => { b += c; }); r.on('end', () => resolve(b)); }).on('error', reject);
  });
  const echo = JSON.parse(body) as { name: string; headers: Record<string, string> };
  t.equal(echo.name, 'blue');
  t.equal(echo.headers['x-forwarded-proto'], 'https');
});

t.test('client gone mid-request: the upstream request is aborted and in-flight returns to 0', async (t) => {
  await client.apply(table(20, blue.address));
  let upstreamClosed = false;
  const closedSeen = new Promise<void>((resolve) => {
    blue.server.once('request', (_req, res) => { res.once('close', () => { upstreamClosed = true; resolve(); }); });
  });
  const http = await import('node:http');
  const req = http.request({ host: '127.0.0.1', port, path: '/slow?ms=5000', headers: { host: 'web.test' }, agent: false });
  req.on('error', () => undefined);
  req.end();
  await new Promise((r) => setTimeout(r, 150));
  t.equal((await client.stats()).upstreams[blue.address].inFlight, 1);
  req.destroy();
  await Promise.race([closedSeen, new Promise((r) => setTimeout(r, 3000))]);
  t.ok(upstreamClosed, 'the upstream saw its request go away');
  t.equal(await client.waitDrained(blue.address, { timeoutMs: 2000 }), true);
});

t.test('Expect: 100-continue upload is answered with 100 and streamed', async (t) => {
  const http = await import('node:http');
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/upload', headers: { host: 'web.test', expect: '100-continue', 'content-length': '5000' }, agent: false }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve(b));
    });
    req.on('continue', () => req.end('z'.repeat(5000)));
    req.on('error', reject);
  });
  t.same(JSON.parse(body), { name: 'blue', bytes: 5000 });
});

t.test('graceful stop closes open WebSocket tunnels', async (t) => {
  const d4 = tempDir();
  writeFileSync(path.join(d4, 'routes.json'), JSON.stringify(table(1, blue.address)));
  const e4 = new EdgeServer(edgeOptions({ listen: ['127.0.0.1:0'], controlSocket: path.join(d4, 'c.sock'), routesFile: path.join(d4, 'routes.json') }), { logger: silentLogger(), control: false });
  await e4.start();
  const p4 = (e4.addresses()[0] as AddressInfo).port;
  const ws = new WebSocket(`ws://127.0.0.1:${p4}/ws`);
  await new Promise<void>((resolve, reject) => { ws.onmessage = () => resolve(); ws.onerror = () => reject(new Error('ws error')); });
  const closed = new Promise<void>((r) => { ws.onclose = () => r(); });
  await e4.stop(300);
  await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('tunnel not closed')), 3000))]);
  t.pass('the tunnel was closed by the stop');
});
