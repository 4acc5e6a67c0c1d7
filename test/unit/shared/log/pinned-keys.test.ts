import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { keyId } from '../../../../shared/log/keys.js';
import { parsePinnedKeys } from '../../../../shared/log/pinned-keys.js';

const k1 = keyId(generateKeyPairSync('ed25519').publicKey);
const k2 = keyId(generateKeyPairSync('ed25519').publicKey);

t.test('reads agents.<host>.signing_key from autoinfra.yml', async (t) => {
  const m = parsePinnedKeys('infra/autoinfra.yml', `trusted_signers: []\nagents:\n  web-1:\n    signing_key: '${k1}'\n  web-2: {signing_key: "${k2}", age: x}\n`);
  t.same([...m], [['web-1', [{ key: k1 }]], ['web-2', [{ key: k2 }]]]);
});

t.test('reads plain "host key" lines with comments', async (t) => {
  const m = parsePinnedKeys('keys.txt', `# pinned\nweb-1 ${k1}\n\nweb-1 ${k2}\n`);
  t.same(m.get('web-1'), [{ key: k1 }, { key: k2 }], 'a host may have more than one key (rotation)');
});

t.test('bad key ids are reported with where they are', async (t) => {
  t.throws(() => parsePinnedKeys('a.yml', `agents:\n  web-1:\n    signing_key: nope\n`), { code: 'E_LOG_PINNED_KEYS', message: /agents\.web-1\.signing_key/ });
  t.throws(() => parsePinnedKeys('a.yml', `other: 1\n`), { code: 'E_LOG_PINNED_KEYS', message: /agents/ });
  t.throws(() => parsePinnedKeys('k.txt', `web-1 ed25519:AAAA\n`), { code: 'E_LOG_PINNED_KEYS', message: /k\.txt:1/ });
});
