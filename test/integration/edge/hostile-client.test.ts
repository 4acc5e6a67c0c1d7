// An internet client at the edge (docs/security.md): what a hostile client can send, through a real
// in-process edge on 127.0.0.1 with in-process upstreams. Each case reproduced a hole first.
import t from 'tap';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { EdgeServer } from '../../../agent/edge/edge-server.js';
import { EdgeClient } from '../../../agent/edge/client.js';
import { edgeOptions } from '../../../agent/edge/options.js';
import { edgeControl } from '../../../agent/edge-control.js';
import { watchVerdict } from '../../../agent/deploy/watch.js';
import { defaultExecutorOptions } from '../../../agent/deploy/options.js';
import { silentLogger } from '../../../agent/logger.js';
import { rawRequest, rawStatus, request, startUpstream, tempDir, type TestUpstream } from '../../helpers/edge.js';
import type { RouteTable } from '../../../shared/routes/route-table.js';

const dir = tempDir();
const routesFile = path.join(dir, 'routes.json');
const controlSocket = path.join(dir, 'edge.sock');
let blue: TestUpstream, edge: EdgeServer, port: number, client: EdgeClient;
let version = 1;
const apply = (upstream: string): Promise<unknown> => client.apply({ version: version++, routes: [{ id: 'production/web', hosts: ['web.test'], upstream }] } satisfies RouteTable);
const verdict = async (upstream: string): Promise<string | undefined> => {
  const c = await edgeControl(client).upstreamCounters?.(upstream);
  return c ? watchVerdict(c, defaultExecutorOptions) : undefined;
};

t.before(async () => {
  blue = await startUpstream('blue');
  edge = new EdgeServer(edgeOptions({ listen: ['127.0.0.1:0'], controlSocket, routesFile }), { logger: silentLogger() });
  await edge.start();
  port = (edge.addresses()[0] as AddressInfo).port;
  client = new EdgeClient({ controlSocket, routesFile });
});
t.teardown(async () => { await edge.stop(1000); await blue.close(); });

t.test('forced revert: requests the edge refuses itself never count as the upstream failing', async (t) => {
  const fresh = await startUpstream('fresh');
  t.teardown(() => fresh.close());
  await apply(fresh.address);
  const bad = {
    'duplicate Host': 'GET / HTTP/1.1\r\nHost: web.test\r\nHost: evil.test\r\nConnection: close\r\n\r\n',
    'OPTIONS *': 'OPTIONS * HTTP/1.1\r\nHost: web.test\r\nConnection: close\r\n\r\n',
    'malformed chunk size': 'POST /upload HTTP/1.1\r\nHost: web.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    'bad request line': 'GET /\x01 HTTP/1.1\r\nHost: web.test\r\n\r\n',
  };
  const seen: Record<string, number> = {};
  // 4 kinds × 6: far above the ~5 that used to fail a deploy (and above minErrors 10).
  for (let i = 0; i < 6; i++) for (const [name, text] of Object.entries(bad)) seen[name] = rawStatus(await rawRequest(port, text));
  t.same(seen, { 'duplicate Host': 400, 'OPTIONS *': 200, 'malformed chunk size': 400, 'bad request line': 400 }, 'each is answered by the edge');
  t.equal((await request(port, 'web.test', '/')).body, 'fresh', 'a good request still goes through');
  const s = await client.stats();
  const up = s.upstreams[fresh.address];
  t.same(up.upstreamErrors, { connect: 0, timeout: 0, other: 0 }, 'no upstream error counted');
  t.equal(up.status['5xx'], 0, 'no 5xx counted');
  t.ok(s.edgeAnswers.badRequest >= 18, `the edge's own 400s are counted apart (${s.edgeAnswers.badRequest})`);
  t.equal(s.edgeAnswers.options, 6, 'OPTIONS * counted apart');
  t.equal(await verdict(fresh.address), undefined, 'the watch sees nothing wrong with the upstream');
  t.match(await client.metrics(), /^autoinfra_edge_own_answers_total\{reason="badRequest"\} \d+$/m);
});

t.test('forced revert: an upstream that refuses connections still fails the watch', async (t) => {
  const dead = await startUpstream('dead');
  await dead.close();
  await apply(dead.address);
  for (let i = 0; i < 12; i++) t.equal((await request(port, 'web.test', '/')).status, 502);
  const s = await client.stats();
  t.equal(s.upstreams[dead.address].upstreamErrors.connect, 12);
  t.equal(s.upstreams[dead.address].edgeAnswers.upstreamFailed, 12, 'the 502s are the edge\'s, counted as the upstream failing');
  t.match(await verdict(dead.address), /12 errors in 12 requests/, 'a crashed new colour is still reverted');
  await apply(blue.address);
});

t.test('headers: a client-sent X-Autoinfra-* header never reaches the upstream', async (t) => {
  await apply(blue.address);
  const a = await request(port, 'web.test', '/echo', { headers: { 'x-autoinfra-mirror': '1', 'X-AutoInfra-Trusted': 'yes', 'x-autoinfrastructure': 'kept' } });
  const echo = JSON.parse(a.body) as { headers: Record<string, string> };
  t.notOk('x-autoinfra-mirror' in echo.headers, 'X-Autoinfra-Mirror stripped');
  t.notOk('x-autoinfra-trusted' in echo.headers, 'any X-Autoinfra-* stripped');
  t.equal(echo.headers['x-autoinfrastructure'], 'kept', 'only the X-Autoinfra- prefix');
  const ws = await rawRequest(port, 'GET /ws HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Autoinfra-Mirror: 1\r\n\r\n', 5000, /blue:hello/);
  t.match(ws, /^HTTP\/1\.1 101/);
  t.notOk(blue.lastHeaders && 'x-autoinfra-mirror' in blue.lastHeaders, 'stripped on upgrades too');
});

t.test('headers: duplicate Host is answered 400, on plain and upgrade requests, and never proxied', async (t) => {
  await apply(blue.address);
  const hits = blue.hits;
  t.equal(rawStatus(await rawRequest(port, 'GET /echo HTTP/1.1\r\nHost: web.test\r\nHost: web.test\r\nConnection: close\r\n\r\n')), 400);
  t.equal(rawStatus(await rawRequest(port, 'GET /echo HTTP/1.1\r\nHost: evil.test\r\nhost: web.test\r\nConnection: close\r\n\r\n')), 400);
  t.equal(rawStatus(await rawRequest(port, 'GET /ws HTTP/1.1\r\nHost: web.test\r\nHost: evil.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n')), 400, 'upgrade');
  t.equal(blue.hits, hits, 'the upstream saw none of them');
});

t.test('paths are normalised before prefix routing, and the upstream gets the normalised path', async (t) => {
  const api = await startUpstream('api');
  t.teardown(() => api.close());
  await client.apply({ version: version++, routes: [
    { id: 'production/web', hosts: ['web.test'], upstream: blue.address },
    { id: 'production/api', hosts: ['web.test'], pathPrefix: '/api', upstream: api.address },
  ] });
  const via = async (target: string, host = 'web.test'): Promise<string> => {
    const text = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const status = rawStatus(text);
    if (status !== 200) return String(status);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    const m = /"name":"(\w+)"/.exec(body);
    return m ? `${m[1]} ${(/"path":"([^"]*)"/.exec(body) ?? [])[1]}` : body;
  };
  t.equal(await via('/api/echo'), 'api /api/echo');
  t.equal(await via('/%61pi/echo'), 'api /api/echo', 'an escaped prefix routes as the prefix');
  t.equal(await via('//api/echo'), 'api /api/echo', 'merged slashes');
  t.equal(await via('/api/../echo'), 'blue /echo', '/api/.. leaves the api route');
  t.equal(await via('/api/%2e%2e/echo'), 'blue /echo', 'escaped dots too');
  t.equal(await via('/x/../api/echo'), 'api /api/echo');
  t.equal(await via('/api/..%2Fecho'), '400', 'an encoded slash is refused');
  t.equal(await via('/api/%00'), '400');
  t.equal(await via('/api\\..\\echo'), '400');
  t.equal(await via('/../echo'), '400', 'above the root');
  t.equal(await via('http://web.test/api/echo'), 'api /api/echo', 'absolute-form, agreeing with Host');
  t.equal(await via('http://web.test/api/echo', 'evil.test'), '400', 'absolute-form disagreeing with Host');
  const http10 = await rawRequest(port, 'GET http://web.test/%61pi/echo HTTP/1.0\r\n\r\n');
  t.match(http10, /"name":"api"/, 'HTTP/1.0 without Host: routed by the authority');
  t.match(http10, /"host":"web.test"/, 'and the upstream is told the host');
});

t.test('CONNECT is answered 501 by the edge (it is no forward proxy) and counted as its own answer', async (t) => {
  const before = (await client.stats()).edgeAnswers.badRequest;
  t.equal(rawStatus(await rawRequest(port, 'CONNECT web.test:443 HTTP/1.1\r\nHost: web.test:443\r\n\r\n')), 501);
  t.equal((await client.stats()).edgeAnswers.badRequest, before + 1);
});
