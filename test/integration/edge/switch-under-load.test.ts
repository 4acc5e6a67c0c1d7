// 100 switches back and forth under continuous load (keep-alive and new connections, slow requests
// in flight): no request fails, a request sent after the acknowledgement reaches the new colour
// even on a kept-alive connection, and requests in flight at a switch finish on the old colour.
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { EdgeServer } from '../../../agent/edge/edge-server.js';
import { EdgeClient } from '../../../agent/edge/client.js';
import { edgeOptions } from '../../../agent/edge/options.js';
import { silentLogger } from '../../../agent/logger.js';
import { request, tempDir } from '../../helpers/edge.js';

const SWITCHES = 100;
const TIME_LIMIT_MS = 60_000;

let epoch = 0; // incremented at each acknowledged switch

async function colour(name: string): Promise<{ server: http.Server; address: string }> {
  const server = http.createServer((req, res) => {
    const seen = epoch;
    const url = new URL(req.url ?? '/', 'http://x');
    req.resume();
    const answer = (): void => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(`${name} ${seen}`); };
    if (url.pathname === '/slow') setTimeout(answer, Number(url.searchParams.get('ms')));
    else answer();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

t.test('100 switches under load: 0 failed, new requests on the new colour, in-flight finish on the old', async (t) => {
  const dir = tempDir();
  const blue = await colour('blue');
  const green = await colour('green');
  const opts = edgeOptions({ listen: ['127.0.0.1:0'], controlSocket: path.join(dir, 'edge.sock'), routesFile: path.join(dir, 'routes.json') });
  const edge = new EdgeServer(opts, { logger: silentLogger() });
  await edge.start();
  const port = (edge.addresses()[0] as AddressInfo).port;
  const client = new EdgeClient({ controlSocket: opts.controlSocket, routesFile: opts.routesFile });
  const table = (v: number, up: string): Parameters<EdgeClient['apply']>[0] => ({ version: v, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: up }] });
  await client.apply(table(1, blue.address));
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const failures: string[] = [];
  let ok = 0; let newConn = 0; let slowAcross = 0;
  let running = true;
  const deadline = Date.now() + TIME_LIMIT_MS;
  const loop = async (fn: () => Promise<void>): Promise<void> => { while (running && Date.now() < deadline) await fn(); };
  const fire = async (agent: http.Agent | false, p: string, check?: (body: string) => void): Promise<void> => {
    try {
      const a = await request(port, 'web.test', p, { agent });
      if (a.status !== 200) failures.push(`${p}: HTTP ${a.status} ${a.body}`);
      else { ok++; check?.(a.body); }
    } catch (e) { failures.push(`${p}: ${(e as Error).message}`); }
  };
  const load = [
    ...Array.from({ length: 6 }, () => loop(() => fire(keepAlive, '/'))),
    ...Array.from({ length: 2 }, () => loop(() => fire(false, '/').then(() => { newConn++; }))),
    ...Array.from({ length: 4 }, () => loop(() => fire(keepAlive, '/slow?ms=120', (body) => {
      const seen = Number(body.split(' ')[1]);
      // Received before a later switch was acknowledged and still answered (by the colour that got it).
      if (epoch > seen) slowAcross++;
    }))),
  ];
  let wrongAfterAck = 0;
  let prime = await request(port, 'web.test', '/', { agent: probeAgent }); // the probe's connection is kept alive across switches
  t.equal(prime.body.split(' ')[0], 'blue');
  for (let i = 0; i < SWITCHES && Date.now() < deadline; i++) {
    const to = i % 2 === 0 ? green : blue;
    await new Promise((r) => setTimeout(r, 25));
    const { version } = await client.apply(table(i + 2, to.address));
    epoch++;
    if (version !== i + 2) wrongAfterAck++;
    prime = await request(port, 'web.test', '/', { agent: probeAgent });
    if (prime.body.split(' ')[0] !== (to === green ? 'green' : 'blue')) wrongAfterAck++;
  }
  running = false;
  await Promise.all(load);
  keepAlive.destroy(); probeAgent.destroy();
  t.equal(epoch, SWITCHES, 'all switches done within the time bound');
  t.equal(failures.length, 0, `no failed request (${failures.slice(0, 3).join('; ')})`);
  t.equal(wrongAfterAck, 0, 'every request after an acknowledgement went to the new colour (same keep-alive connection)');
  t.ok(ok > 1000, `load kept going (${ok} ok requests, ${newConn} on new connections)`);
  t.ok(newConn > 50, 'new connections were part of the load');
  t.ok(slowAcross > 20, `slow requests in flight across a switch finished on the colour that received them (${slowAcross})`);
  const s = await client.stats();
  t.equal(s.routes['production/web'].status['5xx'], 0);
  t.equal(s.upstreams[blue.address].inFlight + s.upstreams[green.address].inFlight, 0);
  await edge.stop(2000);
  blue.server.closeAllConnections(); green.server.closeAllConnections();
  blue.server.close(); green.server.close();
});
