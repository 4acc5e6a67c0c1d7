import t from 'tap';
import { generateAgeKeyPair } from '../../../../shared/secrets/age.js';
import { decryptSops, sopsFormatOf, sopsTreeToEnv } from '../../../../shared/secrets/sops.js';
import { writeSops } from './sops-writer.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const kp = await generateAgeKeyPair();
const TREE = { db: { user: 'app', password: 'pa$$word', port: 5432, ratio: 0.25, tls: true, hosts: ['a', 'b'] }, note_unencrypted: 'visible', empty: '' };

t.test('formats by file name', async (t) => {
  t.equal(sopsFormatOf('x.sops.yaml'), 'yaml');
  t.equal(sopsFormatOf('x.sops.yml'), 'yaml');
  t.equal(sopsFormatOf('x.sops.json'), 'json');
  t.equal(sopsFormatOf('x.sops.env'), 'dotenv');
  t.equal(sopsFormatOf('x.yaml'), undefined);
});

for (const format of ['yaml', 'json'] as const) {
  t.test(`${format}: decrypts with types, verifies the MAC`, async (t) => {
    const text = await writeSops(TREE, format, [kp.recipient]);
    t.notOk(text.includes('pa$$word'));
    t.ok(text.includes('visible'), 'unencrypted suffix stays plain');
    const r = await decryptSops(`s.sops.${format}`, enc(text), [kp.identity]);
    t.strictSame(r.tree, TREE);
  });
}

t.test('dotenv', async (t) => {
  const text = await writeSops({ TOKEN: 'abc$def', URL: 'postgres://x' }, 'dotenv', [kp.recipient]);
  const r = await decryptSops('app.sops.env', enc(text), [kp.identity]);
  t.strictSame(Object.fromEntries(sopsTreeToEnv(r.tree)), { TOKEN: 'abc$def', URL: 'postgres://x' });
});

t.test('tampering is refused with a clear error and no plaintext', async (t) => {
  const text = await writeSops(TREE, 'yaml', [kp.recipient]);
  const plainChanged = text.replace('visible', 'changed');
  await t.rejects(decryptSops('s.sops.yaml', enc(plainChanged), [kp.identity]), { code: 'E_SOPS', message: /s\.sops\.yaml: MAC mismatch/ });
  const lines = text.split('\n');
  const userLine = lines.findIndex((l) => l.includes('user: ENC['));
  const passLine = lines.findIndex((l) => l.includes('password: ENC['));
  const swapped = [...lines];
  swapped[userLine] = lines[userLine].replace(/ENC\[.*\]/, /ENC\[.*\]/.exec(lines[passLine])?.[0] ?? '');
  const err = await decryptSops('s.sops.yaml', enc(swapped.join('\n')), [kp.identity]).catch((e: unknown) => e as Error);
  t.match(String(err), /db\.user does not decrypt/, 'a value moved to another key fails its authentication');
  t.notOk(String(err).includes('pa$$word'));
  const macTampered = text.replace(/mac: ENC\[AES256_GCM,data:./, 'mac: ENC[AES256_GCM,data:A');
  await t.rejects(decryptSops('s.sops.yaml', enc(macTampered), [kp.identity]), { code: 'E_SOPS' });
});

t.test('wrong host, or not a sops file', async (t) => {
  const other = await generateAgeKeyPair();
  const text = await writeSops(TREE, 'yaml', [kp.recipient]);
  await t.rejects(decryptSops('s.sops.yaml', enc(text), [other.identity]), { message: /not encrypted to this host's age recipient/ });
  await t.rejects(decryptSops('s.sops.yaml', enc('a: 1\n'), [kp.identity]), { code: 'E_SOPS', message: /no sops metadata/ });
});
