// master beside production: both environments run, each its own containers; when master reuses
// production's host names, production keeps the traffic and master is simply not routed there.
import t from 'tap';
import { appCompose, liveTestHost } from '../../helpers/agent-process.js';
import { docker } from '../../helpers/docker.js';
import { waitFor } from '../../helpers/exec.js';

t.test('master runs beside production without taking its hosts', async (t) => {
  const { git, host } = await liveTestHost(t, { files: { 'infra/docker-compose.yml': appCompose('p1') } });
  const m1 = await git.commit('app', 'master', {
    'infra/docker-compose.yml': appCompose('m1'),
    // master's own override adds a host of its own
    'infra/docker-compose-env-master.yml': 'services:\n  web:\n    x-autoinfra:\n      route: { hosts: [web.test, master.web.test] }\n',
  }, { message: 'master m1', parent: null });
  await waitFor('master live', async () => {
    const env = (await host.status()).environments.find((e) => e.env === 'master');
    return env?.live?.commit === m1 && !env.operation;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  t.equal((await host.get('web.test')).body, 'p1\n', 'production keeps web.test');
  t.equal((await host.get('master.web.test')).body, 'm1\n', 'master answers on its own host');
  const d = await docker();
  const names = (await d.listContainers({ filters: JSON.stringify({ label: [`autoinfra.host=${host.name}`] }) })).map((c) => c.Names[0].slice(1)).sort();
  t.same(names.map((n) => n.replace(/-(blue|green)$/, '')), ['ai-master-web', 'ai-production-web']);
  t.match(host.agentOutput(), /master\/web: web\.test already routed to production\/web; not routed to master/);
});
