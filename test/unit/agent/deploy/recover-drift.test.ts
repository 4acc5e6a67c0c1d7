// Recovery after a crash (by journal phase) and drift repair with its rate limit, on in-memory
// parts: what a restarted agent does with what it finds, in milliseconds.
import t from 'tap';
import { deployFixture, svc } from '../../../helpers/deploy-fixture.js';
import { stack } from '../../../helpers/stack.js';
import { RepairLimiter } from '../../../../agent/deploy/drift.js';
import { silentLogger } from '../../../../agent/logger.js';
import { InstantClock } from '../../../helpers/instant-clock.js';

t.test('recover: an interrupted watch goes back to the previous set and retries; orphans go; routes come back', async (t) => {
  const fx = deployFixture(t);
  const s1 = stack('production', 'c1', [svc('web', 'v1')]);
  await fx.executor.deploy(fx.env, s1);
  const state = await fx.store.load('production', 'production');
  // A crash after the switch to c2: the journal says 'watching', c2's container is still there.
  await fx.store.save({ ...state, operation: { commit: 'c2', phase: 'watching', attempts: 0, startedAt: 'x', previous: state.live } });
  await fx.runtime.create({ name: 'ai-production-web-green', image: 'app:1', labels: { 'autoinfra.env': 'production', 'autoinfra.host': 'test-host', 'autoinfra.service': 'web' }, env: {}, loopbackPorts: [8080], publish: [], mounts: [], networks: {}, hostConfig: {} });
  fx.events.events.length = 0;
  const after = await fx.restart().recover(fx.env, s1);
  t.equal(after.live?.commit, 'c1', 'the previous live set is the truth');
  t.match(after.operation, { commit: 'c2', phase: 'preflight', attempts: 1 }, 'the commit is retried');
  t.same(fx.runtime.names(), ['ai-production-web-blue'], 'the orphan colour is removed');
  t.same(fx.trail(), ['interrupted', 'removed:web']);
  t.equal(fx.edge.upstream('production/web'), fx.edge.tables.at(-1)!.routes[0].upstream, 'routes re-applied');
});

t.test('recover: a commit that crashed the agent maxCrashAttempts times is failed', async (t) => {
  const fx = deployFixture(t, { maxCrashAttempts: 3 });
  await fx.executor.deploy(fx.env, stack('production', 'c1', [svc('web', 'v1')]));
  const state = await fx.store.load('production', 'production');
  await fx.store.save({ ...state, operation: { commit: 'c2', phase: 'starting', attempts: 2, startedAt: 'x' } });
  const after = await fx.restart().recover(fx.env);
  t.equal(after.operation, undefined);
  t.match(after.failed.at(-1), { commit: 'c2', reason: /stopped 3 times/ });
  t.match(fx.of('failed').at(-1), { stage: 'recover', commit: 'c2' });
});

t.test('drift: a killed container is restarted and re-routed; a vanished one recreated', async (t) => {
  const fx = deployFixture(t);
  const s1 = stack('production', 'c1', [svc('web', 'v1')]);
  await fx.executor.deploy(fx.env, s1);
  fx.runtime.kill('ai-production-web-blue');
  fx.events.events.length = 0;
  t.equal(await fx.executor.repairDrift(fx.env, s1), 1);
  t.same(fx.trail(), ['drift-repaired:web']);
  t.equal((await fx.runtime.inspect('ai-production-web-blue'))?.state, 'running');
  t.equal(fx.edge.upstream('production/web'), `127.0.0.1:${(await fx.runtime.inspect('ai-production-web-blue'))!.ports[8080]}`, 'routed to its new port');
  fx.runtime.vanish('ai-production-web-blue');
  t.equal(await fx.executor.repairDrift(fx.env, s1), 1);
  t.ok(await fx.runtime.inspect('ai-production-web-blue'), 'recreated');
  t.equal(await fx.executor.repairDrift(fx.env, s1), 0, 'nothing to repair: no write');
});

t.test('RepairLimiter: at most max repairs per container in the window, then held back until it passes', async (t) => {
  const clock = new InstantClock();
  const warnings: string[] = [];
  const logger = silentLogger();
  logger.warn = ((m: string) => { warnings.push(m); return logger; }) as typeof logger.warn;
  const limiter = new RepairLimiter(clock, logger, 2, 60_000);
  t.ok(limiter.allow('a'));
  t.ok(limiter.allow('a'));
  t.notOk(limiter.allow('a'), 'third within the window is held back');
  t.notOk(limiter.allow('a'));
  t.equal(warnings.length, 1, 'warned once');
  t.ok(limiter.allow('b'), 'per container');
  clock.advance(60_001);
  t.ok(limiter.allow('a'), 'allowed again once the window passed');
});
