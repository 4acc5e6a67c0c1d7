// Teardown on in-memory parts: one code path removes an environment's routes, containers,
// networks, placed files and state; production keeps its volumes, copies lose theirs; objects of
// other environments and other agents are never touched.
import t from 'tap';
import { deployFixture, svc } from '../../../helpers/deploy-fixture.js';
import { testEnvironment } from '../../../helpers/reconcile.js';
import { stack } from '../../../helpers/stack.js';
import type { Stack } from '../../../../shared/stack/model.js';

function withData(env: string, commit: string, host: string): Stack {
  const web = svc('web', commit, { volumes: [{ type: 'volume', source: 'data', target: '/data' }], networks: { back: { aliases: [] } }, x: { ...svc('web', commit).x, route: { hosts: [host], port: 8080 } } });
  return stack(env, commit, [web], { volumes: { data: { name: 'data', external: false, labels: {} } }, networks: { back: { name: 'back', external: false, internal: false, labels: {} } } });
}

t.test('master torn down: routes withdrawn, containers, networks and volumes gone, state forgotten', async (t) => {
  const fx = deployFixture(t);
  const master = testEnvironment('master');
  t.equal((await fx.executor.deploy(fx.env, withData('production', 'p1', 'web.test'))).result, 'live');
  t.equal((await fx.executor.deploy(master, withData('master', 'm1', 'master.web.test'))).result, 'live');
  t.same(fx.edge.tables.at(-1)!.routes.map((r) => r.id).sort(), ['master/web', 'production/web']);
  // Another agent's objects of the same environment name on the same engine.
  await fx.runtime.create({ name: 'other-agent-master-web', image: 'app:1', labels: { 'autoinfra.env': 'master', 'autoinfra.host': 'other-host' }, env: {}, loopbackPorts: [], publish: [], mounts: [], networks: {}, hostConfig: {} });
  await fx.runtime.ensureVolume('other-agent-master_data', { 'autoinfra.env': 'master', 'autoinfra.host': 'other-host' });
  fx.events.events.length = 0;

  const r = await fx.executor.teardown(master, 'branch master deleted');
  t.same(r, { containers: 1, networks: 1, volumesRemoved: ['ai-master_data'], volumesKept: [] });
  t.same(fx.edge.tables.at(-1)!.routes.map((r) => r.id), ['production/web'], "master's routes are withdrawn; production's stay");
  t.same(fx.runtime.names(), ['ai-production-web-blue', 'other-agent-master-web'], "production's and the other agent's containers are untouched");
  t.ok(fx.runtime.volumes.has('other-agent-master_data'), "the other agent's volume is untouched");
  t.ok(fx.runtime.volumes.has('ai-production_data') && !fx.runtime.volumes.has('ai-master_data'));
  t.ok(fx.runtime.networks.has('ai-production_back') && !fx.runtime.networks.has('ai-master_back'));
  t.same(fx.trail(), ['removed:web', 'torn-down']);
  t.equal(fx.of('removed')[0].detail?.why, 'torn-down');
  t.match(fx.of('torn-down')[0], { reason: 'branch master deleted', commit: 'm1', detail: { volumesRemoved: ['ai-master_data'] } });
  t.same((await fx.store.list()).map((s) => s.env), ['production'], "master's state is forgotten");

  fx.events.events.length = 0;
  t.same(await fx.executor.teardown(master, 'again'), { containers: 0, networks: 0, volumesRemoved: [], volumesKept: [] });
  t.same(fx.trail(), [], 'nothing left: no event');
});

t.test("production's teardown keeps its volumes", async (t) => {
  const fx = deployFixture(t);
  await fx.executor.deploy(fx.env, withData('production', 'p1', 'web.test'));
  const r = await fx.executor.teardown(fx.env, 'test');
  t.same(r.volumesKept, ['ai-production_data']);
  t.ok(fx.runtime.volumes.has('ai-production_data'));
  t.same(fx.runtime.names(), []);
});
