// Polling against a real git http-backend: what is seen, what is fetched, how many requests.
import t from 'tap';
import path from 'node:path';
import { startGitServer } from '../../helpers/git-server.js';
import git from 'isomorphic-git';
import httpClient from 'isomorphic-git/http/node';
import { capturingLogger, makeSource, summarize, tempDir } from './source-helpers.js';

t.test('new commit on master is seen within one poll; an idle poll is one request and no fetch', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  const c1 = await server.commit('app', 'master', { 'infra/docker-compose.yml': 'services: {}\n' });
  const p1 = await server.commit('app', 'production', { 'infra/docker-compose.yml': 'services: {}\n' });
  await server.commit('app', 'feature/x', { a: '1' });
  await server.commit('app', 'deploy-log', { 'hosts/a.jsonl': '{}\n' });
  const src = makeSource(server, 'app', path.join(tempDir(t), 'repo.git'));

  server.resetCounts();
  const first = await src.pollOnce();
  t.same(first, [
    { type: 'head-changed', env: src.environmentOf('production'), new: p1 },
    { type: 'head-changed', env: src.environmentOf('master'), new: c1 },
  ], 'initial heads; feature/x and deploy-log are not sources');
  t.same(summarize(server), { ...summarize(server), adverts: 1, packs: 2 }, 'one listing, one pack request per branch (the advert is replayed to fetch)');

  server.resetCounts();
  t.same(await src.pollOnce(), [], 'no change, no event');
  t.equal(server.requests.length, 1, 'idle poll is exactly one request');
  t.match(server.requests[0].url, /info\/refs\?service=git-upload-pack$/);

  const c2 = await server.commit('app', 'master', { 'infra/docker-compose.yml': 'services: {web: {image: x}}\n' });
  server.resetCounts();
  t.same(await src.pollOnce(), [{ type: 'head-changed', env: src.environmentOf('master'), old: c1, new: c2 }]);
  t.same(summarize(server), { ...summarize(server), adverts: 1, packs: 1 }, 'one listing and one fetch of master only');
  t.same(await src.readTree(c2), new Map([['infra/docker-compose.yml', Buffer.from('services: {web: {image: x}}\n')]]));
  t.same(src.heads(), new Map([['production', p1], ['master', c2]]));
  t.ok(src.status().healthy);
});

t.test('force-push, deletion, preview appear/disappear, refs/pull/1/head', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  const m1 = await server.commit('app', 'master', { 'infra/a': '1' });
  await server.commit('app', 'master', { 'infra/a': '2' });
  await server.commit('app', 'unrelated', { b: '1' }); // so the repo keeps a ref when master goes
  const { logger, lines } = capturingLogger();
  const src = makeSource(server, 'app', path.join(tempDir(t), 'repo.git'), { logger });
  await src.pollOnce();
  const m2 = src.heads().get('master')!;

  const forced = await server.commit('app', 'master', { 'infra/a': 'rewritten' }, { parent: m1 });
  t.same(await src.pollOnce(), [{ type: 'head-changed', env: src.environmentOf('master'), old: m2, new: forced }], 'force-push is just a new head');
  t.same(await src.readTree(forced), new Map([['infra/a', Buffer.from('rewritten')]]));

  const pv = await server.commit('app', 'preview/feat-1', { 'infra/a': 'preview' }, { parent: forced });
  t.same(await src.pollOnce(), [{ type: 'head-changed', env: src.environmentOf('preview/feat-1'), new: pv }], 'preview appears');
  const pr = await server.commit('app', 'refs/pull/1/head', { 'infra/a': 'pr' }, { parent: forced });
  server.resetCounts();
  t.same(await src.pollOnce(), [{ type: 'head-changed', env: src.environmentOf('pull/1'), new: pr }], 'pull request head is a preview named pull/1');
  t.ok(summarize(server).bytes < 4000, `new branch fetch offers master as "have" (${summarize(server).bytes} bytes)`);
  t.same(await src.readTree(pr), new Map([['infra/a', Buffer.from('pr')]]));

  await server.deleteRef('app', 'preview/feat-1');
  await server.deleteRef('app', 'refs/pull/1/head');
  t.same(await src.pollOnce(), [
    { type: 'branch-deleted', env: src.environmentOf('preview/feat-1'), old: pv },
    { type: 'branch-deleted', env: src.environmentOf('pull/1'), old: pr },
  ], 'previews disappear');

  await server.deleteRef('app', 'master');
  t.same(await src.pollOnce(), [{ type: 'branch-deleted', env: src.environmentOf('master'), old: forced }]);
  t.same(src.heads(), new Map());
  t.equal(lines.filter((l) => / warn /.test(l)).length, 1, 'deleting master is a warning; previews are not');
  t.match(lines.find((l) => / warn /.test(l)), /branch master \(master\) was deleted on the server; what it deployed keeps running/);
});

t.test('pull requests are opt-in; the pattern can be anything but deploy-log stays out', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { a: '1' });
  await server.commit('app', 'refs/pull/1/head', { a: '2' });
  await server.commit('app', 'deploy-log', { a: '3' });
  await server.commit('app', 'topic', { a: '4' });
  const src = makeSource(server, 'app', path.join(tempDir(t), 'repo.git'), { previews: { enabled: true, pattern: '*', pullRequests: false } });
  t.same((await src.pollOnce()).map((e) => e.env.branch), ['master', 'topic']);
});

t.test('readTree: exact bytes, binary files, nested dirs, prefix, missing commit', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7 + 3) % 256));
  const c = await server.commit('app', 'master', {
    'infra/docker-compose.yml': 'services:\n  web: {}\n',
    'infra/secrets/prod.age': binary,
    'infra/a/b/c/deep.txt': 'deep\r\nline\n',
    'README.md': 'not infra',
  });
  const src = makeSource(server, 'app', path.join(tempDir(t), 'repo.git'));
  await src.pollOnce();
  const tree = await src.readTree(c);
  t.same([...tree.keys()].sort(), ['infra/a/b/c/deep.txt', 'infra/docker-compose.yml', 'infra/secrets/prod.age']);
  t.ok(Buffer.from(tree.get('infra/secrets/prod.age')!).equals(binary), 'binary bytes exact');
  t.equal(Buffer.from(tree.get('infra/a/b/c/deep.txt')!).toString('utf8'), 'deep\r\nline\n', 'no line-ending conversion');
  t.same([...(await src.readTree(c, '')).keys()].sort(), ['README.md', 'infra/a/b/c/deep.txt', 'infra/docker-compose.yml', 'infra/secrets/prod.age'], 'empty prefix = whole tree');
  t.same([...(await src.readTree(c, 'infra/a')).keys()], ['infra/a/b/c/deep.txt']);
  t.same(await src.readTree(c, 'nope/'), new Map(), 'absent prefix → empty');
  await t.rejects(src.readTree('0123456789012345678901234567890123456789'), { code: 'E_SOURCE_COMMIT_MISSING' });
});

t.test('why protocol v1: the same listing over v2 costs two requests', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { a: '1' });
  server.resetCounts();
  await git.listServerRefs({ http: httpClient, url: server.url('app'), protocolVersion: 2 });
  t.equal(server.requests.length, 2, 'v2: capabilities GET + ls-refs POST');
  server.resetCounts();
  await git.listServerRefs({ http: httpClient, url: server.url('app'), protocolVersion: 1 });
  t.equal(server.requests.length, 1, 'v1: one GET');
});

t.test('a server that suddenly lists no refs at all is an error, not a mass deletion', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  const src = makeSource(server, 'app', path.join(tempDir(t), 'repo.git'));
  t.same(await src.pollOnce(), [], 'an empty repository at first start is simply empty');
  const c = await server.commit('app', 'preview/a', { a: '1' });
  t.equal((await src.pollOnce()).length, 1);
  await server.deleteRef('app', 'preview/a');
  await t.rejects(src.pollOnce(), { code: 'E_SOURCE_UNREACHABLE', message: /lists no refs/ });
  t.same(src.heads(), new Map([['preview/a', c]]), 'heads kept');
});
