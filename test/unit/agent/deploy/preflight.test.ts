// Pre-flight: a missing image or a refused pull fails the commit before anything live is touched.
import t from 'tap';
import { deployFixture, svc } from '../../../helpers/deploy-fixture.js';
import { stack } from '../../../helpers/stack.js';

t.test('an image that is not on the host with pull_policy never fails pre-flight; nothing changes', async (t) => {
  const fx = deployFixture(t);
  await fx.executor.deploy(fx.env, stack('production', 'c1', [svc('web', 'v1')]));
  const before = fx.runtime.names();
  const tables = fx.edge.tables.length;
  fx.events.events.length = 0;
  const r = await fx.executor.deploy(fx.env, stack('production', 'c2', [svc('web', 'v2', { image: 'app:missing', pullPolicy: 'never' })]));
  t.equal(r.result, 'failed');
  t.same(fx.trail(), ['failed']);
  const failed = fx.of('failed')[0];
  t.equal(failed.stage, 'preflight');
  t.equal(failed.code, 'E_PREFLIGHT');
  t.match(failed.reason, /pre-flight failed for service web: image app:missing is not on this host and pull_policy is never/);
  t.same(fx.runtime.names(), before, 'no container started or removed');
  t.equal(fx.edge.tables.length, tables, 'no route applied');
  t.equal((await fx.store.load('production', 'production')).failed.at(-1)?.commit, 'c2');
});

t.test('a pull is a `pulled` event; a refused pull names the registry and why', async (t) => {
  const fx = deployFixture(t);
  const r1 = await fx.executor.deploy(fx.env, stack('production', 'c1', [svc('web', 'v1', { image: 'reg.test/app:7', pullPolicy: 'missing' })]));
  t.equal(r1.result, 'live');
  t.same(fx.of('pulled').map((e) => [e.service, e.detail?.image]), [['web', 'reg.test/app:7']]);
  fx.runtime.pullErrors.set('reg.test/app:8', 'unauthorized: authentication required');
  const r2 = await fx.executor.deploy(fx.env, stack('production', 'c2', [svc('web', 'v2', { image: 'reg.test/app:8', pullPolicy: 'missing' })]));
  t.match(r2.result === 'failed' ? r2.reason : '', /pull of reg\.test\/app:8 from registry reg\.test failed: credentials missing or refused/);
  t.same(fx.runtime.names(), ['ai-production-web-blue']);
});
