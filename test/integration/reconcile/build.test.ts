// Images built from the repo tree at the commit (build: context/dockerfile/args/target); a failing
// build fails pre-flight and touches nothing.
import t from 'tap';
import { reconcileFixture } from '../../helpers/reconcile.js';
import { service, stack } from '../../helpers/stack.js';
import { dockerCli } from '../../helpers/docker.js';
import { APP_IMAGE } from '../../helpers/images.js';
import { Executor } from '../../../agent/executor/executor.js';
import { systemClock } from '../../../agent/clock.js';
import { silentLogger } from '../../../agent/logger.js';

t.test('build from the repo tree; a failing build fails pre-flight', async (t) => {
  const fx = await reconcileFixture('build');
  const tag = `autoinfra-test/built-${fx.scope.toLowerCase()}`;
  t.teardown(async () => {
    await fx.cleanup();
    for (const v of ['1', '2']) await dockerCli(['rmi', '-f', `${tag}:${v}`]).catch(() => undefined);
  });
  const trees: Record<string, Map<string, Uint8Array>> = {
    c1: new Map([['app/Dockerfile', Buffer.from(`FROM ${APP_IMAGE} AS base\nARG GREETING\nENV VERSION=$GREETING\nFROM base AS final\nLABEL stage=final\n`)]]),
    c2: new Map([['app/Dockerfile', Buffer.from(`FROM ${APP_IMAGE}\nRUN false\n`)]]),
  };
  const executor = new Executor({
    runtime: fx.runtime, routes: fx.routes, events: fx.events, store: fx.store, clock: systemClock, logger: silentLogger(), host: 'test-host', options: { watchMs: 0 },
    // The agent passes the git source's readTree; here the trees are given directly.
    readTree: async (commit, prefix) => new Map([...trees[commit]].filter(([p]) => p.startsWith(prefix))),
  });
  const built = (commit: string, v: string, target?: string) => {
    const s = service('web', { image: `${tag}:${v}`, pullPolicy: 'build', build: { context: 'app', dockerfile: 'Dockerfile', args: { GREETING: `built-${v}` }, target } });
    s.environment = {};
    return stack('production', commit, [s]);
  };
  const r1 = await executor.deploy(fx.env, built('c1', '1', 'final'));
  t.equal(r1.result, 'live', r1.result === 'failed' ? r1.reason : '');
  t.same(await fx.get('production/web'), { status: 200, body: 'built-1\n' }, 'build args and target applied');
  t.ok(fx.events.events.some((e) => e.type === 'built' && e.commit === 'c1'));

  const r2 = await executor.deploy(fx.env, built('c2', '2'));
  t.equal(r2.result, 'failed');
  t.match(r2.result === 'failed' ? r2.reason : '', /pre-flight failed for service web: image autoinfra-test\/built-.*:2: build failed: .*returned a non-zero code/);
  t.same(await fx.get('production/web'), { status: 200, body: 'built-1\n' }, 'old version untouched');
});
