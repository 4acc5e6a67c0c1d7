// One-shot jobs (depends_on: condition service_completed_successfully): run to exit 0 before
// their dependents start, stay exited, are not "repaired"; a failing job fails the commit.
import t from 'tap';
import { reconcileFixture } from '../../helpers/reconcile.js';
import { service, stack } from '../../helpers/stack.js';
import { BASE_IMAGE } from '../../helpers/images.js';

function migrate(code: number) {
  const s = service('migrate', { image: BASE_IMAGE, command: ['sh', '-c', `echo migrating; exit ${code}`], environment: { RUN: String(code) } });
  s.x.route = undefined;
  s.x.strategy = 'start-first';
  s.x.health = { ...s.x.health, deadlineMs: 10_000 };
  return s;
}

function web(version: string) {
  return service('web', { version, dependsOn: { migrate: { condition: 'service_completed_successfully' } } });
}

t.test('a job runs before its dependents, stays exited, and a failing one fails the commit', async (t) => {
  const fx = await reconcileFixture('jobs', { watchMs: 500 });
  t.teardown(() => fx.cleanup());
  const s1 = stack('production', 'c1', [migrate(0), web('v1')]);
  const r1 = await fx.executor.deploy(fx.env, s1);
  t.equal(r1.result, 'live', r1.result === 'failed' ? r1.reason : '');
  t.same(await fx.get('production/web'), { status: 200, body: 'v1\n' });
  const job = await fx.runtime.inspect('ai-production-migrate-blue');
  t.equal(job?.state, 'exited');
  t.equal(job?.exitCode, 0);
  t.equal(await fx.executor.repairDrift(fx.env, s1), 0, 'an exited job is not drift');
  t.ok(fx.events.events.some((e) => e.type === 'gated' && (e.detail as { message?: string }).message === 'job completed (exit 0)'));

  const r2 = await fx.executor.deploy(fx.env, stack('production', 'c2', [migrate(3), web('v2')]));
  t.equal(r2.result, 'failed');
  t.match(r2.result === 'failed' ? r2.reason : '', /service migrate \(green\) failed its health gate .*job exited with code 3; last output: migrating/);
  t.same(await fx.get('production/web'), { status: 200, body: 'v1\n' }, 'v1 keeps serving');
});
