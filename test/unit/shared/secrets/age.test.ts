import t from 'tap';
import { decryptAge, encryptAge, generateAgeKeyPair, parseIdentityFile } from '../../../../shared/secrets/age.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

t.test('round trip, binary and armored, several recipients', async (t) => {
  const a = await generateAgeKeyPair();
  const b = await generateAgeKeyPair();
  t.match(a.recipient, /^age1[02-9ac-hj-np-z]{58}$/);
  const binary = await encryptAge(enc('hello'), [a.recipient, b.recipient]);
  t.equal(dec(await decryptAge('x.age', binary, [b.identity])), 'hello');
  const armored = await encryptAge(enc('hello'), [a.recipient], { armored: true });
  t.match(dec(armored), /^-----BEGIN AGE ENCRYPTED FILE-----/);
  t.equal(dec(await decryptAge('x.age', armored, [a.identity])), 'hello');
});

t.test('failures name the file and never the content', async (t) => {
  const a = await generateAgeKeyPair();
  const b = await generateAgeKeyPair();
  const data = await encryptAge(enc('top-secret'), [a.recipient]);
  await t.rejects(decryptAge('s.age', data, [b.identity]), { code: 'E_SECRET_DECRYPT', message: /cannot decrypt s\.age: not encrypted to this host/ });
  await t.rejects(decryptAge('s.age', enc('plain text, not age'), [a.identity]), { code: 'E_SECRET_DECRYPT', message: /^cannot decrypt s\.age/ });
  await t.rejects(encryptAge(enc('x'), ['age1notarecipient']), { code: 'E_AGE_RECIPIENT' });
});

t.test('identity files: comments and blank lines', async (t) => {
  const a = await generateAgeKeyPair();
  const text = `# created: 2026-01-01\n# public key: ${a.recipient}\n\n${a.identity}\n`;
  t.strictSame(parseIdentityFile('age.key', text), [a.identity]);
  t.throws(() => parseIdentityFile('age.key', '# nothing\n'), { code: 'E_AGE_IDENTITY' });
  t.throws(() => parseIdentityFile('age.key', `${a.identity}\nAGE-SECRET-KEY-1BROKEN\n`), { code: 'E_AGE_IDENTITY', message: /age\.key:2: expected an AGE-SECRET-KEY/ });
  try { parseIdentityFile('age.key', `garbage ${a.identity.slice(0, 30)}\n`); } catch (e) { t.notOk(String(e).includes(a.identity.slice(0, 30)), 'bad line is not echoed'); }
});
