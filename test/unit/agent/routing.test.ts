// RouteBook merges every environment's routes into one valid table for the edge.
import t from 'tap';
import type { RouteTable } from '../../../shared/routes/route-table.js';
import { RouteBook } from '../../../agent/routing.js';
import { silentLogger } from '../../../agent/logger.js';
import { assertRouteTable } from '../../../agent/edge/routes.js';

t.test('production keeps a host that master also claims; the table stays valid', async (t) => {
  const applied: RouteTable[] = [];
  const book = new RouteBook({ apply: async (table) => { applied.push(table); } }, silentLogger(), 1);
  await book.publish('master', [{ id: 'master/web', hosts: ['web.test', 'master.web.test'], upstream: '127.0.0.1:2002' }]);
  await book.publish('production', [{ id: 'production/web', hosts: ['web.test'], upstream: '127.0.0.1:2001' }]);
  const table = applied.at(-1)!;
  t.doesNotThrow(() => assertRouteTable(table));
  t.same(table.routes.map((r) => [r.id, r.hosts]), [['production/web', ['web.test']], ['master/web', ['master.web.test']]]);
  t.ok(table.version > applied[0].version, 'every publish is a new version');
});

t.test('a route whose every host is taken is left out', async (t) => {
  const book = new RouteBook({ apply: async () => undefined }, silentLogger(), 1);
  book.set('production', [{ id: 'production/web', hosts: ['web.test'], upstream: '127.0.0.1:1' }]);
  book.set('master', [{ id: 'master/web', hosts: ['web.test'], upstream: '127.0.0.1:2' }]);
  t.same(book.table().routes.map((r) => r.id), ['production/web']);
  book.set('master', [{ id: 'master/web', hosts: ['web.test'], pathPrefix: '/beta', upstream: '127.0.0.1:2' }]);
  t.same(book.table().routes.map((r) => r.id), ['production/web', 'master/web'], 'another path prefix is another route');
});
