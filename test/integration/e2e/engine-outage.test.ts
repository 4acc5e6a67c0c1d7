// The Docker engine unreachable when a commit arrives is no fault of the commit: the agent says
// so, keeps the commit unfailed, and deploys it once the engine answers again.
import t from 'tap';
import net from 'node:net';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { startGitServer } from '../../helpers/git-server.js';
import { appCompose, testHost } from '../../helpers/agent-process.js';
import { DOCKER_SOCKET, docker } from '../../helpers/docker.js';
import { waitFor } from '../../helpers/exec.js';

t.test('engine down at deploy time → retried, deployed when it is back', async (t) => {
  await docker();
  const git = await startGitServer();
  t.teardown(() => git.dispose());
  await git.createRepo('app');
  // The agent reaches the engine through a socket that forwards to the real one: the test
  // brings the engine "down" and "up" by closing and opening that socket.
  const proxyDir = git.root;
  const socket = path.join(proxyDir, 'engine.sock');
  const host = await testHost({ repoUrl: git.url('app'), dockerSocket: socket });
  const proxy = net.createServer((client) => {
    const upstream = net.connect(DOCKER_SOCKET);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  t.teardown(async () => {
    if (!t.passing()) t.comment(host.agentOutput().slice(-5000));
    await host.dispose();
    proxy.close();
  });
  await host.startEdge();
  await host.startAgent();
  const c1 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v1') });
  await waitFor('the agent to report the interruption', async () => /deploy of \w+ interrupted: .*retrying in 30 s/.test(host.agentOutput()), { timeoutMs: 30_000, intervalMs: 200 });
  const env = (await host.status()).environments.find((e) => e.env === 'production');
  t.notOk(env?.failed.some((f) => f.commit === c1), 'the commit is not failed');

  rmSync(socket, { force: true });
  await new Promise<void>((r) => proxy.listen(socket, () => r()));
  await waitFor('v1 live after the engine returned', async () => (await host.get('web.test').catch(() => ({ body: '' }))).body === 'v1\n', { timeoutMs: 60_000, intervalMs: 250 });
  t.pass('deployed once the engine answered');
});
