import t from 'tap';
import type { RouteTable } from '../../../../shared/routes/route-table.js';
import { parseRouteTable, RouteLookup, RouteTableError, switchRoute, switchBack, forgetPrevious, normaliseHost, routeTableProblems } from '../../../../agent/edge/routes.js';

const table: RouteTable = {
  version: 3,
  routes: [
    { id: 'production/web', hosts: ['example.org', 'www.example.org'], upstream: '127.0.0.1:8001' },
    { id: 'production/api', hosts: ['example.org'], pathPrefix: '/api', upstream: '127.0.0.1:8002' },
    { id: 'production/api-v2', hosts: ['example.org'], pathPrefix: '/api/v2/', upstream: '127.0.0.1:8003' },
    { id: 'previews', hosts: ['*.preview.example.org'], upstream: '127.0.0.1:8004' },
    { id: 'preview-x', hosts: ['*.x.preview.example.org'], upstream: '127.0.0.1:8005' },
  ],
};

t.test('lookup: exact host, longest path prefix on segment boundaries, wildcards by longest suffix', async (t) => {
  const l = new RouteLookup(table);
  const id = (host: string | undefined, path: string): string | undefined => l.match(host, path)?.id;
  t.equal(id('example.org', '/'), 'production/web');
  t.equal(id('EXAMPLE.org:8080', '/x'), 'production/web', 'case and port ignored');
  t.equal(id('example.org.', '/x'), 'production/web', 'trailing dot ignored');
  t.equal(id('example.org', '/api'), 'production/api');
  t.equal(id('example.org', '/api/users?x=1'), 'production/api');
  t.equal(id('example.org', '/apix'), 'production/web', 'prefix matches whole segments only');
  t.equal(id('example.org', '/api/v2'), 'production/api-v2', 'trailing slash of a prefix is not required');
  t.equal(id('example.org', '/api/v2/items'), 'production/api-v2', 'longest prefix wins');
  t.equal(id('www.example.org', '/api'), 'production/web', 'prefix routes are per host');
  t.equal(id('feature-1.preview.example.org', '/'), 'previews');
  t.equal(id('a.b.preview.example.org', '/'), 'previews', 'wildcards match any depth');
  t.equal(id('y.x.preview.example.org', '/'), 'preview-x', 'the more specific wildcard wins');
  t.equal(id('preview.example.org', '/'), undefined, 'a wildcard does not match its bare domain');
  t.equal(id('other.org', '/'), undefined);
  t.equal(id(undefined, '/'), undefined, 'no Host header: no route');
  t.equal(l.version, 3);
});

t.test('parse: a valid file round-trips; every problem is reported with its path', async (t) => {
  t.same(parseRouteTable('routes.json', JSON.stringify(table)), table);
  const bad = {
    version: -1,
    routes: [
      { id: 'a', hosts: ['Example.org'], upstream: '127.0.0.1' },
      { id: 'a', hosts: ['ok.org'], upstream: '127.0.0.1:99999', pathPrefix: 'api', extra: 1 },
      { id: 'c', hosts: ['dup.org'], upstream: '127.0.0.1:1' },
      { id: 'd', hosts: ['dup.org'], upstream: '127.0.0.1:2', mirror: { target: 'x', methods: ['get'], sampleRate: 2 } },
    ],
  };
  const err = t.throws(() => parseRouteTable('/var/lib/autoinfra/routes.json', JSON.stringify(bad))) as RouteTableError;
  t.ok(err instanceof RouteTableError);
  t.equal(err.code, 'E_EDGE_ROUTES');
  const paths = err.problems.map((p) => p.path).sort();
  t.same(paths, ['routes[0].hosts[0]', 'routes[0].upstream', 'routes[1].extra', 'routes[1].id', 'routes[1].pathPrefix', 'routes[1].upstream', 'routes[3].hosts[0]', 'routes[3].mirror.methods', 'routes[3].mirror.sampleRate', 'routes[3].mirror.target', 'version'].sort());
  t.match(err.message, /\/var\/lib\/autoinfra\/routes\.json/);
  t.match(err.message, /already routed by route "c"/);
  const notJson = t.throws(() => parseRouteTable('r.json', '{"version": 1,')) as RouteTableError;
  t.match(notJson.message, /r\.json: not valid JSON/);
});

t.test('switch keeps the old upstream as previous; switch-back returns to it; versions increase', async (t) => {
  const s1 = switchRoute(table, 'production/web', '127.0.0.1:9001');
  t.equal(s1.version, 4);
  t.match(s1.routes[0], { upstream: '127.0.0.1:9001', previous: '127.0.0.1:8001' });
  t.equal(table.routes[0].upstream, '127.0.0.1:8001', 'input not mutated');
  const back = switchBack(s1, 'production/web');
  t.equal(back.version, 5);
  t.equal(back.routes[0].upstream, '127.0.0.1:8001');
  t.notOk('previous' in back.routes[0]);
  t.throws(() => switchBack(back, 'production/web'), RouteTableError, 'nothing to switch back to');
  t.notOk('previous' in forgetPrevious(s1, 'production/web').routes[0]);
  t.throws(() => switchRoute(table, 'nope', '127.0.0.1:1'), { code: 'E_EDGE_ROUTES' });
});

t.test('normaliseHost', async (t) => {
  t.equal(normaliseHost('[::1]:8080'), '[::1]');
  t.equal(normaliseHost('A.B:1'), 'a.b');
});

t.test('a path prefix must be in the normal form requests are routed by (it could never match otherwise)', async (t) => {
  for (const prefix of ['/a//b', '/a/../b', '/%61pi', '/a/./b', '/a%2Fb']) {
    const problems = routeTableProblems('routes.json', { version: 1, routes: [{ id: 'x', hosts: ['a.org'], pathPrefix: prefix, upstream: '127.0.0.1:1' }] });
    t.match(problems, [{ path: 'routes[0].pathPrefix', reason: /normal form/ }], prefix);
  }
  t.same(routeTableProblems('routes.json', { version: 1, routes: [{ id: 'x', hosts: ['a.org'], pathPrefix: '/api/v2/', upstream: '127.0.0.1:1' }] }), []);
});
