import t from 'tap';
import { mergeModels } from '../../../../shared/compose/merge.js';
import { Override, RESET, stripMarkers } from '../../../../shared/compose/tags.js';

const svc = (s: Record<string, unknown>) => ({ services: { a: s } });
const merged = (b: Record<string, unknown>, o: Record<string, unknown>) => (stripMarkers(mergeModels(svc(b), svc(o))) as { services: { a: Record<string, unknown> } }).services.a;

t.test('mappings merge, scalars replace', async (t) => {
  t.strictSame(merged({ image: 'x', deploy: { replicas: 1, labels: { a: '1' } } }, { image: 'y', deploy: { labels: ['b=2'] } }),
    { image: 'y', deploy: { replicas: 1, labels: { a: '1', b: '2' } } });
});

t.test('command, entrypoint and healthcheck.test replace; other sequences append', async (t) => {
  t.strictSame(merged({ command: ['a', 'b'], entrypoint: ['e'], healthcheck: { test: ['CMD', 'x'], retries: 2 }, dns_search: ['a'] },
    { command: ['c'], entrypoint: 'f', healthcheck: { test: 'y' }, dns_search: ['b'] }),
  { command: ['c'], entrypoint: 'f', healthcheck: { test: 'y', retries: 2 }, dns_search: ['a', 'b'] });
});

t.test('unique keys: later entry replaces the earlier in place', async (t) => {
  t.strictSame(merged({ volumes: ['a:/data', './x:/x'], ports: ['80:80', '81:81'] }, { volumes: [{ type: 'bind', source: './y', target: '/data' }], ports: ['81:81'] }).volumes,
    [{ type: 'bind', source: './y', target: '/data' }, './x:/x']);
  t.strictSame(merged({ secrets: ['s', { source: 't', target: '/etc/t' }] }, { secrets: [{ source: 's', mode: 0o400 }, { source: 'u', target: '/etc/t' }] }).secrets,
    [{ source: 's', mode: 0o400 }, { source: 'u', target: '/etc/t' }]);
  t.strictSame(merged({ devices: ['/dev/a:/dev/x'] }, { devices: ['/dev/b:/dev/x'] }).devices, ['/dev/b:/dev/x']);
  t.strictSame(merged({ env_file: 'a.env' }, { env_file: ['a.env', 'b.env'] }).env_file, ['a.env', 'b.env']);
});

t.test('!reset and !override', async (t) => {
  t.strictSame(merged({ ports: ['1:1'], image: 'x', environment: { A: '1', B: '2' } }, { ports: RESET, environment: { B: RESET } }), { image: 'x', environment: { A: '1' } });
  t.strictSame(merged({ ports: ['1:1'], labels: { a: '1' } }, { ports: new Override(['2:2']), labels: new Override({ b: '2' }) }), { ports: ['2:2'], labels: { b: '2' } });
});

t.test('depends_on and networks: list and map forms merge', async (t) => {
  t.strictSame(merged({ depends_on: ['db'], networks: ['front'] }, { depends_on: { cache: { condition: 'service_healthy' } }, networks: { back: { aliases: ['x'] } } }), {
    depends_on: { db: { condition: 'service_started', required: true }, cache: { condition: 'service_healthy' } },
    networks: { front: null, back: { aliases: ['x'] } },
  });
});

t.test('inputs are not changed', async (t) => {
  const base = svc({ environment: ['A=1'], ports: ['1:1'] });
  const snapshot = JSON.stringify(base);
  mergeModels(base, svc({ environment: { B: '2' }, ports: ['2:2'] }));
  t.equal(JSON.stringify(base), snapshot);
});
