// RouteBook merges every environment's routes into one valid table for the edge; a hostname
// belongs to the highest-ranked environment that routes it, whatever the path (issue 13).
import t from 'tap';
import type { RouteTable } from '../../../shared/routes/route-table.js';
import { RouteBook } from '../../../agent/routing.js';
import { silentLogger } from '../../../agent/logger.js';
import { assertRouteTable } from '../../../agent/edge/routes.js';
import { environmentFor, type EnvironmentKind } from '../../../agent/environment.js';

const env = (kind: EnvironmentKind, branch: string = kind) => environmentFor({ kind, branch, ref: `refs/heads/${branch}` }, 'h1');
const production = env('production');
const master = env('master');
const preview = env('preview', 'preview/a');

t.test('production keeps a host that master also claims; the table stays valid', async (t) => {
  const applied: RouteTable[] = [];
  const book = new RouteBook({ apply: async (table) => { applied.push(table); } }, silentLogger(), 1);
  await book.publish(master, [{ id: 'master/web', hosts: ['web.test', 'master.web.test'], upstream: '127.0.0.1:2002' }]);
  await book.publish(production, [{ id: 'production/web', hosts: ['web.test'], upstream: '127.0.0.1:2001' }]);
  const table = applied.at(-1)!;
  t.doesNotThrow(() => assertRouteTable(table));
  t.same(table.routes.map((r) => [r.id, r.hosts]), [['production/web', ['web.test']], ['master/web', ['master.web.test']]]);
  t.ok(table.version > applied[0].version, 'every publish is a new version');
});

t.test('a route whose every host is taken is left out', async (t) => {
  const book = new RouteBook({ apply: async () => undefined }, silentLogger(), 1);
  book.set(production, [{ id: 'production/web', hosts: ['web.test'], upstream: '127.0.0.1:1' }]);
  book.set(master, [{ id: 'master/web', hosts: ['web.test'], upstream: '127.0.0.1:2' }]);
  t.same(book.table().routes.map((r) => r.id), ['production/web']);
});

t.test('a lower environment cannot take a path on a host a higher one routes', async (t) => {
  const book = new RouteBook({ apply: async () => undefined }, silentLogger(), 1);
  book.set(production, [{ id: 'production/web', hosts: ['Web.test'], upstream: '127.0.0.1:1' }]);
  book.set(master, [{ id: 'master/login', hosts: ['web.test'], pathPrefix: '/login', upstream: '127.0.0.1:2' }]);
  book.set(preview, [{ id: 'preview-a/api', hosts: ['WEB.TEST', 'a.preview.test'], pathPrefix: '/api', upstream: '127.0.0.1:3' }]);
  t.same(book.table().routes.map((r) => [r.id, r.hosts]), [['production/web', ['Web.test']], ['preview-a/api', ['a.preview.test']]], 'case-insensitive, whatever the prefix');
});

t.test('one environment may split a host by path; a withdrawn environment frees its hosts', async (t) => {
  const applied: RouteTable[] = [];
  const book = new RouteBook({ apply: async (table) => { applied.push(table); } }, silentLogger(), 1);
  await book.publish(master, [
    { id: 'master/web', hosts: ['m.test'], upstream: '127.0.0.1:2' },
    { id: 'master/api', hosts: ['m.test'], pathPrefix: '/api', upstream: '127.0.0.1:3' },
  ]);
  await book.publish(preview, [{ id: 'preview-a/web', hosts: ['m.test', 'p.test'], upstream: '127.0.0.1:4' }]);
  t.same(applied.at(-1)!.routes.map((r) => [r.id, r.hosts]), [['master/web', ['m.test']], ['master/api', ['m.test']], ['preview-a/web', ['p.test']]]);
  await book.withdraw(master);
  t.same(applied.at(-1)!.routes.map((r) => [r.id, r.hosts]), [['preview-a/web', ['m.test', 'p.test']]]);
  const n = applied.length;
  await book.withdraw(master);
  t.equal(applied.length, n, 'withdrawing an unknown environment applies nothing');
});
