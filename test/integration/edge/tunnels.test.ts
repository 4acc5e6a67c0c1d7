// Upgraded connections (WebSocket tunnels) against a hostile client, through a real in-process edge:
// a tunnel only after the upstream's 101, idle tunnels closed, and caps per edge and per client.
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import net, { type AddressInfo } from 'node:net';
import { EdgeServer } from '../../../agent/edge/edge-server.js';
import { EdgeClient } from '../../../agent/edge/client.js';
import { edgeOptions } from '../../../agent/edge/options.js';
import { silentLogger } from '../../../agent/logger.js';
import { rawStatus, startUpstream, tempDir, type TestUpstream } from '../../helpers/edge.js';
import { waitFor } from '../../../agent/wait-for.js';

const dir = tempDir();
const routesFile = path.join(dir, 'routes.json');
const controlSocket = path.join(dir, 'edge.sock');
let ws: TestUpstream, edge: EdgeServer, port: number, client: EdgeClient;
/** An upstream that answers every request, upgrade or not, with a plain 200 (Node without an 'upgrade' listener does). */
let plain: http.Server;
const plainSeen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
let plainAddress = '';

const HANDSHAKE = (pathName: string): string => `GET ${pathName} HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

/** A raw client connection: what it has received so far, and whether the edge closed it. */
interface RawConn { sock: net.Socket; got: () => string; closed: Promise<void>; isClosed: () => boolean }
function connect(localAddress = '127.0.0.1'): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    let got = ''; let isClosed = false;
    const closed = new Promise<void>((r) => sock.once('close', () => { isClosed = true; r(); }));
    sock.on('data', (c: Buffer) => { got += c.toString('latin1'); });
    sock.on('error', () => undefined);
    sock.once('connect', () => resolve({ sock, got: () => got, closed, isClosed: () => isClosed }));
    sock.once('error', reject);
  });
}
const until = (what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> => waitFor(what, async () => cond(), { timeoutMs, intervalMs: 10 }).then(() => undefined);

t.before(async () => {
  ws = await startUpstream('ws');
  plain = http.createServer((req, res) => {
    plainSeen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 7 });
    res.end('plain\r\n');
  });
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  plainAddress = `127.0.0.1:${(plain.address() as AddressInfo).port}`;
  edge = new EdgeServer(edgeOptions({ listen: ['127.0.0.1:0'], controlSocket, routesFile, tunnelIdleTimeoutMs: 500, maxTunnels: 3, maxTunnelsPerClient: 2 }), { logger: silentLogger() });
  await edge.start();
  port = (edge.addresses()[0] as AddressInfo).port;
  client = new EdgeClient({ controlSocket, routesFile });
});
t.teardown(async () => {
  await edge.stop(500);
  await ws.close();
  plain.closeAllConnections();
  await new Promise<void>((r) => plain.close(() => r()));
});

t.test('smuggling: an upgrade the upstream answers 200 is relayed as a response, never turned into a tunnel', async (t) => {
  await client.apply({ version: 1, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: plainAddress }] });
  const c = await connect();
  c.sock.write(HANDSHAKE('/ws'));
  await until('the 200 relayed', () => /plain\r\n$/.test(c.got()));
  t.equal(rawStatus(c.got()), 200, 'the upstream\'s answer reaches the client');
  t.match(c.got(), /\r\nconnection: close\r\n/i, 'as a normal response closing the connection');
  // What a smuggler sends next: with a raw tunnel it reached the upstream with no routing and no X-Forwarded-For.
  c.sock.write('GET /smuggled HTTP/1.1\r\nHost: internal.admin\r\n\r\n');
  await until('the connection closed, or the smuggled request seen', () => c.isClosed() || plainSeen.some((s) => s.url === '/smuggled'));
  t.ok(c.isClosed(), 'the edge closed the connection');
  t.same(plainSeen.map((s) => s.url), ['/ws'], 'the upstream saw only the routed upgrade request');
  t.match(plainSeen[0].headers['x-forwarded-for'], /127\.0\.0\.1/);
  const s = await client.stats();
  t.equal(s.upstreams[plainAddress].tunnels, 0, 'no tunnel counted');
  t.equal(s.upstreams[plainAddress].status['2xx'], 1, 'counted as the 200 it was');
});

t.test('a real WebSocket upstream still gets a tunnel after its 101', async (t) => {
  await client.apply({ version: 2, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: ws.address }] });
  const c = await connect();
  c.sock.write(HANDSHAKE('/ws'));
  await until('101 and the first frame', () => /ws:hello/.test(c.got()));
  t.equal(rawStatus(c.got()), 101);
  t.equal((await client.stats()).tunnels.open, 1);
  c.sock.destroy();
  await until('tunnel closed', () => edge.stats().tunnels.open === 0);
});

t.test('exhaustion: tunnels are capped per client address and per edge (503), counted, and closed when idle', async (t) => {
  const open = async (from: string): Promise<RawConn & { status: number }> => {
    const c = await connect(from);
    c.sock.write(HANDSHAKE('/ws'));
    await until(`an answer to ${from}`, () => /ws:hello/.test(c.got()) || (rawStatus(c.got()) !== 0 && rawStatus(c.got()) !== 101) || c.isClosed());
    return { ...c, status: rawStatus(c.got()) };
  };
  const a1 = await open('127.0.0.1');
  const a2 = await open('127.0.0.1');
  const a3 = await open('127.0.0.1');
  t.same([a1.status, a2.status, a3.status], [101, 101, 503], 'a third tunnel from one address is refused');
  const b1 = await open('127.0.0.2');
  t.equal(b1.status, 101, 'another address still gets one');
  const c1 = await open('127.0.0.3');
  t.equal(c1.status, 503, 'the edge-wide cap (3) is reached');
  let s = await client.stats();
  t.same(s.tunnels, { open: 3, refused: 2, idleClosed: 0 });
  t.equal(s.upstreams[ws.address].edgeAnswers.tunnelLimit, 2, 'the refusals are the edge\'s own answers (not the upstream failing)');
  t.same(s.upstreams[ws.address].upstreamErrors, { connect: 0, timeout: 0, other: 0 });

  // Keep a1 busy (a frame every 100 ms, echoed), let a2 and b1 idle past 500 ms.
  const frame = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 'h'.charCodeAt(0) ^ 1, 'i'.charCodeAt(0) ^ 2]);
  const keepAlive = setInterval(() => a1.sock.write(frame), 100);
  t.teardown(() => clearInterval(keepAlive));
  await Promise.race([Promise.all([a2.closed, b1.closed]), new Promise((_, reject) => setTimeout(() => reject(new Error('idle tunnels not closed within 5 s')), 5000))]);
  t.notOk(a1.isClosed(), 'the busy tunnel stays open');
  t.match(a1.got(), /ws:hi/, 'and carries data');
  s = await client.stats();
  t.same(s.tunnels, { open: 1, refused: 2, idleClosed: 2 });
  const again = await open('127.0.0.2');
  t.equal(again.status, 101, 'freed slots are usable again');
  clearInterval(keepAlive);
  a1.sock.destroy(); again.sock.destroy();
  await until('all tunnels closed', () => edge.stats().tunnels.open === 0);
});

t.test('a handshake waiting for its 101 is in flight: the old colour is not drained under it', async (t) => {
  let answer: (() => void) | undefined;
  const slow = http.createServer((_req, res) => res.end());
  slow.on('upgrade', (_req, socket: net.Socket) => {
    answer = () => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nslow:hello');
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const addr = `127.0.0.1:${(slow.address() as AddressInfo).port}`;
  t.teardown(() => new Promise<void>((r) => { slow.closeAllConnections(); slow.close(() => r()); }));
  await client.apply({ version: 3, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: addr }] });
  const c = await connect();
  c.sock.write(HANDSHAKE('/ws'));
  await until('the upstream holds the handshake', () => answer !== undefined);
  t.equal((await client.stats()).upstreams[addr].inFlight, 1, 'counted in flight');
  t.equal(await client.waitDrained(addr, { timeoutMs: 50 }), false, 'not drained');
  answer!();
  await until('101 relayed', () => /slow:hello/.test(c.got()));
  const s = await client.stats();
  t.equal(s.upstreams[addr].inFlight, 0);
  t.equal(s.upstreams[addr].tunnels, 1, 'now a tunnel (still not drained)');
  c.sock.destroy();
  t.equal(await client.waitDrained(addr, { timeoutMs: 3000 }), true, 'drained once closed');
});

t.test('smuggling: a request pipelined right behind the handshake never reaches an upstream that answers 200', async (t) => {
  await client.apply({ version: 4, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: plainAddress }] });
  plainSeen.length = 0;
  const c = await connect();
  c.sock.write(HANDSHAKE('/ws') + 'GET /pipelined HTTP/1.1\r\nHost: internal.admin\r\n\r\n');
  await until('the connection closed, or the pipelined request seen', () => c.isClosed() || plainSeen.some((s) => s.url === '/pipelined'));
  t.equal(rawStatus(c.got()), 200);
  t.same(plainSeen.map((s) => s.url), ['/ws'], 'only the routed handshake reached the upstream');
});

t.test('h2c smuggling: only WebSocket upgrades are tunnelled; any other Upgrade is proxied as a plain request', async (t) => {
  // The ws upstream answers 101 to any upgrade: an h2c tunnel would let HTTP/2 requests past routing.
  await client.apply({ version: 5, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: ws.address }] });
  const c = await connect();
  c.sock.write('GET /echo HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n');
  await c.closed;
  t.equal(rawStatus(c.got()), 200, 'answered as a plain request, not 101');
  t.match(c.got(), /"name":"ws"/);
  t.notOk(/"upgrade"|"http2-settings"/.test(c.got().slice(c.got().indexOf('\r\n\r\n'))), 'the upstream saw no Upgrade nor HTTP2-Settings');
  const withBody = await connect();
  withBody.sock.write('POST /upload HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\n\r\nhello');
  await withBody.closed;
  t.equal(rawStatus(withBody.got()), 400, 'a body on a non-WebSocket upgrade cannot be framed: refused');
});
