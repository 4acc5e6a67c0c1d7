// `autoinfra wait <sha> --api` against a real agent, edge, git server and dockerd: exit 0 for a
// healthy commit (and at once for one already live), 1 with the reason and what still serves for
// one that fails its gate, 5 on timeout, 4 for a queued commit a newer one replaced; 2 and 6 for
// bad input and an API that does not answer.
import t from 'tap';
import { appCompose, liveTestHost } from '../../helpers/agent-process.js';
import { runAutoinfra } from '../../helpers/cli.js';
import { freePort, waitFor } from '../../helpers/exec.js';

t.test('bad input is 2, an unreachable API is 6', async (t) => {
  const bad = await runAutoinfra(['wait', 'not-a-sha', '--api', 'http://127.0.0.1:1']);
  t.equal(bad.code, 2, bad.stderr);
  t.match(bad.stderr, /not a commit id/);
  const badTimeout = await runAutoinfra(['wait', 'abcdef1', '--timeout', 'soon', '--api', 'http://127.0.0.1:1']);
  t.equal(badTimeout.code, 2);
  t.equal((await runAutoinfra(['wait'])).code, 2, 'missing argument');
  const port = await freePort();
  const down = await runAutoinfra(['wait', 'abcdef1', '--api', `http://127.0.0.1:${port}`]);
  t.equal(down.code, 6, down.stderr);
  t.match(down.stderr, new RegExp(`agent API at http://127\\.0\\.0\\.1:${port} does not answer`));
  const help = await runAutoinfra(['wait', '--help']);
  t.match(help.stdout, /4 +superseded/);
});

t.test('wait: live 0, failed 1, timeout 5, superseded 4', async (t) => {
  const { git, host, first } = await liveTestHost(t, { files: { 'infra/docker-compose.yml': appCompose('v1') } });
  const api = `http://127.0.0.1:${host.apiPort}`;
  const wait = (commit: string, ...args: string[]) => runAutoinfra(['wait', commit, '--api', api, ...args]);
  const prod = async () => (await host.status()).environments.find((e) => e.env === 'production');

  const t0 = Date.now();
  const already = await wait(first);
  t.equal(already.code, 0, already.stdout + already.stderr);
  t.match(already.stdout, /production: \w{12} is live/);
  t.ok(Date.now() - t0 < 10_000, `answered at once for a live commit (${Date.now() - t0} ms, most of it starting node)`);

  // Healthy: waits through the steps, prints them, exits 0. Its gate takes ~4 s (40 failed
  // checks 100 ms apart) so the wait, started right after the push, is there before the gate passes.
  const c2 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v2', { env: { HEALTH: 'fail-first-40' } }) }, { message: 'v2' });
  const ok = await wait(c2.slice(0, 12), '--timeout', '90s');
  t.equal(ok.code, 0, ok.stdout + ok.stderr);
  t.match(ok.stdout, /production: gated web\nproduction: switched/, 'progress lines, in order');
  t.match(ok.stdout, new RegExp(`production: ${c2.slice(0, 12)} is live`));
  t.equal((await host.get('web.test')).body, 'v2\n');

  // Fails its gate: 1, the reason, and what still serves.
  const c3 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v3', { env: { HEALTH: 'fail' }, deadline: '2s' }) }, { message: 'v3 broken' });
  const failed = await wait(c3, '--env', 'production', '--timeout', '90s');
  t.equal(failed.code, 1, failed.stdout + failed.stderr);
  t.match(failed.stdout, new RegExp(`production: ${c3.slice(0, 12)} failed at gate: .*web`));
  t.match(failed.stdout, new RegExp(`production: still serving ${c2.slice(0, 12)}`));
  const again = await wait(c3);
  t.equal(again.code, 1, 'a known failure answers at once, from the status model');

  // A slow commit (its gate passes after ~15 s): a tiny --timeout gives 5.
  const c4 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v4', { env: { HEALTH: 'fail-first-150' }, deadline: '60s' }) }, { message: 'v4 slow' });
  await waitFor('v4 deploying', async () => (await prod())?.operation?.commit === c4, { timeoutMs: 30_000, intervalMs: 100 });
  const slow = await wait(c4, '--timeout', '1s');
  t.equal(slow.code, 5, slow.stdout + slow.stderr);
  t.match(slow.stdout, /no outcome for/);

  // While v4 is still in its gate, v5 is queued behind it, then v6 replaces v5: v5 never deploys.
  const c5 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v5') }, { message: 'v5' });
  await waitFor('v5 seen (queued behind v4)', async () => (await prod())?.head === c5, { timeoutMs: 10_000, intervalMs: 50 });
  const waiting5 = wait(c5, '--timeout', '90s');
  const c6 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v6') }, { message: 'v6' });
  const superseded = await waiting5;
  t.equal(superseded.code, 4, superseded.stdout + superseded.stderr);
  t.match(superseded.stdout, new RegExp(`superseded: a newer head ${c6.slice(0, 12)}`));
  t.equal((await prod())?.operation?.commit, c4, 'v4 was still deploying: v5 was replaced in the queue');
  const after = await wait(c5);
  t.equal(after.code, 4, 'asked again afterwards: still superseded (recent outcomes)');

  const last = await wait(c6, '--timeout', '120s');
  t.equal(last.code, 0, last.stdout + last.stderr);
});
