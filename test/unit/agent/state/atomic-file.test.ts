import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../../../agent/state/atomic-file.js';

t.test('replaces the file, leaves no temp file, applies the mode', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-atomic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'state.json');
  writeFileSync(file, 'old');
  await writeFileAtomic(file, '{"new":true}');
  t.equal(readFileSync(file, 'utf8'), '{"new":true}');
  await writeFileAtomic(file, new Uint8Array([0, 1, 2, 255]), 0o640);
  t.same([...readFileSync(file)], [0, 1, 2, 255], 'binary data written exactly');
  t.equal(statSync(file).mode & 0o777, 0o640);
  t.same(readdirSync(dir), ['state.json'], 'no temp files left behind');
});

t.test('a failed write leaves the old file and no temp file', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-atomic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.rejects(writeFileAtomic(path.join(dir, 'missing-dir', 'x.json'), 'x'), { code: 'ENOENT' });
  t.same(readdirSync(dir), []);
});
