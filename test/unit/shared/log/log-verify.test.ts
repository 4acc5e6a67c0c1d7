// The checks one host file alone cannot make: pinned hosts with no entries, other hosts'
// witnesses, a checkpoint of an earlier verification, key validity windows, canonical signatures.
import t from 'tap';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { appendEntry, lineHash } from '../../../../shared/log/chain.js';
import { advanceCheckpoint, parseCheckpoint, renderCheckpoint } from '../../../../shared/log/checkpoint.js';
import type { Witness } from '../../../../shared/log/entry.js';
import { keyId } from '../../../../shared/log/keys.js';
import { parsePinnedKeys, type PinnedKey } from '../../../../shared/log/pinned-keys.js';
import { checkSignature, verifyHostFile, verifyLog, type LogFile } from '../../../../shared/log/verify.js';

const ka = generateKeyPairSync('ed25519');
const kb = generateKeyPairSync('ed25519');
const kOld = generateKeyPairSync('ed25519');
const A = keyId(ka.publicKey);
const B = keyId(kb.publicKey);
const OLD = keyId(kOld.publicKey);

function build(host: string, n: number, key: KeyObject, o: { witness?: (seq: number) => Witness | undefined; keyFor?: (seq: number) => KeyObject; tag?: string } = {}): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = o.keyFor?.(i + 1) ?? key;
    lines.push(appendEntry({ seq: i, line: lines[i - 1] }, { env: 'production', action: 'health', result: 'ok', detail: { i, tag: o.tag ?? '' } }, {
      host, key: k, keyId: keyId(k), time: `2026-11-25T10:${String(i).padStart(2, '0')}:00.000Z`, witness: o.witness?.(i + 1),
    }).line);
  }
  return lines;
}
const text = (lines: string[]): string => lines.map((l) => l + '\n').join('');
const files = (m: Record<string, string[] | string>): LogFile[] => Object.entries(m).map(([h, l]) => ({ path: `hosts/${h}.jsonl`, text: typeof l === 'string' ? l : text(l) }));
const pins = new Map([['a', [A]], ['b', [B]]]);
const byHost = (r: ReturnType<typeof verifyLog>): Record<string, { ok: boolean; line?: number; reason?: string; note?: string }> =>
  Object.fromEntries(r.map((x) => [x.host, { ok: x.ok, line: x.problem?.line, reason: x.problem?.reason, note: x.note }]));

t.test('a pinned host with no file or an empty file is missing, unless allowed', async (t) => {
  const a = build('a', 2, ka.privateKey);
  let r = byHost(verifyLog(files({ a }), pins));
  t.equal(r.a.ok, true);
  t.match(r.b, { ok: false, reason: /host "b" is pinned but has no log file: deleted, emptied, or never published \(--allow-missing b/ });
  r = byHost(verifyLog(files({ a, b: '' }), pins));
  t.match(r.b, { ok: false, reason: /pinned but has an empty log file/ });
  r = byHost(verifyLog(files({ a }), pins, { allowMissing: ['b'] }));
  t.match(r.b, { ok: true, note: /no entries yet/ });
  const future = new Map<string, (string | PinnedKey)[]>([['a', [A]], ['b', [{ key: B, since: { time: '2027-01-01T00:00:00Z' } }]]]);
  t.equal(byHost(verifyLog(files({ a }), future, { now: Date.parse('2026-12-01T00:00:00Z') })).b.ok, true, 'keys valid only from a future time: not started yet');
  t.equal(byHost(verifyLog(files({ a }), future, { now: Date.parse('2027-02-01T00:00:00Z') })).b.ok, false, 'once that time passed, missing again');
});

t.test("witnesses: one host's truncation, emptying, deletion or rewrite shows in another's chain", async (t) => {
  const b = build('b', 4, kb.privateKey);
  // a's 3rd entry witnessed b at seq 3.
  const a = build('a', 5, ka.privateKey, { witness: (seq) => (seq === 3 ? { b: { seq: 3, hash: lineHash(b[2]) } } : undefined) });
  t.same(byHost(verifyLog(files({ a, b }), pins)).b, { ok: true, line: undefined, reason: undefined, note: undefined });
  t.same(byHost(verifyLog(files({ a, b: b.slice(0, 3) }), pins)).b.ok, true, 'cut above the witness: not visible');
  t.match(byHost(verifyLog(files({ a, b: b.slice(0, 2) }), pins)).b, { ok: false, line: 2, reason: /ends at seq 2 but host a \(hosts\/a\.jsonl:3\) saw seq 3: lines were removed from the end/ });
  t.match(byHost(verifyLog(files({ a, b: '' }), pins, { allowMissing: ['b'] })).b, { ok: false, reason: /file is empty but host a .* saw seq 3: the file was emptied/ });
  t.match(byHost(verifyLog(files({ a }), pins, { allowMissing: ['b'] })).b, { ok: false, reason: /file is missing but host a .* saw seq 3: the file was deleted/ });
  t.match(byHost(verifyLog(files({ a }), new Map([['a', [A]]]))).b, { ok: false, reason: /deleted/ }, 'even when b is not pinned');
  // b's whole history re-signed by b's own key (a stolen key): chain valid, but not what a saw.
  const forged = build('b', 4, kb.privateKey, { tag: 'forged' });
  t.ok(verifyHostFile('hosts/b.jsonl', text(forged), { pinned: [B] }).ok, 'the forged file alone verifies');
  t.match(byHost(verifyLog(files({ a, b: forged }), pins)).b, { ok: false, line: 3, reason: /line seq 3 is not the line host a .* saw .*: the history was rewritten/ });
  // Witnesses in a file that fails are not trusted.
  const aBad = [...a];
  aBad[4] = aBad[4].replace('"i":4', '"i":9');
  t.equal(byHost(verifyLog(files({ a: aBad, b: b.slice(0, 2) }), pins)).b.ok, true);
});

t.test('a checkpoint: the log may not go back below what was verified before', async (t) => {
  const a = build('a', 4, ka.privateKey);
  const b = build('b', 3, kb.privateKey);
  const reports = verifyLog(files({ a, b }), pins);
  t.ok(reports.every((r) => r.ok));
  const cp = advanceCheckpoint(undefined, reports);
  t.same([...cp], [['a', { seq: 4, hash: lineHash(a[3]) }], ['b', { seq: 3, hash: lineHash(b[2]) }]]);
  const round = parseCheckpoint('cp.json', renderCheckpoint(cp));
  t.same([...round], [...cp], 'renders and parses back');
  const checkpoint = { file: 'cp.json', marks: round };
  t.ok(verifyLog(files({ a: build('a', 6, ka.privateKey), b }), pins, { checkpoint }).every((r) => r.ok), 'grown: fine');
  t.match(byHost(verifyLog(files({ a: a.slice(0, 3), b }), pins, { checkpoint })).a, { ok: false, line: 3, reason: /ends at seq 3 but the checkpoint cp\.json saw seq 4/ });
  t.match(byHost(verifyLog(files({ a: build('a', 5, ka.privateKey, { tag: 'x' }), b }), pins, { checkpoint })).a, { ok: false, line: 4, reason: /line seq 4 is not the line the checkpoint cp\.json saw/ });
  t.match(byHost(verifyLog(files({ a }), pins, { checkpoint, allowMissing: ['b'] })).b, { ok: false, reason: /file is missing but the checkpoint/ });
  t.same([...advanceCheckpoint(cp, [{ host: 'a', lastSeq: 2, lastHash: 'f'.repeat(64) }])].find(([h]) => h === 'a')?.[1].seq, 4, 'never advances backwards');
  t.throws(() => parseCheckpoint('cp.json', '{"version":1,"hosts":{"a":{"seq":0,"hash":"x"}}}'), { code: 'E_LOG_CHECKPOINT', message: /cp\.json: hosts\.a/ });
  t.throws(() => parseCheckpoint('cp.json', 'nope'), { code: 'E_LOG_CHECKPOINT' });
});

t.test('key windows: rotation verifies, a retired key cannot re-sign history', async (t) => {
  const rotated = build('a', 6, ka.privateKey, { keyFor: (seq) => (seq <= 3 ? kOld.privateKey : ka.privateKey) });
  const window: PinnedKey[] = [{ key: OLD, until: { seq: 3 } }, { key: A, since: { seq: 4 } }];
  t.ok(verifyHostFile('hosts/a.jsonl', text(rotated), { pinned: window }).ok, 'old key until 3, new since 4');
  const resigned = build('a', 6, kOld.privateKey);
  t.ok(verifyHostFile('hosts/a.jsonl', text(resigned), { pinned: [OLD, A] }).ok, 'without windows an old key re-signs everything');
  t.match(verifyHostFile('hosts/a.jsonl', text(resigned), { pinned: window }).problem, { line: 4, reason: /signed by ed25519:\S+, which was retired after seq 3/ });
  const early = build('a', 2, ka.privateKey);
  t.match(verifyHostFile('hosts/a.jsonl', text(early), { pinned: window }).problem, { line: 1, reason: /pinned only since seq 4/ });
  const byTime: PinnedKey[] = [{ key: OLD, until: { time: '2026-11-25T10:01:30Z' } }, { key: A, since: { time: '2026-11-25T10:01:30Z' } }];
  const rotatedByTime = build('a', 4, ka.privateKey, { keyFor: (seq) => (seq <= 2 ? kOld.privateKey : ka.privateKey) });
  t.ok(verifyHostFile('hosts/a.jsonl', text(rotatedByTime), { pinned: byTime }).ok, 'time windows');
  t.match(verifyHostFile('hosts/a.jsonl', text(build('a', 4, kOld.privateKey)), { pinned: byTime }).problem, { line: 3, reason: /retired after 2026-11-25T10:01:30Z/ });
});

t.test('pinned keys with windows, in autoinfra.yml and in "host key" lines', async (t) => {
  const yml = `agents:\n  a:\n    signing_keys:\n      - {key: '${OLD}', until: 120}\n      - key: '${A}'\n        since: 121\n  b:\n    signing_key: '${B}'\n    signing_keys: [{key: '${OLD}', since: '2027-01-01T00:00:00Z'}]\n`;
  const m = parsePinnedKeys('infra/autoinfra.yml', yml);
  t.same(m.get('a'), [{ key: OLD, until: { seq: 120 } }, { key: A, since: { seq: 121 } }]);
  t.same(m.get('b'), [{ key: B }, { key: OLD, since: { time: '2027-01-01T00:00:00Z' } }]);
  const plain = parsePinnedKeys('keys.txt', `a ${OLD} until=120\na ${A} since=121\n`);
  t.same(plain.get('a'), [{ key: OLD, until: { seq: 120 } }, { key: A, since: { seq: 121 } }]);
  t.throws(() => parsePinnedKeys('a.yml', `agents:\n  a:\n    signing_keys: [{key: '${A}', since: yesterday}]\n`), { code: 'E_LOG_PINNED_KEYS', message: /agents\.a\.signing_keys\[0\]\.since/ });
  t.throws(() => parsePinnedKeys('a.yml', `agents:\n  a:\n    signing_keys: [{key: '${A}', untill: 3}]\n`), { code: 'E_LOG_PINNED_KEYS', message: /untill/ });
  t.throws(() => parsePinnedKeys('k.txt', `a ${A} since=0\n`), { code: 'E_LOG_PINNED_KEYS', message: /k\.txt:1/ });
});

t.test('non-canonical signature encodings are refused', async (t) => {
  const [line] = build('a', 1, ka.privateKey);
  const e = JSON.parse(line) as { sig: string };
  t.ok(checkSignature(JSON.parse(line)), 'the original verifies');
  // The last base64 character before "==" carries 4 unused bits: flip them, same 64 bytes.
  const sig = e.sig;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const c = alphabet.indexOf(sig[85]);
  const variant = sig.slice(0, 85) + alphabet[(c & ~15) | ((c + 1) & 15)] + '==';
  t.not(variant, sig);
  t.same(Buffer.from(variant, 'base64'), Buffer.from(sig, 'base64'), 'decodes to the same bytes');
  const malleated = line.replace(sig, variant);
  t.match(verifyHostFile('hosts/a.jsonl', malleated + '\n', { pinned: [A] }).problem, { line: 1, reason: /sig is not the canonical base64 encoding/ });
  for (const bad of [sig.slice(0, 86) + '=', sig.replace(/==$/, ''), Buffer.from(sig, 'base64').toString('base64url'), Buffer.concat([Buffer.from(sig, 'base64'), Buffer.alloc(1)]).toString('base64')]) {
    t.match(verifyHostFile('hosts/a.jsonl', line.replace(sig, bad) + '\n', { pinned: [A] }).problem, { line: 1, reason: /sig is not/ }, `refused: ${bad.slice(-6)}`);
  }
  // s ≥ L (s + L, the classic Ed25519 malleation): node's verify (OpenSSL) must refuse it.
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  const raw = Buffer.from(sig, 'base64');
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(raw[i]);
  const s2 = s + L;
  t.ok(s2 < 1n << 256n, 's + L still fits 32 bytes');
  const out = Buffer.from(raw);
  let v = s2;
  for (let i = 32; i < 64; i++) { out[i] = Number(v & 255n); v >>= 8n; }
  t.notOk(checkSignature({ ...JSON.parse(line), sig: out.toString('base64') }), 's ≥ L is rejected by crypto.verify');
});
