// The git test server is real: isomorphic-git pushes to it over smart HTTP and reads back.
import t from 'tap';
import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import git from 'isomorphic-git';
import httpClient from 'isomorphic-git/http/node';
import { startGitServer } from '../../helpers/git-server.js';

t.test('push with isomorphic-git, read the branch back, count requests', async (t) => {
  const server = await startGitServer({ auth: { username: 'deploy', password: 's3cret' } });
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  const first = await server.commit('app', 'master', { 'infra/docker-compose.yml': 'services: {}\n' });

  const dir = mkdtempSync(path.join(tmpdir(), 'ai-clone-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const headers = { Authorization: `Basic ${Buffer.from('deploy:s3cret').toString('base64')}` };
  await git.clone({ fs, http: httpClient, dir, url: server.url('app'), ref: 'master', singleBranch: true, headers });
  t.equal(await git.resolveRef({ fs, dir, ref: 'HEAD' }), first, 'clone sees the commit made on the server');

  fs.writeFileSync(path.join(dir, 'README.md'), 'hello\n');
  await git.add({ fs, dir, filepath: 'README.md' });
  const pushed = await git.commit({ fs, dir, message: 'add readme', author: { name: 't', email: 't@example.invalid' } });
  const res = await git.push({ fs, http: httpClient, dir, remote: 'origin', ref: 'master', headers });
  t.ok(res.ok, 'push accepted');
  t.equal(await server.head('app', 'master'), pushed, 'server has the pushed commit');
  t.equal(await server.show('app', 'master', 'README.md'), 'hello');

  server.resetCounts();
  const refs = await git.listServerRefs({ http: httpClient, url: server.url('app'), prefix: 'refs/heads/', headers, protocolVersion: 1 });
  t.same(refs.map((r) => r.ref), ['refs/heads/master']);
  t.equal(server.requests.length, 1, 'listServerRefs is one request');

  await t.rejects(git.listServerRefs({ http: httpClient, url: server.url('app') }), /401/, 'no credentials → 401');
});

t.test('stop and start keep the same URL; deleteRef removes a branch', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('r');
  await server.commit('r', 'preview/x', { a: '1' });
  const url = server.url('r');
  await server.stop();
  await t.rejects(git.listServerRefs({ http: httpClient, url }), 'stopped server refuses');
  await server.start();
  t.equal(server.url('r'), url);
  await server.deleteRef('r', 'preview/x');
  t.same(await git.listServerRefs({ http: httpClient, url, prefix: 'refs/heads/' }), []);
});
