// RepoFiles places each mounted repo tree once per content hash, atomically, inside its dir.
import t from 'tap';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RepoFiles } from '../../../../agent/executor/repo-files.js';
import type { RepoTree, Stack } from '../../../../shared/stack/model.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dirTree: RepoTree = { source: 'infra/conf', kind: 'dir', files: { 'app.ini': enc('a=1'), 'sub/b.txt': enc('b') }, hash: 'd'.repeat(64) };
const fileTree: RepoTree = { source: 'infra/n.conf', kind: 'file', files: { '': enc('events {}') }, hash: 'f'.repeat(64) };
const stackOf = (...trees: RepoTree[]) => ({ env: 'master', repoTrees: Object.fromEntries(trees.map((x) => [x.hash, x])) }) as unknown as Stack;

t.test('trees are placed under the env and hash, read-only files, and reused', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ai-repo-files-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const files = new RepoFiles(root);
  const stack = stackOf(dirTree, fileTree);
  const out = await files.materialise(stack, [dirTree.hash, fileTree.hash]);
  t.equal(out[dirTree.hash], path.join(root, 'master', dirTree.hash, 'tree'));
  t.equal(await readFile(path.join(out[dirTree.hash], 'sub/b.txt'), 'utf8'), 'b');
  t.equal(await readFile(out[fileTree.hash], 'utf8'), 'events {}');
  t.equal((await stat(out[fileTree.hash])).mode & 0o777, 0o444);
  t.same(await files.materialise(stack, [dirTree.hash]), { [dirTree.hash]: out[dirTree.hash] }, 'placed once, then reused');
  t.same((await readdir(path.join(root, 'master'))).sort(), [dirTree.hash, fileTree.hash], 'no temporary left behind');
});

t.test('prune keeps only the trees the stack mounts', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ai-repo-files-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const files = new RepoFiles(root);
  await files.materialise(stackOf(dirTree, fileTree), [dirTree.hash, fileTree.hash]);
  await files.prune(stackOf(fileTree));
  t.same(await readdir(path.join(root, 'master')), [fileTree.hash]);
});

t.test('a tree path that would leave the dir is refused', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ai-repo-files-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const evil: RepoTree = { source: 'infra/x', kind: 'dir', files: { '../../../escaped': enc('x') }, hash: 'e'.repeat(64) };
  await t.rejects(new RepoFiles(root).materialise(stackOf(evil), [evil.hash]), { code: 'E_REPO_PATH' });
  t.notOk((await readdir(root)).includes('escaped'));
});
