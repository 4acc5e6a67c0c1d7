// Start + gate: a failed gate removes what the attempt started and keeps the old colour serving;
// a crash-looping new colour fails at once, naming its exit code and (redacted) last output.
import t from 'tap';
import { deployFixture, svc } from '../../../helpers/deploy-fixture.js';
import { stack } from '../../../helpers/stack.js';

const dockerHealth = (name: string, version: string) => {
  const s = svc(name, version);
  s.x.health = { ...s.x.health, kind: 'docker', deadlineMs: 2000 };
  return s;
};

t.test('a gate failure cleans up the new colour; the old one keeps serving', async (t) => {
  const fx = deployFixture(t);
  fx.runtime.behave = () => ({ health: 'healthy' });
  await fx.executor.deploy(fx.env, stack('production', 'c1', [dockerHealth('web', 'v1')]));
  const upstream = fx.edge.upstream('production/web');
  fx.runtime.behave = () => ({ health: 'unhealthy' });
  fx.events.events.length = 0;
  const r = await fx.executor.deploy(fx.env, stack('production', 'c2', [dockerHealth('web', 'v2')]));
  t.equal(r.result, 'failed');
  t.same(fx.trail(), ['preflight', 'started:web', 'failed:web', 'failed']);
  t.equal(fx.of('failed')[0].stage, 'gate', 'the service step names the gate');
  t.equal(fx.of('failed')[1].code, 'E_HEALTH_GATE');
  t.same(fx.runtime.names(), ['ai-production-web-blue'], 'green removed');
  t.equal(fx.edge.upstream('production/web'), upstream, 'routes unchanged');
  t.equal((await fx.store.load('production', 'production')).live?.commit, 'c1');
});

t.test('recreate: a failed gate starts the stopped old container again', async (t) => {
  const fx = deployFixture(t);
  const db = (v: string) => svc('db', v, { x: { ...svc('db', v).x, strategy: 'recreate', route: undefined } });
  await fx.executor.deploy(fx.env, stack('production', 'c1', [db('d1')]));
  fx.runtime.behave = () => ({ exitCode: 1, output: 'boom' });
  const r = await fx.executor.deploy(fx.env, stack('production', 'c2', [db('d2')]));
  t.equal(r.result, 'failed');
  t.equal((await fx.runtime.inspect('ai-production-db-blue'))?.state, 'running', 'the old one runs again');
  t.equal(await fx.runtime.inspect('ai-production-db-green'), undefined);
});

t.test('a crash-looping new colour fails at once with its exit code and redacted output', async (t) => {
  const fx = deployFixture(t);
  await fx.executor.deploy(fx.env, stack('production', 'c1', [svc('web', 'v1')]));
  fx.runtime.behave = () => ({ exitCode: 3, crashLoop: true, output: 'starting\nusing token s3cr3t-value\nfatal: no database' });
  const bad = svc('web', 'v2', { environment: { VERSION: 'v2', TOKEN: 's3cr3t-value' }, secretEnvironment: ['TOKEN'] });
  bad.x.health.deadlineMs = 60_000;
  const t0 = fx.clock.now();
  const r = await fx.executor.deploy(fx.env, stack('production', 'c2', [bad]));
  t.equal(r.result, 'failed');
  t.ok(fx.clock.now() - t0 < 5000, `failed after ${fx.clock.now() - t0} ms of agent time, not at the 60 s deadline`);
  const reason = r.result === 'failed' ? r.reason : '';
  t.match(reason, /container exited \(code 3; Docker restarted it \d+ times?\); last output: .*fatal: no database/);
  t.notMatch(reason, /port .* is not published/);
  t.notMatch(JSON.stringify(fx.events.events), /s3cr3t-value/, 'no secret value in any event');
  t.match(reason, /\[redacted\]/);
  t.equal(fx.of('failed')[0].detail?.exitCode, 3);
  t.same(fx.runtime.names(), ['ai-production-web-blue']);
});

t.test('a job must exit 0; its output tail names why it did not', async (t) => {
  const fx = deployFixture(t);
  const job = svc('migrate', 'm1', { x: { ...svc('migrate', 'm1').x, route: undefined } });
  const web = svc('web', 'v1', { dependsOn: { migrate: { condition: 'service_completed_successfully' } } });
  fx.runtime.behave = (spec) => (spec.name.includes('migrate') ? { exitCode: 0 } : {});
  t.equal((await fx.executor.deploy(fx.env, stack('production', 'c1', [job, web]))).result, 'live');
  t.equal(fx.of('gated')[0].detail?.message, 'job completed (exit 0)');
  fx.runtime.behave = (spec) => (spec.name.includes('migrate') ? { exitCode: 2, output: 'migrating\nerror' } : {});
  const r = await fx.executor.deploy(fx.env, stack('production', 'c2', [svc('migrate', 'm2', { x: job.x }), web]));
  t.match(r.result === 'failed' ? r.reason : '', /job exited with code 2; last output: migrating error/);
});

t.test('a multi-line secret the container prints is redacted in the published reason, also when only its last lines are in the tail', async (t) => {
  const fx = deployFixture(t);
  await fx.executor.deploy(fx.env, stack('production', 'c1', [svc('web', 'v1')]));
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\nAASCBKcwggSjAgEAAoIBAQC7Vb1x\n-----END PRIVATE KEY-----';
  const second = pem.split('\n').slice(2).join('\n');
  fx.runtime.behave = () => ({ exitCode: 3, output: `loading key\n${second}\nfatal: bad key` });
  const s = stack('production', 'c2', [svc('web', 'v2')]);
  s.secrets = { tls: { name: 'tls', content: new TextEncoder().encode(pem), hash: 'h'.repeat(64) } };
  const r = await fx.executor.deploy(fx.env, s);
  t.equal(r.result, 'failed');
  const published = JSON.stringify(fx.events.events);
  for (const line of pem.split('\n').slice(1, 3)) t.notMatch(published, line, `no "${line.slice(0, 12)}…" in any event`);
  t.match(r.result === 'failed' ? r.reason : '', /last output: .*fatal: bad key/);
});

t.test('a command health check\'s output is redacted like the exit tail', async (t) => {
  const fx = deployFixture(t);
  const cmd = (v: string) => {
    const x = svc('web', v, { environment: { VERSION: v, TOKEN: 's3cr3t-cmd-value' }, secretEnvironment: ['TOKEN'] });
    x.x.health = { ...x.x.health, kind: 'command', command: ['check'], deadlineMs: 1500 };
    return x;
  };
  fx.runtime.exec = async () => ({ exitCode: 1, output: 'auth failed for token s3cr3t-cmd-value' });
  const r = await fx.executor.deploy(fx.env, stack('production', 'c1', [cmd('v1')]));
  t.equal(r.result, 'failed');
  t.match(r.result === 'failed' ? r.reason : '', /command exit 1: auth failed for token \[redacted\]/);
  t.notMatch(JSON.stringify(fx.events.events), 's3cr3t-cmd-value');
});

t.test("a same-named container of another agent is never removed: the commit fails naming it", async (t) => {
  const fx = deployFixture(t);
  await fx.runtime.create({ name: 'ai-production-web-blue', image: 'app:1', labels: { 'autoinfra.env': 'production', 'autoinfra.host': 'other-agent', 'autoinfra.service': 'web' }, env: {}, loopbackPorts: [], publish: [], mounts: [], networks: {}, hostConfig: {} });
  const r = await fx.executor.deploy(fx.env, stack('production', 'c1', [svc('web', 'v1')]));
  t.equal(r.result, 'failed');
  t.match(fx.of('failed').at(-1), { code: 'E_NAME_CONFLICT', reason: /container ai-production-web-blue belongs to agent other-agent/ });
  t.ok(await fx.runtime.inspect('ai-production-web-blue'), "the other agent's container is still there");
});
