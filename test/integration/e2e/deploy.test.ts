// The thin path, end to end: a commit pushed to the git server is deployed by the agent process
// onto dockerd behind the edge process, switched blue-green under load with no failed request,
// a broken commit fails its gate while the old version keeps serving, and the signed deploy log
// on the remote verifies offline.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startGitServer } from '../../helpers/git-server.js';
import { appCompose, testHost } from '../../helpers/agent-process.js';
import { runAutoinfra } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/exec.js';

t.test('commit → live behind the edge → blue-green under load → failed commit skipped → log verifies', async (t) => {
  const git = await startGitServer({ auth: { username: 'deploy', password: 'tok-e2e-secret' } });
  t.teardown(() => git.dispose());
  await git.createRepo('app');
  const url = git.url('app');
  const passwordFile = path.join(git.root, 'token');
  writeFileSync(passwordFile, 'tok-e2e-secret\n');
  const host = await testHost({ repoUrl: url, auth: { username: 'deploy', passwordFile } });
  t.teardown(async () => {
    if (!t.passing()) t.comment(`agent and edge output:\n${host.agentOutput().slice(-6000)}`);
    await host.dispose();
  });

  await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v1'), 'infra/autoinfra.yml': host.policyYaml }, { message: 'v1' });
  await host.startEdge();
  await host.startAgent();
  await waitFor('v1 live behind the edge', async () => (await host.get('web.test')).body === 'v1\n', { timeoutMs: 60_000, intervalMs: 200 });
  t.pass('v1 is live');

  // Continuous load while v2 rolls out: keep-alive fetches, bounded in count and time.
  let stop = false;
  const seen = new Set<string>();
  const failures: string[] = [];
  let requests = 0;
  const load = (async () => {
    const deadline = Date.now() + 90_000;
    while (!stop && Date.now() < deadline && requests < 20_000) {
      requests++;
      try {
        const r = await host.get('web.test');
        if (r.status !== 200) failures.push(`${r.status} ${r.body.trim()}`);
        else seen.add(r.body.trim());
      } catch (e) {
        failures.push(String(e));
      }
    }
  })();
  const c2 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v2') }, { message: 'v2' });
  await waitFor('v2 live', async () => (await host.status()).environments.find((e) => e.env === 'production')?.live?.commit === c2 && !(await host.status()).environments.find((e) => e.env === 'production')?.operation, { timeoutMs: 60_000, intervalMs: 200 });
  // A few more requests after the old colour is gone.
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await load;
  t.same(failures, [], `no failed request during the switch (${requests} requests)`);
  t.ok(seen.has('v1') && seen.has('v2'), `load saw both versions: ${[...seen].join(', ')}`);
  t.equal((await host.get('web.test')).body, 'v2\n');

  // A commit whose health check fails: never takes traffic, recorded failed, not retried.
  const c3 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v3', { env: { HEALTH: 'fail' }, deadline: '2s' }) }, { message: 'v3 broken' });
  await waitFor('v3 failed', async () => (await host.status()).environments.find((e) => e.env === 'production')?.failed.some((f) => f.commit === c3), { timeoutMs: 60_000, intervalMs: 200 });
  t.equal((await host.get('web.test')).body, 'v2\n', 'v2 keeps serving');

  // A commit that is not valid compose: failed at render with the file and key named.
  const c4 = await git.commit('app', 'production', { 'infra/docker-compose.yml': 'services:\n  web:\n    imagee: x\n' }, { message: 'typo' });
  await waitFor('c4 failed', async () => (await host.status()).environments.find((e) => e.env === 'production')?.failed.find((f) => f.commit === c4), { timeoutMs: 30_000, intervalMs: 200 });
  const failedC4 = (await host.status()).environments.find((e) => e.env === 'production')!.failed.find((f) => f.commit === c4)!;
  t.match(failedC4.reason, /infra\/docker-compose\.yml:3:5.*services\.web\.imagee/, 'render error names file, line and key');
  t.equal((await host.get('web.test')).body, 'v2\n');

  const c5 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v5') }, { message: 'v5' });
  await waitFor('v5 live', async () => (await host.get('web.test')).body === 'v5\n', { timeoutMs: 60_000, intervalMs: 200 });
  t.pass('recovery is the next commit');

  // The operator's read-only views agree with what runs.
  const trigger = await runAutoinfra(['--config', host.configFile, 'trigger', 'production']);
  t.equal(trigger.code, 0, trigger.stderr);
  const status = await runAutoinfra(['--config', host.configFile, 'status']);
  t.match(status.stdout, new RegExp(`production \\(branch production, head ${c5.slice(0, 12)}\\)`));
  t.match(status.stdout, new RegExp(`live: +${c5.slice(0, 12)}`));
  t.match(status.stdout, /web +(blue|green) +running/);
  t.match(status.stdout, new RegExp(`failed: ${c4.slice(0, 12)}`));
  const plan = await runAutoinfra(['--config', host.configFile, 'plan']);
  t.match(plan.stdout, /production: \w+ → \w+ \(no changes\)/, plan.stdout + plan.stderr);
  const render = await runAutoinfra(['--config', host.configFile, 'render', '--branch', 'production']);
  t.equal(render.code, 0, render.stderr);
  t.equal((JSON.parse(render.stdout) as { services: { web: { environment: { VERSION: string } } } }).services.web.environment.VERSION, 'v5');

  await host.stopAgent('SIGTERM');
  const keys = path.join(host.dir, 'keys.yml');
  writeFileSync(keys, host.policyYaml);
  // A reader with read access to the repo (credentials in the URL for this private test repo).
  const readerUrl = url.replace('http://', 'http://deploy:tok-e2e-secret@');
  const verify = await runAutoinfra(['log', 'verify', '--repo', readerUrl, '--keys', keys]);
  const show = await runAutoinfra(['log', 'show', '--repo', readerUrl, '--json']);
  t.equal(verify.code, 0, `log verify passes:\n${verify.stdout}${verify.stderr}`);
  const lines = show.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; commit?: string; result: string });
  t.ok(lines.some((l) => l.action === 'live' && l.commit === c2), 'log records v2 live');
  t.ok(lines.some((l) => l.action === 'failed' && l.commit === c3), 'log records v3 failed');
  t.ok(lines.some((l) => l.action === 'live' && l.commit === c5), 'log records v5 live');
  const local = await runAutoinfra(['--config', host.configFile, 'log', 'show']);
  t.match(local.stdout, new RegExp(`production +live +ok +${c5.slice(0, 12)}`), 'log show reads the host\'s local queue too');
  t.notMatch(show.stdout + local.stdout + host.agentOutput(), /tok-e2e-secret/, 'the git token appears in no log');
});
