// Request targets as the edge routes them (agent/edge/request-target.ts): one table of cases per rule.
import t from 'tap';
import { parseRequestTarget } from '../../../../agent/edge/request-target.js';

/** [target as sent, path the edge routes and forwards (or the refusal)] */
const paths: [string, string][] = [
  ['/', '/'],
  ['/api', '/api'],
  ['/api/', '/api/'],
  ['/api/x?y=1', '/api/x'],
  ['/.well-known/acme-challenge/t', '/.well-known/acme-challenge/t'],
  // unreserved escapes are decoded (RFC 3986 §6.2.2.2), so they cannot dodge a prefix
  ['/%61pi', '/api'],
  ['/%41%50%49', '/API'],
  ['/a%2Db%5Fc%7Ed%2E', '/a-b_c~d.'],
  // other escapes stay, with upper-case hex (§6.2.2.1)
  ['/a%20b', '/a%20b'],
  ['/a%3fb', '/a%3Fb'],
  ['/caf%c3%a9', '/caf%C3%A9'],
  // dot segments are resolved (§5.2.4), also when written as escapes
  ['/api/../admin', '/admin'],
  ['/api/./x', '/api/x'],
  ['/api/x/..', '/api/'],
  ['/api/.', '/api/'],
  ['/api/%2e%2e/admin', '/admin'],
  ['/api/.%2E/admin', '/admin'],
  ['/a/b/../../c', '/c'],
  ['/..a/b.', '/..a/b.'],
  ['/...', '/...'],
  // empty segments are merged, as nginx's merge_slashes does
  ['//api', '/api'],
  ['/api//x///y', '/api/x/y'],
  ['//', '/'],
  ['/api//', '/api/'],
];

t.test('paths: decoded, dot segments resolved, slashes merged', async (t) => {
  for (const [target, want] of paths) {
    const r = parseRequestTarget('GET', target, 'web.test');
    t.match(r, { ok: true, form: 'origin', path: want, host: 'web.test' }, `${target} → ${want}`);
  }
});

t.test('the query is kept as sent and forwarded after the normalised path', async (t) => {
  t.match(parseRequestTarget('GET', '/%61pi/../x?a=%2F&b=..', 'h'), { ok: true, path: '/x', query: '?a=%2F&b=..', target: '/x?a=%2F&b=..' });
  t.match(parseRequestTarget('GET', '/x?', 'h'), { ok: true, path: '/x', target: '/x?' });
});

/** [target, refusal] */
const refused: [string, string][] = [
  ['/%00', 'nul'],
  ['/a%00b', 'nul'],
  ['/a\\b', 'backslash'],
  ['/a%5Cb', 'encoded-slash'],
  ['/a%5cb', 'encoded-slash'],
  ['/api%2F..%2Fadmin', 'encoded-slash'],
  ['/api/..%2fadmin', 'encoded-slash'],
  ['/..', 'above-root'],
  ['/../etc/passwd', 'above-root'],
  ['/a/../../b', 'above-root'],
  ['/%2e%2e/x', 'above-root'],
  ['/%zz', 'bad-percent'],
  ['/%4', 'bad-percent'],
  ['/a%', 'bad-percent'],
  ['/a#frag', 'fragment'],
  ['/a b', 'control'],
  ['/a\tb', 'control'],
  ['/a\x7fb', 'control'],
  ['api', 'not-a-path'],
  ['', 'not-a-path'],
  ['web.test:443', 'not-a-path'],
  ['ftp://web.test/x', 'not-a-path'],
];

t.test('refused targets (answered 400)', async (t) => {
  for (const [target, refusal] of refused) t.match(parseRequestTarget('GET', target, 'web.test'), { ok: false, refusal }, JSON.stringify(target));
});

t.test('asterisk-form: only with OPTIONS', async (t) => {
  t.same(parseRequestTarget('OPTIONS', '*', 'web.test'), { ok: true, form: 'asterisk' });
  t.match(parseRequestTarget('GET', '*', 'web.test'), { ok: false, refusal: 'not-a-path' });
});

t.test('absolute-form: routed by its authority; refused when Host disagrees', async (t) => {
  t.match(parseRequestTarget('GET', 'http://web.test/api/../x?q', 'web.test'), { ok: true, form: 'absolute', host: 'web.test', path: '/x', target: '/x?q' });
  t.match(parseRequestTarget('GET', 'HTTP://WEB.test', 'web.test'), { ok: true, form: 'absolute', host: 'web.test', path: '/', target: '/' });
  t.match(parseRequestTarget('GET', 'http://web.test?q=1', undefined), { ok: true, host: 'web.test', path: '/', target: '/?q=1' }, 'no Host (HTTP/1.0): the authority routes');
  t.match(parseRequestTarget('GET', 'http://web.test:80/', 'web.test'), { ok: true, host: 'web.test:80' }, 'the default port is the same authority');
  t.match(parseRequestTarget('GET', 'https://web.test/', 'WEB.TEST:443'), { ok: true });
  t.match(parseRequestTarget('GET', 'http://web.test./', 'web.test'), { ok: true }, 'a trailing dot is the same host');
  t.match(parseRequestTarget('GET', 'http://[::1]:8080/x', '[::1]:8080'), { ok: true, host: '[::1]:8080', path: '/x' });
  t.match(parseRequestTarget('GET', 'http://web.test/', 'evil.test'), { ok: false, refusal: 'host-mismatch' });
  t.match(parseRequestTarget('GET', 'http://web.test:8080/', 'web.test'), { ok: false, refusal: 'host-mismatch' }, 'another port is another authority');
  t.match(parseRequestTarget('GET', 'http://evil.test@web.test/', 'web.test'), { ok: false, refusal: 'bad-authority' }, 'userinfo is refused');
  t.match(parseRequestTarget('GET', 'http:///x', 'web.test'), { ok: false, refusal: 'bad-authority' });
  t.match(parseRequestTarget('GET', 'http://web_test/', 'web.test'), { ok: false, refusal: 'bad-authority' });
  t.match(parseRequestTarget('GET', 'http://web.test:99999/', 'web.test'), { ok: false, refusal: 'bad-authority' });
  t.match(parseRequestTarget('GET', 'http://web.test/../x', 'web.test'), { ok: false, refusal: 'above-root' }, 'its path is normalised the same way');
});
