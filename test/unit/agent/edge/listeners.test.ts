import t from 'tap';
import { inheritedFds, listenSpecs, parseListenAddress } from '../../../../agent/edge/listeners.js';
import { EdgeListenError } from '../../../../agent/edge/errors.js';
import { defaultEdgeOptions, edgeOptions } from '../../../../agent/edge/options.js';

t.test('listen addresses', async (t) => {
  t.match(parseListenAddress(':80'), { kind: 'tcp', host: undefined, port: 80 });
  t.match(parseListenAddress('127.0.0.1:8080'), { kind: 'tcp', host: '127.0.0.1', port: 8080 });
  t.match(parseListenAddress('[::1]:443'), { kind: 'tcp', host: '::1', port: 443 });
  t.match(parseListenAddress('/run/edge.sock'), { kind: 'unix', path: '/run/edge.sock' });
  t.throws(() => parseListenAddress('localhost'), EdgeListenError);
  t.throws(() => parseListenAddress(':70000'), { code: 'E_EDGE_LISTEN' });
});

t.test('systemd socket activation: LISTEN_FDS for this pid only; inherited sockets replace addresses', async (t) => {
  t.same(inheritedFds({ LISTEN_FDS: '2', LISTEN_PID: '42' }, 42), [3, 4]);
  t.same(inheritedFds({ LISTEN_FDS: '1', LISTEN_PID: '41' }, 42), [], 'meant for another process');
  t.same(inheritedFds({ LISTEN_FDS: '1' }, 42), [3], 'no LISTEN_PID: accepted');
  t.same(inheritedFds({}, 42), []);
  t.match(listenSpecs([':80'], [3]), [{ kind: 'fd', fd: 3 }]);
  t.throws(() => listenSpecs(['systemd'], []), /no socket was inherited/);
});

t.test('options: frozen defaults, given values win, mirror merged', async (t) => {
  t.ok(Object.isFrozen(defaultEdgeOptions));
  const o = edgeOptions({ controlSocket: '/c', routesFile: '/r', listen: undefined, idleTimeoutMs: 5, mirror: { maxInFlight: 2 } });
  t.same(o.listen, [':80']);
  t.equal(o.idleTimeoutMs, 5);
  t.equal(o.mirror.maxInFlight, 2);
  t.equal(o.mirror.maxBodyBytes, 64 * 1024);
});
