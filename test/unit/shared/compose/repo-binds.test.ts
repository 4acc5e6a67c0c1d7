// Repo paths bind-mounted into containers come from the commit's own files, by content hash: the
// same commit gives the same files, a changed file redeploys the service, a missing path is named.
import t from 'tap';
import { ComposeError } from '../../../../shared/compose/compose-error.js';
import { redactStack, renderStack } from '../../../../shared/compose/render.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const COMPOSE = `
services:
  web:
    image: example.invalid/web:1
    volumes:
      - ./conf:/etc/app
      - ./nginx.conf:/etc/nginx/nginx.conf
`;

const render = (over: Record<string, string> = {}) => renderStack({
  files: new Map(Object.entries({ 'infra/docker-compose.yml': COMPOSE, 'infra/conf/app.ini': 'a=1\n', 'infra/conf/sub/b.txt': 'b', 'infra/nginx.conf': 'events {}\n', ...over }).map(([k, v]) => [k, enc(v)])),
  branch: 'production', env: 'production', commit: 'c0ffee'.padEnd(40, '0'), host: 'h1',
});

t.test('a directory and a file of the repo become trees the service mounts by hash', async (t) => {
  const stack = await render();
  const [dir, file] = stack.services.web.volumes;
  t.match(dir, { type: 'bind', source: 'infra/conf', target: '/etc/app', read_only: true });
  t.match(file, { type: 'bind', source: 'infra/nginx.conf', read_only: true });
  const trees = stack.repoTrees!;
  t.same(Object.keys(trees[dir.repoTree!].files).sort(), ['app.ini', 'sub/b.txt']);
  t.equal(trees[dir.repoTree!].kind, 'dir');
  t.equal(trees[file.repoTree!].kind, 'file');
  t.equal(new TextDecoder().decode(trees[file.repoTree!].files['']), 'events {}\n');
});

t.test('a changed file changes the tree hash and the service hash; an unrelated file does not', async (t) => {
  const a = await render();
  const b = await render({ 'infra/conf/app.ini': 'a=2\n' });
  const c = await render({ 'infra/other.txt': 'x' });
  t.not(a.services.web.volumes[0].repoTree, b.services.web.volumes[0].repoTree);
  t.not(a.services.web.hash, b.services.web.hash, 'the service redeploys with the new file');
  t.equal(a.services.web.hash, c.services.web.hash, 'a file outside the mounted paths changes nothing');
});

t.test('a repo path the commit does not hold is refused, naming file and key', async (t) => {
  const files = { 'infra/docker-compose.yml': COMPOSE.replace('./conf', './missing'), 'infra/nginx.conf': 'x' };
  const err = await renderStack({ files: new Map(Object.entries(files).map(([k, v]) => [k, enc(v)])), branch: 'production', env: 'production', commit: 'c'.repeat(40), host: 'h1' }).catch((e) => e);
  t.ok(err instanceof ComposeError);
  t.match(err.message, /infra\/docker-compose\.yml/);
  t.match(err.message, /services\.web\.volumes\[?\.?0/);
  t.match(err.message, /infra\/missing is not in the repo/);
});

t.test('the printable stack names the trees, not their bytes', async (t) => {
  const shown = JSON.stringify(redactStack(await render()));
  t.notMatch(shown, /a=1/);
  t.match(shown, /"source":"infra\/conf","kind":"dir","files":2/);
});
