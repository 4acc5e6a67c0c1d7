import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { headsFilePath, loadHeads, saveHeads } from '../../../../agent/source/heads-file.js';

t.test('round trip, missing file, corrupt file', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-heads-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = headsFilePath(dir);
  t.same(loadHeads(file), { heads: new Map() }, 'no file: no heads, no problem');
  const heads = new Map([['master', 'a'.repeat(40)], ['pull/3', 'b'.repeat(40)]]);
  await saveHeads(file, heads);
  t.same(loadHeads(file).heads, heads);
  t.match(JSON.parse(readFileSync(file, 'utf8')), { version: 1 });
  writeFileSync(file, '{not json');
  const bad = loadHeads(file);
  t.same(bad.heads, new Map());
  t.match(bad.problem, /ignoring unreadable/);
  writeFileSync(file, JSON.stringify({ version: 1, heads: { master: 'zzz', ok: 'c'.repeat(40) } }));
  t.same(loadHeads(file).heads, new Map([['ok', 'c'.repeat(40)]]), 'invalid commit ids dropped');
});
