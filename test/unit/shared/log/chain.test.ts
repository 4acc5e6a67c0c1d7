import t from 'tap';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { appendEntry, lineHash } from '../../../../shared/log/chain.js';
import { canonicalJson, entryShapeProblem, GENESIS_PREV, signedText } from '../../../../shared/log/entry.js';
import { keyId } from '../../../../shared/log/keys.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const o = { host: 'web-1', keyId: keyId(publicKey), key: privateKey, time: '2026-11-25T10:00:00.000Z' };

t.test('first entry: seq 1, genesis prev, canonical line, valid signature over the other fields', async (t) => {
  const { entry, line } = appendEntry({ seq: 0 }, { env: 'production', commit: 'abc', action: 'start', result: 'ok', detail: { colour: 'blue', b: [2, 1] } }, o);
  t.equal(entry.seq, 1);
  t.equal(entry.prev, GENESIS_PREV);
  t.equal(line, canonicalJson(entry));
  t.equal(line.indexOf('{"action":"start","commit":"abc","detail":{"b":[2,1],"colour":"blue"},"env":"production","host":"web-1","key":"ed25519:'), 0, 'keys sorted (RFC 8785)');
  t.equal(entryShapeProblem(JSON.parse(line)), undefined);
  const { sig, ...rest } = entry;
  t.equal(signedText(entry), canonicalJson(rest));
  t.ok(verify(null, Buffer.from(canonicalJson(rest)), publicKey, Buffer.from(sig, 'base64')));
});

t.test('next entry chains on the exact bytes of the previous line', async (t) => {
  const a = appendEntry({ seq: 0 }, { env: 'e', action: 'pull', result: 'ok' }, o);
  const b = appendEntry({ seq: 1, line: a.line }, { env: 'e', action: 'build', result: 'failed', detail: { token: 'x', reason: 'r' } }, o);
  t.equal(b.entry.seq, 2);
  t.equal(b.entry.prev, createHash('sha256').update(a.line).digest('hex'));
  t.equal(b.entry.prev, lineHash(a.line));
  t.same(b.entry.detail, { reason: 'r' }, 'detail is redacted before signing');
  t.notOk('commit' in a.entry, 'absent commit is left out');
});

t.test('shape problems are named', async (t) => {
  const { entry } = appendEntry({ seq: 0 }, { env: 'e', action: 'pull', result: 'ok' }, o);
  t.match(entryShapeProblem({ ...entry, v: 2 }), /version/);
  t.match(entryShapeProblem({ ...entry, action: 'dance' }), /unknown action/);
  t.match(entryShapeProblem({ ...entry, extra: 1 }), /unknown field "extra"/);
  t.match(entryShapeProblem({ ...entry, seq: 0 }), /seq/);
  t.match(entryShapeProblem({ ...entry, host: '../x' }), /host/);
  t.match(entryShapeProblem([]), /object/);
});
