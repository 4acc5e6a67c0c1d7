// v1 → v2 blue-green; v3 fails its gate (v2 keeps serving, v3 never retried); v4 goes live.
import t from 'tap';
import { reconcileFixture } from '../../helpers/reconcile.js';
import { service, stack } from '../../helpers/stack.js';

t.test('blue-green: switch, failed gate keeps the old version, forward-only', async (t) => {
  const fx = await reconcileFixture('bluegreen');
  t.teardown(() => fx.cleanup());

  const r1 = await fx.executor.deploy(fx.env, stack('production', 'c1', [service('web', { version: 'v1' })]));
  t.equal(r1.result, 'live');
  t.same(await fx.get('production/web'), { status: 200, body: 'v1\n' });
  const blue = await fx.runtime.inspect('ai-production-web-blue');
  t.equal(blue?.state, 'running');

  const r2 = await fx.executor.deploy(fx.env, stack('production', 'c2', [service('web', { version: 'v2' })]));
  t.equal(r2.result, 'live');
  t.same(await fx.get('production/web'), { status: 200, body: 'v2\n' });
  t.equal(await fx.runtime.inspect('ai-production-web-blue'), undefined, 'old colour removed after drain');
  t.equal((await fx.runtime.inspect('ai-production-web-green'))?.state, 'running');

  const bad = service('web', { version: 'v3', environment: { VERSION: 'v3', HEALTH: 'fail' } });
  bad.x.health.deadlineMs = 1500;
  const r3 = await fx.executor.deploy(fx.env, stack('production', 'c3', [bad]));
  t.equal(r3.result, 'failed');
  t.match(r3.result === 'failed' ? r3.reason : '', /health gate/);
  t.same(await fx.get('production/web'), { status: 200, body: 'v2\n' }, 'v2 still serving');
  t.equal(await fx.runtime.inspect('ai-production-web-blue'), undefined, 'failed colour removed');
  const state = await fx.store.load('production', 'production');
  t.equal(state.live?.commit, 'c2');
  t.equal(state.failed.at(-1)?.commit, 'c3');

  const again = await fx.restart().deploy(fx.env, stack('production', 'c3', [bad]));
  t.equal(again.result, 'skipped', 'a failed commit is not retried, even after a restart');

  const r4 = await fx.executor.deploy(fx.env, stack('production', 'c4', [service('web', { version: 'v4' })]));
  t.equal(r4.result, 'live');
  t.same(await fx.get('production/web'), { status: 200, body: 'v4\n' });
  const events = fx.events.events.map((e) => `${e.commit}:${e.type}`);
  t.ok(events.includes('c3:failed'));
  t.ok(events.includes('c4:live'));
});

t.test('only the changed service is replaced; removed services are pruned', async (t) => {
  const fx = await reconcileFixture('partial');
  t.teardown(() => fx.cleanup());
  await fx.executor.deploy(fx.env, stack('production', 'c1', [service('web', { version: 'v1' }), service('api', { version: 'a1' })]));
  const apiBefore = await fx.runtime.inspect('ai-production-api-blue');
  const r = await fx.executor.deploy(fx.env, stack('production', 'c2', [service('web', { version: 'v2' }), service('api', { version: 'a1' })]));
  t.equal(r.result, 'live');
  const apiAfter = await fx.runtime.inspect('ai-production-api-blue');
  t.equal(apiAfter?.id, apiBefore?.id, 'unchanged service keeps its container');
  t.same(await fx.get('production/web'), { status: 200, body: 'v2\n' });

  const r3 = await fx.executor.deploy(fx.env, stack('production', 'c3', [service('web', { version: 'v2' })]));
  t.equal(r3.result, 'live');
  t.equal(await fx.runtime.inspect('ai-production-api-blue'), undefined, 'removed service pruned');
  t.equal(fx.edge.upstream('production/api'), undefined, 'and unrouted');
});

t.test('missing image fails pre-flight and touches nothing', async (t) => {
  const fx = await reconcileFixture('preflight');
  t.teardown(() => fx.cleanup());
  await fx.executor.deploy(fx.env, stack('production', 'c1', [service('web', { version: 'v1' })]));
  const before = await fx.runtime.inspect('ai-production-web-blue');
  const r = await fx.executor.deploy(fx.env, stack('production', 'c2', [service('web', { version: 'v2', image: 'autoinfra-test/does-not-exist:1' })]));
  t.equal(r.result, 'failed');
  t.match(r.result === 'failed' ? r.reason : '', /pre-flight failed for service web: image autoinfra-test\/does-not-exist:1 is not on this host/);
  const after = await fx.runtime.inspect('ai-production-web-blue');
  t.equal(after?.id, before?.id);
  t.equal(after?.state, 'running');
  t.same(await fx.get('production/web'), { status: 200, body: 'v1\n' });
});

t.test('repo paths are mounted read-only from the commit\'s files, and a changed file redeploys', async (t) => {
  const fx = await reconcileFixture('repo-binds');
  t.teardown(() => fx.cleanup());
  const { renderStack } = await import('../../../shared/compose/render.js');
  const { APP_IMAGE } = await import('../../helpers/images.js');
  const enc = (s: string) => new TextEncoder().encode(s);
  const compose = `services:\n  web:\n    image: ${APP_IMAGE}\n    pull_policy: never\n    volumes: [./conf:/etc/app, ./motd:/etc/motd]\n`;
  const render = (commit: string, ini: string) => renderStack({
    files: new Map([['infra/docker-compose.yml', enc(compose)], ['infra/conf/app.ini', enc(ini)], ['infra/motd', enc('hello')]]),
    branch: 'production', env: 'production', commit, host: 'test-host',
  });
  const one = await render('c'.repeat(40), 'a=1');
  t.equal((await fx.executor.deploy(fx.env, one)).result, 'live');
  const running = async () => (await fx.runtime.list()).find((c) => c.labels['autoinfra.service'] === 'web' && c.state === 'running')!;
  const c1 = await running();
  t.equal((await fx.runtime.exec(c1.id, ['cat', '/etc/app/app.ini'], 5000)).output, 'a=1');
  t.equal((await fx.runtime.exec(c1.id, ['cat', '/etc/motd'], 5000)).output, 'hello', 'a single file is mounted as a file');
  const write = await fx.runtime.exec(c1.id, ['sh', '-c', 'echo x > /etc/app/app.ini'], 5000);
  t.not(write.exitCode, 0, 'the container cannot write the repo files');

  const two = await render('d'.repeat(40), 'a=2');
  t.not(two.services.web.hash, one.services.web.hash);
  t.equal((await fx.executor.deploy(fx.env, two)).result, 'live');
  t.equal((await fx.runtime.exec((await running()).id, ['cat', '/etc/app/app.ini'], 5000)).output, 'a=2', 'the new commit\'s file');
});

t.test('compose secrets are mounted read-only from files of mode 0400, and pruned when unused', async (t) => {
  const fx = await reconcileFixture('secrets');
  t.teardown(() => fx.cleanup());
  const { createHash } = await import('node:crypto');
  const { statSync, readdirSync } = await import('node:fs');
  const path = await import('node:path');
  const secret = (text: string) => ({ name: 'api_key', content: Buffer.from(text), hash: createHash('sha256').update(text).digest('hex') });
  const web = (v: string) => service('web', { version: v, secrets: [{ source: 'api_key', target: '/run/secrets/api_key' }] });
  t.equal((await fx.executor.deploy(fx.env, stack('production', 'c1', [web('v1')], { secrets: { api_key: secret('hunter2-one') } }))).result, 'live');
  const c = await fx.runtime.inspect('ai-production-web-blue');
  const read = await fx.runtime.exec(c!.id, ['cat', '/run/secrets/api_key'], 5000);
  t.equal(read.output, 'hunter2-one');
  const dir = path.join(fx.stateDir, 'run-secrets', 'production');
  const [sub] = readdirSync(dir);
  t.equal(sub, secret('hunter2-one').hash.slice(0, 32), 'placed by content hash, never by the secret name');
  t.same(readdirSync(path.join(dir, sub)), ['0400'], 'one file, named by its mode');
  t.equal(statSync(path.join(dir, sub, '0400')).mode & 0o777, 0o400);
  t.notMatch(JSON.stringify(fx.events.events), /hunter2/, 'no secret value in the recorded actions');

  // (render puts the secret's hash into the service hash; this hand-built stack changes the version)
  t.equal((await fx.executor.deploy(fx.env, stack('production', 'c2', [web('v2')], { secrets: { api_key: secret('hunter2-two') } }))).result, 'live');
  const g = await fx.runtime.inspect('ai-production-web-green');
  t.equal((await fx.runtime.exec(g!.id, ['cat', '/run/secrets/api_key'], 5000)).output, 'hunter2-two', 'the new colour reads the new value');
  t.equal(readdirSync(dir).length, 1, 'the old secret file is gone once nothing uses it');
});
