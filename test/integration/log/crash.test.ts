// kill -9 at any point loses nothing that was acknowledged and never doubles a line: during the
// queue's append (torn last line cut on open, seq continues) and during a push (seq is the
// idempotency key on the remote).
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGitServer } from '../../helpers/git-server.js';
import { waitFor } from '../../helpers/exec.js';
import { silentLogger } from '../../../agent/logger.js';
import { DeployLog } from '../../../agent/log/deploy-log.js';
import { keyId } from '../../../shared/log/keys.js';
import { verifyHostFile } from '../../../shared/log/verify.js';
import { startWorker } from './worker.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const KEY_PEM = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const KEY = keyId(publicKey);

function tmp(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(path.join(tmpdir(), 'ai-log-crash-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('kill -9 while appending in a loop: acknowledged entries survive, seq continues', async (t) => {
  const dir = tmp(t);
  let acked = 0;
  for (let round = 0; round < 3; round++) {
    const w = startWorker({ MODE: 'append-forever', DIR: dir, HOST: 'h1', KEY_PEM });
    await Promise.race([w.untilAcked(acked + 50 + round * 20), w.done.then(() => { throw new Error(`worker exited: ${w.stderr()}`); })]);
    w.child.kill('SIGKILL');
    await w.done;
    t.ok(w.acked > acked, `round ${round}: seq continued from ${acked} to ${w.acked}`);
    acked = w.acked;
    const text = readFileSync(path.join(dir, 'queue', 'entries.jsonl'), 'utf8');
    const whole = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    const r = verifyHostFile('hosts/h1.jsonl', whole, { pinned: [KEY] });
    t.ok(r.ok && r.lastSeq >= acked, `round ${round}: every acknowledged entry is on disk (${r.lastSeq} ≥ ${acked}), chain valid`);
  }
  const log = await DeployLog.open({ dir: path.join(dir, 'queue'), host: 'h1', signingKey: KEY_PEM, clock: { now: () => Date.now() }, logger: silentLogger() });
  t.teardown(() => log.close());
  t.ok(log.lastSeq() >= acked);
  const next = await log.append({ env: 'e', action: 'agent-start', result: 'info' });
  t.equal(next.seq, log.lastSeq());
  const r = verifyHostFile('hosts/h1.jsonl', readFileSync(path.join(dir, 'queue', 'entries.jsonl'), 'utf8'), { pinned: [KEY] });
  t.same({ ok: r.ok, problem: r.problem }, { ok: true, problem: undefined }, 'queue file is a valid chain after the crashes');
});

t.test('kill -9 during pushes: after a restart the remote has every line exactly once', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { 'infra/docker-compose.yml': 'services: {}\n' });
  const dir = tmp(t);
  const env = { DIR: dir, HOST: 'h1', KEY_PEM, URL: server.url('app') };
  const delays = [0, 3, 10, 25];
  for (const delay of delays) {
    const pushesBefore = server.requests.filter((r) => r.method === 'POST' && r.url.endsWith('git-receive-pack')).length;
    const w = startWorker({ ...env, MODE: 'publish-forever' });
    await waitFor('a push in flight', async () => server.requests.filter((r) => r.method === 'POST' && r.url.endsWith('git-receive-pack')).length > pushesBefore + 2, { timeoutMs: 30_000, intervalMs: 1 });
    await new Promise((r) => setTimeout(r, delay));
    w.child.kill('SIGKILL');
    await w.done;
    t.ok(w.acked > 0, `killed ${delay} ms into a push (acked ${w.acked}, pushed ${w.pushed})`);
  }
  const w = startWorker({ ...env, MODE: 'agent', COUNT: '0' });
  t.equal(await w.done, 0, 'restarted agent flushed the queue');
  const queue = readFileSync(path.join(dir, 'queue', 'entries.jsonl'), 'utf8');
  const local = verifyHostFile('hosts/h1.jsonl', queue, { pinned: [KEY] });
  const remote = (await server.show('app', 'deploy-log', 'hosts/h1.jsonl')) + '\n';
  const r = verifyHostFile('hosts/h1.jsonl', remote, { pinned: [KEY] });
  t.same({ ok: r.ok, problem: r.problem }, { ok: true, problem: undefined }, 'remote chain valid: no line doubled or missing');
  t.equal(r.lastSeq, local.lastSeq, `remote has all ${local.lastSeq} queued lines`);
  t.equal(remote, queue, 'remote file is byte-identical to the local queue');
});
