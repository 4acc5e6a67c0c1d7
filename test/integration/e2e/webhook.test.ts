// Signed webhooks from GitHub, Gitea and GitLab make the agent poll at once: with a 10-minute poll
// interval only the hook explains a head seen within a second. Forged, replayed and oversized
// deliveries are refused and trigger nothing.
import t from 'tap';
import { appCompose, liveTestHost } from '../../helpers/agent-process.js';
import { waitFor } from '../../helpers/exec.js';
import { signBody } from '../../../agent/api/webhooks/signature.js';
import { deliver, giteaPush, githubPush, gitlabPush } from '../../helpers/webhooks.js';

const SECRET = 'e2e-webhook-secret-0123456789abcdef';

t.test('signed deliveries trigger a deploy within a second; forged, replayed, oversized ones nothing', async (t) => {
  const { git, host, first } = await liveTestHost(t, { pollInterval: '10m', webhookSecret: SECRET, files: { 'infra/docker-compose.yml': appCompose('v1') } });
  const prod = async () => (await host.status()).environments.find((e) => e.env === 'production');
  const seenWithin = (commit: string, ms: number) => waitFor(`head ${commit.slice(0, 8)} seen`, async () => (await prod())?.head === commit, { timeoutMs: ms, intervalMs: 50 });

  // GitHub
  const c2 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v2') }, { message: 'v2' });
  const gh = githubPush(SECRET, 'production', first, c2);
  const r2 = await deliver(host.apiPort, gh);
  t.equal(r2.status, 202, r2.body);
  t.ok(r2.ms < 1000, `answered in ${r2.ms} ms`);
  await seenWithin(c2, 1000);
  t.pass('GitHub delivery: the new head was seen within 1 s of the answer');

  // Refused deliveries for the next commit: the head stays where it was.
  const c3 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v3') }, { message: 'v3' });
  const forged = githubPush('not-the-secret-0123456789abcdef', 'production', c2, c3);
  t.equal((await deliver(host.apiPort, forged)).status, 401, 'wrong secret');
  t.equal((await deliver(host.apiPort, { ...gh, headers: { ...gh.headers, 'x-hub-signature-256': '' } })).status, 401, 'empty signature');
  t.equal((await deliver(host.apiPort, gh)).status, 409, 'replayed delivery id');
  const big = githubPush(SECRET, 'production', c2, c3);
  const padded = big.body.replace(/}$/, `,"pad":"${'x'.repeat(1024 * 1024)}"}`);
  const oversized = { headers: { ...big.headers, 'x-hub-signature-256': `sha256=${signBody(padded, SECRET)}` }, body: padded };
  t.equal((await deliver(host.apiPort, oversized)).status, 413, 'correctly signed, but over 1 MiB');
  t.equal((await prod())?.head, c2, 'no refused delivery moved the head');
  t.match(host.agentOutput(), /webhook from 127\.0\.0\.1 refused \(401\)/);
  t.notMatch(host.agentOutput(), SECRET, 'the secret is never logged');

  // Gitea
  t.equal((await deliver(host.apiPort, giteaPush(SECRET, 'production', c2, c3), '/hooks/gitea')).status, 202);
  await seenWithin(c3, 1000);
  t.pass('Gitea delivery: seen within 1 s');

  // GitLab
  const c4 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v4') }, { message: 'v4' });
  t.equal((await deliver(host.apiPort, gitlabPush(SECRET, 'production', c3, c4))).status, 202);
  await seenWithin(c4, 1000);
  t.pass('GitLab delivery: seen within 1 s');

  await waitFor('v4 live', async () => { const e = await prod(); return e?.live?.commit === c4 && !e.operation; }, { timeoutMs: 60_000, intervalMs: 200 });
  t.equal((await host.get('web.test')).body, 'v4\n', 'the hooked commit serves');
});
