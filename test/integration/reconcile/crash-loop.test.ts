// A new colour whose container crash-loops (restart policy unless-stopped: Docker restarts it
// every second or so) fails its deploy within seconds, naming the exit code; the old colour serves.
import t from 'tap';
import { reconcileFixture } from '../../helpers/reconcile.js';
import { service, stack } from '../../helpers/stack.js';

t.test('a crash-looping new colour fails in ≤ 10 s with its exit code; v1 keeps serving', async (t) => {
  const fx = await reconcileFixture('crash-loop');
  t.teardown(() => fx.cleanup());
  t.equal((await fx.executor.deploy(fx.env, stack('production', 'c1', [service('web', { version: 'v1' })]))).result, 'live');

  const bad = service('web', { version: 'v2', environment: { VERSION: 'v2', CRASH_AFTER_MS: '50' } });
  bad.x.health.deadlineMs = 60_000;
  bad.x.health.intervalMs = 1000;
  const t0 = Date.now();
  const r = await fx.executor.deploy(fx.env, stack('production', 'c2', [bad]));
  const took = Date.now() - t0;
  t.equal(r.result, 'failed');
  t.ok(took <= 10_000, `failed after ${took} ms`);
  const reason = r.result === 'failed' ? r.reason : '';
  t.match(reason, /container exited \(code 1/, 'the exit code is named');
  t.notMatch(reason, /is not published/);
  t.same(await fx.get('production/web'), { status: 200, body: 'v1\n' }, 'v1 still serving');
  t.equal(await fx.runtime.inspect('ai-production-web-green'), undefined, 'the crash-looping colour is removed');
});
