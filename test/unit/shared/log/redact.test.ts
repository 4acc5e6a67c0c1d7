import t from 'tap';
import { isSecretKeyName, redactDetail } from '../../../../shared/log/redact.js';

t.test('drops secret-named keys at any depth', async (t) => {
  const out = redactDetail({ password: 'a', DB_PASSWORD: 'b', api_token: 'c', Authorization: 'Basic x', nested: { clientSecret: 'd', keep: 1 }, list: [{ privateKey: 'e', name: 'n' }], image: 'web:1' });
  t.same(out, { nested: { keep: 1 }, list: [{ name: 'n' }], image: 'web:1' });
  t.ok(isSecretKeyName('passwd'));
  t.notOk(isSecretKeyName('image'));
});

t.test('scrubs marked secret values anywhere, keys included', async (t) => {
  const s = 'sup3r-s3cret';
  const out = redactDetail({ cmd: `curl -u admin:${s} http://x`, [`k-${s}`]: 1, arr: [s, 2], err: new Error(`bad ${s}`) }, [s, 'ab']);
  const text = JSON.stringify(out);
  t.notOk(text.includes(s));
  t.match(text, /\[redacted\]/);
  t.equal((out as { arr: unknown[] }).arr[1], 2);
  t.same(redactDetail({ word: 'about' }, ['ab']), { word: 'about' }, 'very short secrets are not scrubbed (would eat words)');
});

t.test('undefined detail stays undefined; non-JSON values dropped; cycles cut', async (t) => {
  t.equal(redactDetail(undefined), undefined);
  const o: Record<string, unknown> = { f: () => 1, n: NaN, d: new Date(0) };
  o.self = o;
  t.same(redactDetail(o), { n: 'NaN', d: '1970-01-01T00:00:00.000Z', self: '[circular]' });
});
