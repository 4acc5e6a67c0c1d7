// The driver on in-memory parts: a deploy's events in order, the journal, unchanged and skipped.
import t from 'tap';
import { deployFixture, svc } from '../../../helpers/deploy-fixture.js';
import { stack } from '../../../helpers/stack.js';

t.test('a first deploy and a blue-green replacement emit every step, in order', async (t) => {
  const fx = deployFixture(t);
  const r1 = await fx.executor.deploy(fx.env, stack('production', 'c1', [svc('web', 'v1')]));
  t.equal(r1.result, 'live');
  t.same(fx.trail(), ['preflight', 'started:web', 'gated:web', 'switched', 'live']);
  t.ok(fx.events.events.every((e) => e.env === fx.env && e.commit === 'c1'), 'every event carries the environment and commit');
  const blue = fx.edge.upstream('production/web');
  t.match(blue, /^127\.0\.0\.1:\d+$/);

  fx.events.events.length = 0;
  const r2 = await fx.executor.deploy(fx.env, stack('production', 'c2', [svc('web', 'v2')]));
  t.equal(r2.result, 'live');
  t.same(fx.trail(), ['preflight', 'started:web', 'gated:web', 'switched', 'drained:web', 'removed:web', 'live']);
  t.equal(fx.of('started')[0].colour, 'green');
  t.equal(fx.of('removed')[0].detail?.why, 'replaced');
  t.same(fx.runtime.names(), ['ai-production-web-green'], 'the old colour is gone');
  const switchTable = fx.edge.tables.at(-2)!;
  t.equal(switchTable.routes[0].previous, blue, 'the switch keeps the old colour as the switch-back target');
  t.equal(fx.edge.tables.at(-1)!.routes[0].previous, undefined, 'the drain forgets it');
  const state = await fx.store.load('production', 'production');
  t.equal(state.live?.commit, 'c2');
  t.equal(state.operation, undefined, 'the journal is closed');
});

t.test('the same stack again is unchanged; a failed commit is skipped', async (t) => {
  const fx = deployFixture(t);
  const s = stack('production', 'c1', [svc('web', 'v1')]);
  await fx.executor.deploy(fx.env, s);
  t.equal((await fx.executor.deploy(fx.env, { ...s, commit: 'c1b' })).result, 'unchanged');
  t.equal(fx.of('unchanged').length, 1);
  const bad = stack('production', 'c2', [svc('web', 'v2', { image: 'app:missing', pullPolicy: 'never' })]);
  t.equal((await fx.executor.deploy(fx.env, bad)).result, 'failed');
  t.equal((await fx.restart().deploy(fx.env, bad)).result, 'skipped');
  t.match(fx.of('skipped')[0].reason, /commit failed before/);
});
