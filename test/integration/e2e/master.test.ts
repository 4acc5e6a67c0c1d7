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

t.test('master goes when production reaches its commit, comes back when it differs, and goes with its branch', async (t) => {
  const { git, host } = await liveTestHost(t, { files: { 'infra/docker-compose.yml': appCompose('p1') } });
  const masterEnv = async () => (await host.status()).environments.find((e) => e.env === 'master');
  const masterContainers = async () => (await (await docker()).listContainers({ all: true, filters: JSON.stringify({ label: [`autoinfra.host=${host.name}`, 'autoinfra.env=master'] }) })).length;
  const m1 = await git.commit('app', 'master', { 'infra/docker-compose.yml': appCompose('m1', { host: 'master.web.test' }) }, { message: 'm1', parent: null });
  await waitFor('master live', async () => { const e = await masterEnv(); return e?.live?.commit === m1 && !e.operation; }, { timeoutMs: 60_000, intervalMs: 200 });
  t.equal((await host.get('master.web.test')).body, 'm1\n');

  // production is fast-forwarded to master's commit (a merge): master has nothing to show, it goes.
  await git.git('app', ['update-ref', 'refs/heads/production', m1]);
  await waitFor('production live at m1 and master torn down', async () => {
    const s = await host.status();
    return s.environments.find((e) => e.env === 'production')?.live?.commit === m1 && !s.environments.some((e) => e.env === 'master') && (await masterContainers()) === 0;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  t.equal((await host.get('master.web.test')).body, 'm1\n', 'production now serves that commit (and its host)');

  // master moves on: it runs again beside production.
  const m2 = await git.commit('app', 'master', { 'infra/docker-compose.yml': appCompose('m2', { host: 'next.web.test' }) }, { message: 'm2' });
  await waitFor('master live at m2', async () => { const e = await masterEnv(); return e?.live?.commit === m2 && !e.operation; }, { timeoutMs: 60_000, intervalMs: 200 });
  t.equal((await host.get('next.web.test')).body, 'm2\n');

  // master's branch is deleted: torn down, its route gone; production untouched.
  await git.deleteRef('app', 'master');
  await waitFor('master torn down', async () => !(await masterEnv()) && (await masterContainers()) === 0, { timeoutMs: 60_000, intervalMs: 200 });
  await waitFor('its route gone', async () => (await host.get('next.web.test')).status === 404, { timeoutMs: 10_000, intervalMs: 100 });
  t.equal((await host.get('master.web.test')).body, 'm1\n', 'production still serves');
  t.match(host.agentOutput(), /master: torn down \(branch master deleted\)/);
});
