// The durable queue on a real file system: torn tail cut on open, seq continues, concurrent
// appends group-committed in order.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../agent/logger.js';
import { DeployLog } from '../../../agent/log/deploy-log.js';
import { keyId } from '../../../shared/log/keys.js';
import { verifyHostFile } from '../../../shared/log/verify.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const clock = { now: () => Date.parse('2026-11-25T12:00:00Z') };
const open = (dir: string) => DeployLog.open({ dir, host: 'h1', signingKey: privateKey, clock, logger: silentLogger() });

t.test('torn last line is discarded on open and seq continues from the last whole line', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-log-q-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = await open(dir);
  for (let i = 0; i < 3; i++) await a.append({ env: 'e', action: 'pull', result: 'ok', detail: { i } });
  await a.close();
  const file = path.join(dir, 'entries.jsonl');
  appendFileSync(file, '{"action":"pull","commit":"x","det');
  const b = await open(dir);
  t.equal(b.lastSeq(), 3);
  const e = await b.append({ env: 'e', action: 'build', result: 'ok' });
  t.equal(e.seq, 4);
  t.equal(e.time, '2026-11-25T12:00:00.000Z');
  await b.close();
  const r = verifyHostFile('hosts/h1.jsonl', readFileSync(file, 'utf8'), { pinned: [keyId(publicKey)] });
  t.same({ ok: r.ok, lines: r.lines }, { ok: true, lines: 4 });
});

t.test('concurrent appends: in order, one chain, all durable', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-log-q-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = await open(dir);
  const seen: number[] = [];
  log.onAppend((e) => seen.push(e.seq));
  const all = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append({ env: 'e', action: 'health', result: 'info', detail: { i } })));
  t.same(all.map((e) => e.seq), Array.from({ length: 200 }, (_, i) => i + 1));
  t.same(seen, all.map((e) => e.seq), 'listeners hear each entry once, in order');
  t.equal(log.entries().length, 200);
  t.equal(log.linesAfter(198).length, 2);
  await log.close();
  const r = verifyHostFile('hosts/h1.jsonl', readFileSync(path.join(dir, 'entries.jsonl'), 'utf8'), { pinned: [keyId(publicKey)] });
  t.ok(r.ok);
});

t.test('secrets from options and per append are scrubbed before signing', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-log-q-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = await DeployLog.open({ dir, host: 'h1', signingKey: privateKey, clock, logger: silentLogger(), secrets: ['opt-secret-1'] });
  log.addSecret('added-secret-2');
  await log.append({ env: 'e', action: 'preflight', result: 'failed', detail: { msg: 'opt-secret-1 added-secret-2 call-secret-3' } }, { secrets: ['call-secret-3'] });
  await log.close();
  const text = readFileSync(path.join(dir, 'entries.jsonl'), 'utf8');
  t.notMatch(text, /secret-\d/);
  t.match(text, /\[redacted\] \[redacted\] \[redacted\]/);
});

t.test('a host name that is not a safe file name is refused', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-log-q-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.rejects(DeployLog.open({ dir, host: '../etc', signingKey: privateKey, clock, logger: silentLogger() }), { code: 'E_LOG_QUEUE' });
});
