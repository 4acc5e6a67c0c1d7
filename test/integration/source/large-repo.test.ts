// 1,000 commits and 2,000 files: after the first fetch, one new commit brings only its own objects.
import t from 'tap';
import path from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { startGitServer } from '../../helpers/git-server.js';
import { exec } from '../../helpers/exec.js';
import { makeSource, summarize, tempDir } from './source-helpers.js';
import { createLargeRepo } from './large-repo.js';

t.test('incremental fetch of one commit transfers only that commit\'s new objects', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await createLargeRepo(server, 'big');
  const dir = path.join(tempDir(t), 'repo.git');
  const src = makeSource(server, 'big', dir);
  server.resetCounts();
  await src.pollOnce();
  const initial = summarize(server);
  t.equal(await server.git('big', ['rev-list', '--count', 'master']), '1000');

  const old = (await server.head('big', 'master'))!;
  const next = await server.commit('big', 'master', { 'src/dir-3/file-53.txt': 'changed\n' });
  const expectedObjects = (await server.git('big', ['rev-list', '--objects', next, `^${old}`])).split('\n').length;
  server.resetCounts();
  const events = await src.pollOnce();
  t.same(events, [{ type: 'head-changed', env: src.environmentOf('master'), old, new: next }]);
  const incremental = summarize(server);
  t.equal(incremental.packs, 1);
  // The new objects are the commit, one blob and three trees (src/ alone lists 50 dirs): ~3.5 KB.
  t.ok(incremental.bytes < 6000, `incremental transfer ${incremental.bytes} bytes (initial ${initial.bytes})`);
  t.ok(incremental.bytes * 100 < initial.bytes, 'at least 100× smaller than the full history');

  // The newest pack holds exactly the new commit's objects (commit, 3 trees, 1 blob).
  const packDir = path.join(dir, 'objects', 'pack');
  const newest = readdirSync(packDir).filter((f) => f.endsWith('.idx')).sort((a, b) => statSync(path.join(packDir, b)).mtimeMs - statSync(path.join(packDir, a)).mtimeMs)[0];
  const index = await exec('git', ['show-index'], { input: await import('node:fs').then((fs) => fs.readFileSync(path.join(packDir, newest))) });
  t.equal(index.stdout.trim().split('\n').length, expectedObjects, `pack has ${expectedObjects} objects`);
  t.equal(expectedObjects, 5);

  const tree = await src.readTree(next);
  t.equal(tree.size, 20, 'infra/ of a 2,000-file repo');
  t.equal(Buffer.from((await src.readTree(next, 'src/dir-3/')).get('src/dir-3/file-53.txt')!).toString(), 'changed\n');
});
