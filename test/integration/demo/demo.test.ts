// `autoinfra demo` runs to completion on this machine, its log verification passes, and it leaves
// nothing behind.
import t from 'tap';
import { runAutoinfra } from '../../helpers/cli.js';
import { cleanupDocker, docker, testScope } from '../../helpers/docker.js';
import { BASE_IMAGE, ensureBaseImage } from '../../helpers/images.js';

t.test('autoinfra demo: deploy, blue-green under load, broken commit, verified log, clean up', async (t) => {
  const d = await docker();
  const r = await runAutoinfra(['demo']);
  t.equal(r.code, 0, r.stderr.slice(-3000));
  t.match(r.stdout, /\[1\/4\] Deploy production v1/);
  t.match(r.stdout, /live: curl -H 'Host: web\.demo\.localhost' http:\/\/127\.0\.0\.1:\d+\/ {2}→ {2}"autoinfra demo app, version v1"/);
  t.match(r.stdout, /switched to the (blue|green) colour: \d+ requests during the rollout, 0 failed \(saw v1 then v2\)/);
  t.match(r.stdout, /v3 failed: service web \(\w+\) failed its health gate/);
  t.match(r.stdout, /still serving: "autoinfra demo app, version v2"/);
  t.match(r.stdout, /deploy log verified: 1 host, \d+ lines/);
  t.match(r.stdout, /Demo complete\./);
  const left = await d.listContainers({ all: true, filters: JSON.stringify({ label: ['autoinfra.env=production'] }) });
  t.same(left.filter((c) => (c.Labels['autoinfra.host'] ?? '').startsWith('demo-')).map((c) => c.Names[0]), [], 'no demo container left');
  t.same((await d.listImages({ filters: JSON.stringify({ reference: ['autoinfra-demo/app'] }) })).length, 0, 'demo image removed');
});

t.test("autoinfra demo refuses to start beside another agent's objects, and leaves them alone", async (t) => {
  await ensureBaseImage();
  const d = await docker();
  const scope = testScope('demo-foreign');
  t.teardown(() => cleanupDocker(scope));
  // Another agent's master container (not production: the demo used to look at production only).
  const foreign = await d.createContainer({ name: `ai-master-web-blue-${scope}`, Image: BASE_IMAGE, Cmd: ['sleep', '600'], Labels: { 'autoinfra.env': 'master', 'autoinfra.host': 'web-1', 'autoinfra.test': scope } });
  const r = await runAutoinfra(['demo']);
  t.not(r.code, 0);
  t.match(r.stderr, /already runs an autoinfra agent \(ai-master-web-blue-/);
  t.ok(await foreign.inspect(), 'the other agent\'s container is still there');
});
