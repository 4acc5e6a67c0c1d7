// kill -9 of the agent mid-deploy (after the new colour started, after the switch, during the
// drain): the restarted agent converges to one consistent state with no orphan containers.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startGitServer } from '../../helpers/git-server.js';
import { appCompose, testHost } from '../../helpers/agent-process.js';
import { docker } from '../../helpers/docker.js';
import { waitFor } from '../../helpers/exec.js';
import { request } from '../../helpers/edge.js';

interface StateFile { live?: { commit: string }; operation?: { phase: string } }

for (const point of ['after-start', 'after-switch', 'during-drain'] as const) {
  t.test(`kill -9 ${point}: restart converges, no orphans`, async (t) => {
    const git = await startGitServer();
    t.teardown(() => git.dispose());
    await git.createRepo('app');
    const host = await testHost({ repoUrl: git.url('app'), watch: point === 'after-switch' ? '4s' : '1s' });
    t.teardown(async () => {
      if (!t.passing()) t.comment(host.agentOutput().slice(-5000));
      await host.dispose();
    });
    const stateFile = path.join(host.stateDir, 'envs', 'production.json');
    const readState = (): StateFile => { try { return JSON.parse(readFileSync(stateFile, 'utf8')) as StateFile; } catch { return {}; } };
    const d = await docker();
    const webContainers = async () => (await d.listContainers({ all: true, filters: JSON.stringify({ label: [`autoinfra.host=${host.name}`, 'autoinfra.service=web'] }) })).map((c) => c.Names[0].slice(1)).sort();

    // A drain window longer than the slow request below: in-flight requests get that long.
    const compose = (v: string) => appCompose(v, { drain: '15s' });
    await git.commit('app', 'production', { 'infra/docker-compose.yml': compose('v1') });
    await host.startEdge();
    const agent = await host.startAgent();
    await waitFor('v1 live', async () => (await host.get('web.test')).body === 'v1\n', { timeoutMs: 60_000, intervalMs: 100 });

    // During-drain: a slow request in flight on the old colour keeps the drain waiting.
    const slow = point === 'during-drain' ? request(host.edgePort, 'web.test', '/slow?ms=6000', { timeoutMs: 20_000 }).catch((e: Error) => ({ status: 0, body: e.message })) : undefined;
    if (slow) await new Promise((r) => setTimeout(r, 200));
    const c2 = await git.commit('app', 'production', { 'infra/docker-compose.yml': compose('v2') });

    if (point === 'after-start') await waitFor('green started', async () => (await webContainers()).includes('ai-production-web-green'), { timeoutMs: 60_000, intervalMs: 20 });
    if (point === 'after-switch') await waitFor('switch', async () => readState().operation?.phase === 'watching', { timeoutMs: 60_000, intervalMs: 20 });
    if (point === 'during-drain') await waitFor('drain', async () => readState().operation?.phase === 'draining', { timeoutMs: 60_000, intervalMs: 20 });
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));
    t.pass(`agent killed ${point} (phase ${readState().operation?.phase ?? 'none'})`);
    // Traffic keeps flowing while the agent is down: the edge is a separate process.
    t.equal((await host.get('web.test')).status, 200, 'edge still serves with the agent dead');

    await host.startAgent();
    await waitFor('converged on v2', async () => {
      const s = readState();
      return s.live?.commit === c2 && !s.operation && (await host.get('web.test')).body === 'v2\n';
    }, { timeoutMs: 90_000, intervalMs: 200 });
    await waitFor('no orphans', async () => (await webContainers()).length === 1, { timeoutMs: 20_000 });
    t.equal((await webContainers()).length, 1, `one web container: ${(await webContainers()).join(', ')}`);
    if (slow) t.equal((await slow).status, 200, 'the in-flight request on the old colour finished');
  });
}
