// Issue 13 (leaks): a token in a --repo URL must never be printed, as git redacts it.
import t from 'tap';
import { runAutoinfra } from '../../../helpers/cli.js';
import { startGitServer } from '../../../helpers/git-server.js';
import { redactUrlCredentials } from '../../../../shared/url-credentials.js';

const TOKEN = 'tok3n-Sup3rSecret';

t.test('log verify --repo with a token URL: E_LOG_SOURCE names the URL without its credentials', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('infra');
  await server.commit('infra', 'refs/heads/production', { 'README.md': 'x\n' });
  const url = server.url('infra').replace('http://', `http://deployer:${TOKEN}@`);
  const r = await runAutoinfra(['log', 'verify', '--repo', url]);
  t.equal(r.code, 1);
  t.match(r.stderr, /E_LOG_SOURCE/);
  t.match(r.stderr, /http:\/\/\*\*\*@127\.0\.0\.1:\d+\/infra\.git has no deploy-log branch/);
  t.notMatch(r.stderr + r.stdout, TOKEN);
  t.notMatch(r.stderr + r.stdout, 'deployer');
});

t.test('redactUrlCredentials: userinfo of every URL in a text, as git does', async (t) => {
  t.equal(redactUrlCredentials('https://u:p@host/x'), 'https://***@host/x');
  t.equal(redactUrlCredentials('fetch https://u:p@ss@host:8/x failed; see http://a@b/'), 'fetch https://***@host:8/x failed; see http://***@b/');
  t.equal(redactUrlCredentials('https://token@host'), 'https://***@host');
  t.equal(redactUrlCredentials('https://host/path@v1'), 'https://host/path@v1', 'an @ in the path is not userinfo');
  t.equal(redactUrlCredentials('https://host/x?u=a@b'), 'https://host/x?u=a@b');
  t.equal(redactUrlCredentials('user@example.com wrote'), 'user@example.com wrote');
});
