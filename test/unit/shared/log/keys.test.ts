import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { isKeyId, keyId, loadSigningKey, LogKeyError, publicKeyFromId } from '../../../../shared/log/keys.js';

t.test('key id is ed25519:<base64 raw 32 bytes> and round-trips', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const id = keyId(publicKey);
  t.match(id, /^ed25519:[A-Za-z0-9+/]{43}=$/);
  t.equal(keyId(privateKey), id, 'private key gives its public key id');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  t.equal(id, 'ed25519:' + raw.toString('base64'));
  t.equal(keyId(publicKeyFromId(id)), id);
  t.ok(isKeyId(id));
});

t.test('loadSigningKey takes PKCS8 PEM and rejects others', async (t) => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  t.equal(keyId(loadSigningKey(pem)), keyId(privateKey));
  t.throws(() => loadSigningKey('not a key'), { code: LogKeyError.code });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  t.throws(() => loadSigningKey(rsa), { code: 'E_LOG_KEY' });
  t.throws(() => keyId(rsa), { code: 'E_LOG_KEY' });
});

t.test('malformed key ids are refused', async (t) => {
  for (const bad of ['', 'ed25519:', 'ed25519:AAAA', 'rsa:AAAA', 'ed25519:' + Buffer.alloc(33).toString('base64')]) {
    t.throws(() => publicKeyFromId(bad), { code: 'E_LOG_KEY' }, bad);
    t.notOk(isKeyId(bad));
  }
});
