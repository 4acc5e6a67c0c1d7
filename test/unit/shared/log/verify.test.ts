import t from 'tap';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { appendEntry } from '../../../../shared/log/chain.js';
import type { LogEntryInput } from '../../../../shared/log/entry.js';
import { keyId } from '../../../../shared/log/keys.js';
import { splitLines, verifyHostFile, verifyLog } from '../../../../shared/log/verify.js';

const good = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const GOOD = keyId(good.publicKey);
const FILE = 'hosts/web-1.jsonl';

function build(n: number, key: KeyObject = good.privateKey, host = 'web-1', keyFor?: (seq: number) => KeyObject): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = keyFor?.(i + 1) ?? key;
    const input: LogEntryInput = { env: 'production', commit: `c${i}`, action: 'health', result: 'ok', detail: { i } };
    lines.push(appendEntry({ seq: i, line: lines[i - 1] }, input, { host, key: k, keyId: keyId(k), time: `2026-11-25T10:00:${String(i).padStart(2, '0')}.000Z` }).line);
  }
  return lines;
}
const text = (lines: string[]): string => lines.map((l) => l + '\n').join('');
const check = (lines: string[] | string, mode: 'all' | 'anchored' = 'all') =>
  verifyHostFile(FILE, typeof lines === 'string' ? lines : text(lines), { pinned: [GOOD], signatures: mode });

for (const mode of ['all', 'anchored'] as const) {
  t.test(`signatures: ${mode}`, async (t) => {
    const lines = build(6);
    const ok = check(lines, mode);
    t.ok(ok.ok);
    t.same({ lines: ok.lines, lastSeq: ok.lastSeq, keys: ok.keys, host: ok.host }, { lines: 6, lastSeq: 6, keys: [GOOD], host: 'web-1' });

    const tampered = [...lines];
    tampered[2] = tampered[2].replace('"c2"', '"c9"');
    t.same(check(tampered, mode).problem, { file: FILE, line: 3, reason: 'signature does not verify: the line was changed' + (mode === 'all' ? ' or signed by another key' : '') }, 'changed line is named');

    const last = [...lines];
    last[5] = last[5].replace('"c5"', '"c9"');
    t.equal(check(last, mode).problem?.line, 6, 'changed last line is named');

    const reordered = [lines[0], lines[2], lines[1], ...lines.slice(3)];
    t.match(check(reordered, mode).problem, { line: 2, reason: /seq 3 where 2 was expected/ });

    const dropped = [...lines.slice(0, 3), ...lines.slice(4)];
    t.match(check(dropped, mode).problem, { line: 4, reason: /seq 5 where 4 was expected: line\(s\) missing/ });

    const dup = [...lines.slice(0, 3), lines[2], ...lines.slice(3)];
    t.match(check(dup, mode).problem, { line: 4, reason: /repeated/ });
  });
}

t.test('a line signed by an unpinned key is named', async (t) => {
  const lines = build(5, good.privateKey, 'web-1', (seq) => (seq === 4 ? other.privateKey : good.privateKey));
  t.match(check(lines).problem, { line: 4, reason: /not pinned for host "web-1"/ });
  const allOther = build(3, other.privateKey);
  t.match(check(allOther).problem, { line: 1, reason: /not pinned/ });
});

t.test('forged key field (claims the pinned key, signed by another) fails the signature', async (t) => {
  const lines = build(3);
  const forged = build(3, other.privateKey).map((l) => l.replace(keyId(other.publicKey), GOOD));
  const mixed = [lines[0], forged[1], lines[2]];
  t.equal(check(mixed).problem?.line, 2);
});

t.test('structural problems', async (t) => {
  const lines = build(3);
  t.match(check(text(lines).slice(0, -5)).problem, { line: 3, reason: /torn/ });
  t.match(check([lines[0], 'not json', lines[2]]).problem, { line: 2, reason: /not valid JSON/ });
  const spaced = [lines[0], JSON.stringify(JSON.parse(lines[1]), null, 1).replace(/\n/g, ''), lines[2]];
  t.match(check(spaced).problem, { line: 2, reason: /canonical/ });
  t.match(verifyHostFile('hosts/web-2.jsonl', text(lines), { pinned: [GOOD] }).problem, { line: 1, reason: /does not match file/ });
  t.match(verifyHostFile(FILE, text(lines)).problem, { line: undefined, reason: /no pinned key/ });
  t.ok(check('').ok, 'empty file is fine');
  t.same(splitLines('a\nb\n'), { lines: ['a', 'b'], torn: false });
});

t.test('verifyLog reports every host file in order, ignores other files', async (t) => {
  const a = build(2, good.privateKey, 'a');
  const b = build(2, other.privateKey, 'b');
  const reports = verifyLog([{ path: 'hosts/b.jsonl', text: text(b) }, { path: 'README.md', text: '#' }, { path: 'hosts/a.jsonl', text: text(a) }], new Map([['a', [GOOD]], ['b', [GOOD]]]));
  t.same(reports.map((r) => [r.host, r.ok]), [['a', true], ['b', false]]);
});
