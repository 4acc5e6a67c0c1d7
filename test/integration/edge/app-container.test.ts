// Through the real test app (autoinfra-test/app containers): route to blue, switch to a green that
// answers 500, see green's 5xx in the stats (what the executor's watch reads), switch back to the
// previous colour, and drain green.
import t from 'tap';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { EdgeServer } from '../../../agent/edge/edge-server.js';
import { EdgeClient } from '../../../agent/edge/client.js';
import { edgeOptions } from '../../../agent/edge/options.js';
import type { RouteTable } from '../../../shared/routes/route-table.js';
import { switchBack, switchRoute } from '../../../agent/edge/routes.js';
import { silentLogger } from '../../../agent/logger.js';
import { cleanupDocker, dockerCli, TEST_LABEL, testScope } from '../../helpers/docker.js';
import { ensureAppImage, APP_IMAGE } from '../../helpers/images.js';
import { request, tempDir } from '../../helpers/edge.js';

const scope = testScope('edge-app');

async function runApp(name: string, env: Record<string, string>): Promise<string> {
  const id = await dockerCli(['run', '-d', '--label', `${TEST_LABEL}=${scope}`, '--name', `${scope}-${name}`, '-p', '127.0.0.1::8080', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), APP_IMAGE]);
  const port = (await dockerCli(['port', id, '8080/tcp'])).split('\n')[0].split(':').pop();
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try { if ((await request(Number(port), 'x', '/health', { timeoutMs: 1000 })).status === 200) return address; } catch { /* starting */ }
    if (Date.now() > deadline) throw new Error(`app ${name} did not answer on ${address}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('switch to a failing colour: 5xx counted per upstream, switch back to previous', async (t) => {
  await ensureAppImage();
  t.teardown(() => cleanupDocker(scope));
  const [blue, green] = await Promise.all([runApp('blue', { VERSION: 'blue' }), runApp('green', { VERSION: 'green', FAIL: '500' })]);
  const dir = tempDir();
  const opts = edgeOptions({ listen: ['127.0.0.1:0'], controlSocket: path.join(dir, 'edge.sock'), routesFile: path.join(dir, 'routes.json') });
  const edge = new EdgeServer(opts, { logger: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop(1000));
  const port = (edge.addresses()[0] as AddressInfo).port;
  const client = new EdgeClient({ controlSocket: opts.controlSocket, routesFile: opts.routesFile });
  let table: RouteTable = { version: 1, routes: [{ id: 'production/web', hosts: ['web.test'], upstream: blue }] };
  await client.apply(table);
  const echo = JSON.parse((await request(port, 'web.test', '/echo')).body) as { headers: Record<string, string> };
  t.equal(echo.headers['x-forwarded-host'], 'web.test');
  t.ok(echo.headers['x-forwarded-for'], 'the app sees X-Forwarded-For');
  for (let i = 0; i < 10; i++) t.equal((await request(port, 'web.test', '/')).body, 'blue\n');

  table = switchRoute(table, 'production/web', green);
  await client.apply(table);
  let fails = 0;
  for (let i = 0; i < 20; i++) if ((await request(port, 'web.test', '/')).status === 500) fails++;
  t.equal(fails, 20, 'green answers 500');
  const s = await client.stats();
  t.equal(s.upstreams[green].status['5xx'], 20, 'the new upstream\'s 5xx are counted');
  t.equal(s.upstreams[green].requests, 20);
  t.equal(s.upstreams[blue].status['5xx'], 0);
  t.equal(s.version, 2);

  table = switchBack(table, 'production/web');
  t.same(table.routes[0], { id: 'production/web', hosts: ['web.test'], upstream: blue });
  await client.apply(table);
  t.equal((await request(port, 'web.test', '/')).body, 'blue\n', 'traffic back on blue');
  t.equal(await client.waitDrained(green, { timeoutMs: 2000 }), true, 'green drained');
  const metrics = await client.metrics();
  t.match(metrics, new RegExp(`autoinfra_edge_upstream_requests_total\\{upstream="${green}",class="5xx"\\} 20`));
});
