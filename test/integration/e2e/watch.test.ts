// The post-switch watch: a new version that passes its health gate but answers 500s once it
// takes traffic goes back to the previous colour within the window, and the commit is failed.
import t from 'tap';
import { appCompose, liveTestHost } from '../../helpers/agent-process.js';

t.test('500s after the switch → traffic back on the old colour, commit failed', async (t) => {
  const { git, host } = await liveTestHost(t, { watch: '20s', files: { 'infra/docker-compose.yml': appCompose('v1') } });

  // /health is exempt from FAIL=500 in the test app: the gate passes, real traffic fails.
  const c2 = await git.commit('app', 'production', { 'infra/docker-compose.yml': appCompose('v2', { env: { FAIL: '500' } }) });
  let saw500 = 0;
  let requests = 0;
  const deadline = Date.now() + 60_000;
  let failed = false;
  while (Date.now() < deadline && requests < 20_000) {
    requests++;
    const r = await host.get('web.test');
    if (r.status === 500) saw500++;
    if (requests % 20 === 0) {
      const env = (await host.status()).environments.find((e) => e.env === 'production');
      if (env?.failed.some((f) => f.commit === c2)) { failed = true; break; }
    }
  }
  t.ok(failed, 'commit recorded failed');
  t.ok(saw500 >= 10, `the new colour did take traffic and failed it (${saw500} × 500)`);
  const env = (await host.status()).environments.find((e) => e.env === 'production')!;
  t.match(env.failed.find((f) => f.commit === c2)!.reason, /reverted during the post-switch watch: \d+ errors in \d+ requests/);
  t.not(env.live?.commit, c2);
  t.equal((await host.get('web.test')).body, 'v1\n', 'v1 serves again');
});
