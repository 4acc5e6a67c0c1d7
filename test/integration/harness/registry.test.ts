// Pulls from a real local registry (Debian docker-registry), with and without auth.
import t from 'tap';
import { docker, dockerCli } from '../../helpers/docker.js';
import { BASE_IMAGE, ensureBaseImage } from '../../helpers/images.js';
import { startRegistry } from '../../helpers/registry.js';

async function pull(image: string, authconfig?: { username: string; password: string; serveraddress: string }): Promise<void> {
  const d = await docker();
  const stream = await d.pull(image, authconfig ? { authconfig } : {});
  await new Promise<void>((resolve, reject) => {
    d.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = events?.find((e) => e.error);
      if (err || failed) reject(err ?? new Error(failed!.error)); else resolve();
    });
  });
}

t.test('push to the local registry, remove locally, pull back', async (t) => {
  await ensureBaseImage();
  const reg = await startRegistry();
  t.teardown(() => reg.stop());
  const image = `${reg.host}/autoinfra-test/base:pull-test`;
  await dockerCli(['tag', BASE_IMAGE, image]);
  await dockerCli(['push', image]);
  await dockerCli(['rmi', image]);
  await pull(image);
  const d = await docker();
  const info = await d.getImage(image).inspect();
  t.ok(info.RepoDigests.some((r) => r.startsWith(`${reg.host}/autoinfra-test/base@sha256:`)), 'pulled image has a registry digest');
  await dockerCli(['rmi', image]);
});

t.test('registry with auth: wrong password fails, right one pulls', async (t) => {
  await ensureBaseImage();
  const reg = await startRegistry({ auth: { username: 'ci', password: 'pw' } });
  t.teardown(() => reg.stop());
  const image = `${reg.host}/autoinfra-test/base:auth-test`;
  await dockerCli(['tag', BASE_IMAGE, image]);
  // Push with the engine API and explicit credentials (no docker login state left behind).
  const d = await docker();
  const push = await d.getImage(image).push({ authconfig: { username: 'ci', password: 'pw', serveraddress: reg.host } });
  await new Promise<void>((resolve, reject) => d.modem.followProgress(push, (err: Error | null, ev: { error?: string }[]) => (err || ev.find((e) => e.error) ? reject(err ?? new Error(ev.find((e) => e.error)!.error)) : resolve())));
  await dockerCli(['rmi', image]);
  await t.rejects(pull(image, { username: 'ci', password: 'wrong', serveraddress: reg.host }), /unauthorized|authentication required|no basic auth/i);
  await pull(image, { username: 'ci', password: 'pw', serveraddress: reg.host });
  t.pass('authenticated pull works');
  await dockerCli(['rmi', image]);
});
