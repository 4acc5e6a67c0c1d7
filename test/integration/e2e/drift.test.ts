// Drift repair driven by Docker events: a live container killed or removed by hand is restored
// within seconds, long before the periodic drift check (set to 10 minutes here).
import t from 'tap';
import { appCompose, liveTestHost } from '../../helpers/agent-process.js';
import { docker } from '../../helpers/docker.js';
import { waitFor } from '../../helpers/exec.js';

t.test('killed and removed containers come back on the event, not the timer', async (t) => {
  const { host } = await liveTestHost(t, { driftInterval: '10m', files: { 'infra/docker-compose.yml': appCompose('v1') } });
  const d = await docker();
  const liveName = async () => (await d.listContainers({ filters: JSON.stringify({ label: [`autoinfra.host=${host.name}`, 'autoinfra.service=web'] }) }))[0]?.Names[0].slice(1);
  const name = await liveName();
  t.ok(name);

  await d.getContainer(name!).kill();
  let start = Date.now();
  await waitFor('restarted after kill', async () => (await host.get('web.test').catch(() => ({ body: '' }))).body === 'v1\n' && (await d.getContainer(name!).inspect()).State.Running, { timeoutMs: 30_000, intervalMs: 100 });
  t.ok(Date.now() - start < 30_000, `killed container serving again after ${Date.now() - start} ms`);

  await d.getContainer(name!).remove({ force: true });
  start = Date.now();
  await waitFor('recreated after removal', async () => (await host.get('web.test').catch(() => ({ body: '' }))).body === 'v1\n' && (await liveName()) === name, { timeoutMs: 30_000, intervalMs: 100 });
  t.ok(Date.now() - start < 30_000, `removed container recreated after ${Date.now() - start} ms`);
  t.match(host.agentOutput(), /repaired drift \(stopped/);
  t.match(host.agentOutput(), /repaired drift \(missing/);
});
