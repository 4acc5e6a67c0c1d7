// `autoinfra edge` as an operator runs it: defaults from the agent config (flags override), and
// `--workers 2` (cluster): a reload is live in every worker before it is acknowledged, stats are summed.
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { startEdgeProcess, startUpstream, tempDir, request } from '../../helpers/edge.js';
import type { RouteTable } from '../../../shared/routes/route-table.js';

async function freePort(): Promise<number> {
  const s = http.createServer(); await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port; await new Promise((r) => s.close(r)); return p;
}

t.test('config gives the defaults; --listen overrides', async (t) => {
  const dir = tempDir();
  const app = await startUpstream('cfg');
  t.teardown(() => app.close());
  const [p1, p2] = [await freePort(), await freePort()];
  const routesFile = path.join(dir, 'routes.json');
  const controlSocket = path.join(dir, 'edge.sock');
  writeFileSync(routesFile, JSON.stringify({ version: 3, routes: [{ id: 'a', hosts: ['a.test'], upstream: app.address }] }));
  const config = path.join(dir, 'agent.yml');
  writeFileSync(config, `host: web-1\nrepo:\n  url: https://git.example.org/o/r.git\nedge:\n  listen: ["127.0.0.1:${p1}"]\n  control_socket: ${controlSocket}\n  routes_file: ${routesFile}\n`);
  const edge = await startEdgeProcess({ args: [], controlSocket, routesFile, env: { AUTOINFRA_CONFIG: config } });
  t.equal((await request(p1, 'a.test', '/')).body, 'cfg', 'listens where the config says');
  t.equal((await edge.client.stats()).version, 3);
  t.equal(await edge.stop(), 0, 'SIGTERM: clean exit');
  const edge2 = await startEdgeProcess({ args: ['--listen', `127.0.0.1:${p2}`], controlSocket, routesFile, env: { AUTOINFRA_CONFIG: config } });
  t.equal((await request(p2, 'a.test', '/')).body, 'cfg', '--listen overrides the config');
  await edge2.stop();
});

t.test('--workers 2: reload acknowledged when live in all workers; stats summed', async (t) => {
  const dir = tempDir();
  const blue = await startUpstream('blue');
  const green = await startUpstream('green');
  t.teardown(async () => { await blue.close(); await green.close(); });
  const port = await freePort();
  const routesFile = path.join(dir, 'routes.json');
  const edge = await startEdgeProcess({ args: ['--listen', `127.0.0.1:${port}`, '--workers', '2'], controlSocket: path.join(dir, 'edge.sock'), routesFile });
  t.teardown(() => edge.stop());
  t.equal((await request(port, 'w.test', '/')).status, 404, 'no routes file: 404');
  const table = (v: number, up: string): RouteTable => ({ version: v, routes: [{ id: 'w', hosts: ['w.test'], upstream: up }] });
  t.same(await edge.client.apply(table(1, blue.address)), { version: 1 });
  let wrong = 0;
  for (let i = 0; i < 40; i++) if ((await request(port, 'w.test', '/')).body !== 'blue') wrong++;
  t.same(await edge.client.apply(table(2, green.address)), { version: 2 });
  for (let i = 0; i < 40; i++) if ((await request(port, 'w.test', '/')).body !== 'green') wrong++;
  t.equal(wrong, 0, 'every request after an acknowledgement, whichever worker took it, went to the new upstream');
  const s = await edge.client.stats();
  t.equal(s.workers, 2);
  t.equal(s.version, 2);
  t.equal(s.upstreams[blue.address].requests + s.upstreams[green.address].requests, 80, 'requests summed over workers');
  writeFileSync(routesFile, '{ broken');
  const err = await fetchReload(path.join(dir, 'edge.sock'));
  t.equal(err, 400, 'malformed file: 400, workers keep their table');
  t.equal((await request(port, 'w.test', '/')).body, 'green');
});

function fetchReload(socketPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.request({ socketPath, method: 'POST', path: '/reload' }, (r) => { r.resume(); r.on('end', () => resolve(r.statusCode ?? 0)); }).on('error', reject).end();
  });
}
