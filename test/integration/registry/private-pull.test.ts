// Private registries (issue 9) against a real Debian docker-registry with htpasswd auth: pulls
// with credentials from the agent's file and from an encrypted repo file, refused credentials
// fail pre-flight naming the registry while the old version serves, pull_policy: always redeploys
// a moved tag and does not pull an unchanged one, digests are recorded, no credential leaks.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { environmentFor } from '../../../agent/environment.js';
import { reconcileFixture } from '../../helpers/reconcile.js';
import { service, stack } from '../../helpers/stack.js';
import { startRegistry } from '../../helpers/registry.js';
import { docker, dockerCli } from '../../helpers/docker.js';
import { APP_IMAGE } from '../../helpers/images.js';
import { Executor } from '../../../agent/executor/executor.js';
import { loadDockerConfigFile } from '../../../agent/registry/credentials.js';
import { renderAt } from '../../../agent/render.js';
import { encryptAge, generateAgeKeyPair } from '../../../shared/secrets/age.js';
import { systemClock } from '../../../agent/clock.js';
import { silentLogger } from '../../../agent/logger.js';

const USER = 'ci';
const PASSWORD = 'registry-pw-7f3a';

async function push(image: string, host: string): Promise<void> {
  const d = await docker();
  const stream = await d.getImage(image).push({ authconfig: { username: USER, password: PASSWORD, serveraddress: host } });
  await new Promise<void>((resolve, reject) => d.modem.followProgress(stream, (err: Error | null, ev: { error?: string }[]) => (err || ev.find((e) => e.error) ? reject(err ?? new Error(ev.find((e) => e.error)!.error)) : resolve())));
}

/** The test app in the registry as `tag`, and not on this host (as on a host that never pulled it). */
async function publish(host: string, tag: string): Promise<string> {
  const image = `${host}/autoinfra-test/app:${tag}`;
  await dockerCli(['tag', APP_IMAGE, image]);
  await push(image, host);
  await dockerCli(['rmi', image]);
  return image;
}

async function setup(t: Test, name: string) {
  const reg = await startRegistry({ auth: { username: USER, password: PASSWORD } });
  t.teardown(() => reg.stop());
  const fx = await reconcileFixture(name);
  t.teardown(() => fx.cleanup());
  return { reg, fx };
}

t.test('private registry: credentials file, refused credentials, pull_policy always, digests', async (t) => {
  const { reg, fx } = await setup(t, 'registry');
  const image = await publish(reg.host, 'v1');

  const good = path.join(fx.stateDir, 'registries.json');
  writeFileSync(good, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
  const bad = path.join(fx.stateDir, 'registries-bad.json');
  writeFileSync(bad, JSON.stringify({ auths: { [reg.host]: { username: USER, password: 'wrong' } } }));
  // An executor as the agent builds it with `registries.auth_file` set to `file`.
  const withCreds = async (file: string) => new Executor({
    runtime: fx.runtime, routes: fx.routes, events: fx.events, store: fx.store, clock: systemClock, logger: silentLogger(), host: 'test-host',
    registryCredentials: await loadDockerConfigFile(file), options: { watchMs: 0 },
  });

  const web = (img: string, policy: 'missing' | 'always', version = 'v1') => service('web', { image: img, pullPolicy: policy, version });
  const r1 = await (await withCreds(good)).deploy(fx.env, stack('production', 'c1', [web(image, 'missing')]));
  t.equal(r1.result, 'live', r1.result === 'failed' ? r1.reason : '');
  t.same(await fx.get('production/web'), { status: 200, body: 'v1\n' });
  const pull1 = fx.events.events.find((e) => e.type === 'pulled' && e.commit === 'c1');
  t.match(pull1?.detail?.digest, new RegExp(`^${reg.host.replace(/\./g, '\\.')}/autoinfra-test/app@sha256:[0-9a-f]{64}$`), 'the pull entry names the digest');
  const live1 = (await fx.store.load('production', 'production')).live!;
  t.match(live1.services.web.digest, /@sha256:/, 'the state records the digest that ran');

  // Refused credentials: fails pre-flight, names the registry, v1 keeps serving.
  const image2 = await publish(reg.host, 'v2');
  const r2 = await (await withCreds(bad)).deploy(fx.env, stack('production', 'c2', [web(image2, 'missing', 'v2')]));
  t.equal(r2.result, 'failed');
  t.match(r2.result === 'failed' ? r2.reason : '', new RegExp(`pre-flight failed for service web: pull of ${image2.replace(/[./]/g, '\\$&')} from registry ${reg.host.replace(/\./g, '\\.')} failed: credentials missing or refused`));
  t.same(await fx.get('production/web'), { status: 200, body: 'v1\n' }, 'v1 keeps serving');

  // pull_policy: always — the tag's digest is part of the identity.
  const e = await withCreds(good);
  const r3 = await e.deploy(fx.env, stack('production', 'c3', [web(image, 'always')]));
  t.equal(r3.result, 'live');
  t.notOk(fx.events.events.some((x) => x.type === 'pulled' && x.commit === 'c3'), 'unchanged tag is not pulled again');
  const r4 = await e.deploy(fx.env, stack('production', 'c4', [web(image, 'always')]));
  t.equal(r4.result, 'unchanged', 'same tag, same digest: nothing to do');

  // Move the tag to a different image.
  await dockerCli(['build', '-q', '-t', image, '-'], `FROM ${APP_IMAGE}\nLABEL moved=yes\n`);
  await push(image, reg.host);
  await dockerCli(['rmi', image]); // as on a host that never saw the new image
  const r5 = await e.deploy(fx.env, stack('production', 'c5', [web(image, 'always')]));
  t.equal(r5.result, 'live', 'a moved tag redeploys');
  const pull5 = fx.events.events.find((x) => x.type === 'pulled' && x.commit === 'c5');
  t.ok(pull5, 'and is pulled');
  t.not(pull5?.detail?.digest, pull1?.detail?.digest);

  t.notMatch(JSON.stringify(fx.events.events), new RegExp(PASSWORD), 'no credential in any recorded action');
  for (const img of [image, image2]) await dockerCli(['rmi', '-f', img]).catch(() => undefined);
});

t.test('credentials from an encrypted file in the repo (infra/secrets/registries.age)', async (t) => {
  const { reg, fx } = await setup(t, 'registry-repo');
  const image = await publish(reg.host, 'repo');

  const host = await generateAgeKeyPair();
  const config = JSON.stringify({ auths: { [reg.host]: { username: USER, password: PASSWORD } } });
  const files = new Map<string, Uint8Array>([
    ['infra/docker-compose.yml', Buffer.from(`services:\n  web:\n    image: ${image}\n    environment: { VERSION: repo }\n    x-autoinfra:\n      route: { hosts: [web.test], port: 8080 }\n      health: { http: /health, interval: 100ms, successes: 2, deadline: 15s }\n`)],
    ['infra/secrets/registries.age', await encryptAge(Buffer.from(config), [host.recipient])],
  ]);
  const scrubbed: string[] = [];
  const st = await renderAt({ source: { readTree: async () => files }, host: 'test-host', ageIdentities: [host.identity], addSecret: (v) => scrubbed.push(v) }, environmentFor({ kind: 'production', branch: 'production', ref: 'refs/heads/production' }, 'test-host'), 'r1');
  t.same(Object.keys(st.registries ?? {}), [reg.host]);
  t.ok(scrubbed.includes(PASSWORD), 'the password is handed to the log scrubber');
  const r = await fx.executor.deploy(fx.env, st);
  t.equal(r.result, 'live', r.result === 'failed' ? r.reason : '');
  t.same(await fx.get('production/web'), { status: 200, body: 'repo\n' });
  await dockerCli(['rmi', '-f', image]).catch(() => undefined);
});
