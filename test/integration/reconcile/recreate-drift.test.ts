// recreate keeps named-volume data and brings the old container back on failure; drift repair.
import t from 'tap';
import { reconcileFixture } from '../../helpers/reconcile.js';
import { service, stack } from '../../helpers/stack.js';
import { docker } from '../../helpers/docker.js';
import type { ServiceSpec } from '../../../shared/stack/model.js';

function db(version: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  const s = service('db', {
    version,
    environment: { VERSION: version, DATA_DIR: '/data' },
    volumes: [{ type: 'volume', source: 'dbdata', target: '/data' }],
    ...over,
  });
  s.x.strategy = 'recreate';
  return s;
}

t.test('recreate: data in the named volume survives; a failed gate restarts the old container', async (t) => {
  const fx = await reconcileFixture('recreate');
  t.teardown(async () => {
    await fx.cleanup();
    await (await docker()).getVolume('ai-production_dbdata').remove().catch(() => undefined);
  });
  const volumes = { dbdata: { name: 'dbdata', external: false, labels: {} } };
  t.equal((await fx.executor.deploy(fx.env, stack('production', 'c1', [db('d1')], { volumes }))).result, 'live');
  t.same(await fx.get('production/db', '/data?write=hello'), { status: 200, body: 'hello\n' });

  t.equal((await fx.executor.deploy(fx.env, stack('production', 'c2', [db('d2')], { volumes }))).result, 'live');
  t.same(await fx.get('production/db', '/data'), { status: 200, body: 'hello\n' }, 'data survived the recreate');
  t.same(await fx.get('production/db', '/'), { status: 200, body: 'd2\n' });

  const broken = db('d3', { environment: { VERSION: 'd3', DATA_DIR: '/data', HEALTH: 'fail' } });
  broken.x.health.deadlineMs = 1500;
  const r = await fx.executor.deploy(fx.env, stack('production', 'c3', [broken], { volumes }));
  t.equal(r.result, 'failed');
  const state = await fx.store.load('production', 'production');
  const liveName = state.live!.services.db.container;
  const c = await fx.runtime.inspect(liveName);
  t.equal(c?.state, 'running', 'old container started again');
  t.same(await fx.get('production/db', '/'), { status: 200, body: 'd2\n' });
  t.same(await fx.get('production/db', '/data'), { status: 200, body: 'hello\n' });
});

t.test('drift repair: killed, removed and hand-replaced containers are restored', async (t) => {
  const fx = await reconcileFixture('drift');
  t.teardown(() => fx.cleanup());
  const s = stack('production', 'c1', [service('web', { version: 'v1' })]);
  t.equal((await fx.executor.deploy(fx.env, s)).result, 'live');
  const d = await docker();

  await d.getContainer('ai-production-web-blue').kill();
  t.equal(await fx.executor.repairDrift(fx.env, s), 1, 'stopped container restarted');
  t.equal((await fx.runtime.inspect('ai-production-web-blue'))?.state, 'running');

  await d.getContainer('ai-production-web-blue').remove({ force: true });
  t.equal(await fx.executor.repairDrift(fx.env, s), 1, 'vanished container recreated');
  t.equal((await fx.runtime.inspect('ai-production-web-blue'))?.state, 'running');
  t.same(await fx.get('production/web'), { status: 200, body: 'v1\n' }, 'route follows the new port');

  t.equal(await fx.executor.repairDrift(fx.env, s), 0, 'nothing to do when all is well');
  t.ok(fx.events.events.some((e) => e.type === 'drift-repaired'));
});

t.test('recover(): containers of an interrupted attempt are removed, live ones kept', async (t) => {
  const fx = await reconcileFixture('recover');
  t.teardown(() => fx.cleanup());
  const s1 = stack('production', 'c1', [service('web', { version: 'v1' })]);
  await fx.executor.deploy(fx.env, s1);
  // Simulate a crash after the new colour started: a green container and a journal entry.
  const state = await fx.store.load('production', 'production');
  await fx.store.save({ ...state, operation: { commit: 'c2', phase: 'starting', attempts: 0, startedAt: new Date().toISOString() } });
  const { containerSpec } = await import('../../../agent/runtime/container-spec.js');
  const s2 = stack('production', 'c2', [service('web', { version: 'v2' })]);
  const green = await fx.runtime.create(containerSpec({ stack: s2, service: s2.services.web, colour: 'green', host: 'test-host' }));
  await fx.runtime.start(green.id);

  const recovered = await fx.restart().recover(fx.env, s1);
  t.equal(recovered.live?.commit, 'c1');
  t.equal(recovered.operation?.attempts, 1, 'the attempt is counted');
  t.equal(await fx.runtime.inspect('ai-production-web-green'), undefined, 'orphan removed');
  t.same(await fx.get('production/web'), { status: 200, body: 'v1\n' });
  t.equal((await fx.restart().deploy(fx.env, s2)).result, 'live', 'the commit is deployed again after recovery');
  t.same(await fx.get('production/web'), { status: 200, body: 'v2\n' });
});

t.test('drift repair is rate-limited per container (a crash loop is not restarted at full speed)', async (t) => {
  const fx = await reconcileFixture('drift-limit', { maxRepairsPerWindow: 2, repairWindowMs: 60_000 });
  t.teardown(() => fx.cleanup());
  const s = stack('production', 'c1', [service('web', { version: 'v1' })]);
  t.equal((await fx.executor.deploy(fx.env, s)).result, 'live');
  const d = await docker();
  for (const expected of [1, 1, 0]) {
    await d.getContainer('ai-production-web-blue').kill().catch(() => undefined);
    t.equal(await fx.executor.repairDrift(fx.env, s), expected, expected ? 'repaired' : 'third repair in the window is held back');
  }
  t.equal((await fx.runtime.inspect('ai-production-web-blue'))?.state, 'exited');
});
