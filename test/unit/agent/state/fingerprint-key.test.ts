// The host's secret fingerprint key: random, made once, kept (service hashes must not change on restart).
import t from 'tap';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FingerprintKeyError, loadFingerprintKey } from '../../../../agent/state/fingerprint-key.js';

t.test('created 0600 on first use, the same key afterwards, a different one on another host', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-fpk-'));
  const [a, b] = await Promise.all([loadFingerprintKey(dir), loadFingerprintKey(dir)]);
  t.equal(a.length, 32);
  t.same(Buffer.from(a), Buffer.from(b), 'two processes at once agree');
  t.same(Buffer.from(await loadFingerprintKey(dir)), Buffer.from(a));
  t.equal(statSync(path.join(dir, 'fingerprint.key')).mode & 0o777, 0o600);
  t.notSame(Buffer.from(await loadFingerprintKey(mkdtempSync(path.join(tmpdir(), 'ai-fpk-')))), Buffer.from(a));
});

t.test('a short key file is refused, not used', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-fpk-'));
  writeFileSync(path.join(dir, 'fingerprint.key'), 'x');
  await t.rejects(loadFingerprintKey(dir), FingerprintKeyError);
});
