// The test app image runs on the real engine, published on 127.0.0.1, and answers its version.
import t from 'tap';
import { cleanupDocker, docker, testScope, TEST_LABEL } from '../../helpers/docker.js';
import { APP_IMAGE, ensureAppImage } from '../../helpers/images.js';
import { waitFor } from '../../helpers/exec.js';

t.test('test app: version, health toggling, 500 mode, echo', async (t) => {
  const scope = testScope('harness-docker');
  t.teardown(() => cleanupDocker(scope));
  const d = await docker();
  await ensureAppImage();
  const c = await d.createContainer({
    name: `ai-test-${scope}`,
    Image: APP_IMAGE,
    Env: ['VERSION=v1', 'HEALTH=fail-first-2'],
    Labels: { [TEST_LABEL]: scope },
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  await c.start();
  const info = await c.inspect();
  const port = info.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
  t.ok(port, 'published on an ephemeral port');
  const base = `http://127.0.0.1:${port}`;
  const body = await waitFor('app to answer', async () => (await fetch(base)).text());
  t.equal(body, 'v1\n');
  t.equal((await fetch(`${base}/health`)).status, 503, 'first health check fails');
  t.equal((await fetch(`${base}/health`)).status, 503, 'second health check fails');
  t.equal((await fetch(`${base}/health`)).status, 200, 'then healthy');
  await fetch(`${base}/control?fail=500`);
  t.equal((await fetch(base)).status, 500, '500 mode');
  await fetch(`${base}/control?fail=`);
  const echo = (await (await fetch(`${base}/echo`, { method: 'POST', body: 'abc' })).json()) as { method: string; bodyBytes: number };
  t.equal(echo.method, 'POST');
  t.equal(echo.bodyBytes, 3);
});

t.test('cleanup removes labelled containers, networks and volumes', async (t) => {
  const scope = testScope('harness-cleanup');
  const d = await docker();
  await ensureAppImage();
  await d.createNetwork({ Name: `ai-test-net-${scope}`, Labels: { [TEST_LABEL]: scope } });
  await d.createVolume({ Name: `ai-test-vol-${scope}`, Labels: { [TEST_LABEL]: scope } });
  await d.createContainer({ name: `ai-test-c-${scope}`, Image: APP_IMAGE, Labels: { [TEST_LABEL]: scope } });
  await cleanupDocker(scope);
  const filters = JSON.stringify({ label: [`${TEST_LABEL}=${scope}`] });
  t.equal((await d.listContainers({ all: true, filters })).length, 0);
  t.equal((await d.listNetworks({ filters })).length, 0);
  t.equal(((await d.listVolumes({ filters })).Volumes ?? []).length, 0);
});
