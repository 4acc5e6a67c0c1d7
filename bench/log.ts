// Deploy-log benchmark (each part bounded; ~1–2 min on 2 cores):
//  1. append+sign rate of the durable queue, against a plain fsynced append of same-size lines;
//  2. verifying 100k lines (goal ≤ 2 s), against the floor of parsing + hashing them;
//  3. append → visible on the remote with 8 and 32 concurrent writers, against 1 writer.
// Run: node --import tsx bench/log.ts [append] [verify] [writers]   (no argument: all three)
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, fdatasyncSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { silentLogger } from '../agent/logger.js';
import { DeployLog } from '../agent/log/deploy-log.js';
import { LogPublisher } from '../agent/log/publisher.js';
import { verifyLogFiles } from '../agent/log/verify-log.js';
import { appendEntry } from '../shared/log/chain.js';
import { keyId } from '../shared/log/keys.js';
import { verifyHostFile } from '../shared/log/verify.js';
import { startGitServer } from '../test/helpers/git-server.js';
import { runAutoinfra } from '../test/helpers/cli.js';

const root = mkdtempSync(path.join(tmpdir(), 'ai-bench-log-'));
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const KEY = keyId(publicKey);
const clock = { now: () => Date.now() };
const logger = silentLogger();
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const f1 = (n: number): string => n.toFixed(1);
const detail = { service: 'web', colour: 'blue', image: 'registry.local/app@sha256:' + 'ab'.repeat(32) };

async function appendRate(): Promise<void> {
  const N = 300;
  // Baseline: the same bytes, appended and fdatasynced one line at a time, no JSON or signature.
  const sample = appendEntry({ seq: 0 }, { env: 'production', action: 'health', result: 'ok', detail }, { host: 'h', key: privateKey, keyId: KEY, time: new Date().toISOString() }).line + '\n';
  const fd = openSync(path.join(root, 'baseline.jsonl'), 'a');
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) { writeSync(fd, sample); fdatasyncSync(fd); }
  const base = ms(t0);
  closeSync(fd);
  const log = await DeployLog.open({ dir: path.join(root, 'rate'), host: 'h', signingKey: privateKey, clock, logger });
  t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await log.append({ env: 'production', action: 'health', result: 'ok', detail: { ...detail, i } });
  const seq = ms(t0);
  t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: 2000 }, (_, i) => log.append({ env: 'production', action: 'health', result: 'ok', detail: { ...detail, i } })));
  const burst = ms(t0);
  await log.close();
  // Pure sign+chain (no disk), against hashing alone.
  t0 = process.hrtime.bigint();
  let tip: { seq: number; line?: string } = { seq: 0 };
  for (let i = 0; i < 5000; i++) { const r = appendEntry(tip, { env: 'p', action: 'health', result: 'ok', detail }, { host: 'h', key: privateKey, keyId: KEY, time: '2026-11-25T00:00:00.000Z' }); tip = { seq: r.entry.seq, line: r.line }; }
  const pure = ms(t0);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < 5000; i++) createHash('sha256').update(sample).digest('hex');
  const hashOnly = ms(t0);
  console.log('1. append+sign');
  console.log(`   baseline fsynced raw append:    ${f1(N / base * 1000)} lines/s`);
  console.log(`   DeployLog.append, one at a time: ${f1(N / seq * 1000)} entries/s  (${(base / seq).toFixed(2)}× baseline)`);
  console.log(`   DeployLog.append, 2000 at once:  ${f1(2000 / burst * 1000)} entries/s  (${((2000 / burst) / (N / base)).toFixed(1)}× baseline: group commit)`);
  console.log(`   sign+chain in memory:            ${f1(5000 / pure * 1000)} entries/s  (${(pure / hashOnly).toFixed(0)}× the cost of a sha256 alone)`);
}

async function verify100k(): Promise<void> {
  const N = 100_000;
  const lines: string[] = [];
  let tip: { seq: number; line?: string } = { seq: 0 };
  const t0g = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const r = appendEntry(tip, { env: i % 3 ? 'production' : 'master', commit: 'c'.repeat(40), action: 'health', result: 'ok', detail: { i } }, { host: 'big', key: privateKey, keyId: KEY, time: new Date(1_764_000_000_000 + i * 1000).toISOString() });
    lines.push(r.line);
    tip = { seq: r.entry.seq, line: r.line };
  }
  const text = lines.join('\n') + '\n';
  console.log(`2. verify ${N} lines (${(text.length / 1e6).toFixed(1)} MB; generated in ${(ms(t0g) / 1000).toFixed(1)} s)`);
  let t0 = process.hrtime.bigint();
  for (const l of lines) { JSON.parse(l); createHash('sha256').update(l).digest('hex'); }
  const floor = ms(t0);
  console.log(`   baseline parse+hash every line:  ${f1(floor)} ms`);
  const pinned = new Map([['big', [KEY]]]);
  t0 = process.hrtime.bigint();
  let r = verifyHostFile('hosts/big.jsonl', text, { pinned: [KEY], signatures: 'anchored' });
  const anchored = ms(t0);
  console.log(`   anchored (chain + last sig):     ${f1(anchored)} ms  (${(anchored / floor).toFixed(1)}× baseline) ok=${r.ok}`);
  t0 = process.hrtime.bigint();
  [r] = await verifyLogFiles([{ path: 'hosts/big.jsonl', text }], pinned, 'all');
  const all = ms(t0);
  console.log(`   every signature (worker threads): ${f1(all)} ms  (${(all / floor).toFixed(1)}× baseline) ok=${r.ok}`);
  const dir = path.join(root, 'checkout');
  mkdirSync(path.join(dir, 'hosts'), { recursive: true });
  writeFileSync(path.join(dir, 'hosts', 'big.jsonl'), text);
  writeFileSync(path.join(root, 'keys.txt'), `big ${KEY}\n`);
  for (const extra of [['--fast']]) {
    t0 = process.hrtime.bigint();
    const cli = await runAutoinfra(['log', 'verify', '--dir', dir, '--keys', path.join(root, 'keys.txt'), ...extra]);
    console.log(`   CLI log verify ${extra.join(' ').padEnd(7)} (incl. ~1 s tsx start): ${f1(ms(t0))} ms exit=${cli.code}`);
  }
}

async function writers(n: number, each: number, url: string, gapMs: number): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(Array.from({ length: n }, async (_, w) => {
    const host = `w${n}-${w}`;
    const dir = path.join(root, 'pub', host);
    const log = await DeployLog.open({ dir: path.join(dir, 'q'), host, signingKey: privateKey, clock, logger });
    const appendedAt = new Map<number, number>();
    const pub = new LogPublisher({
      log, url, dir: path.join(dir, 'git'), host, clock, logger, batchMs: 20, backoffMs: 20, maxBackoffMs: 8000,
      onPublished: (last) => { const now = performance.now(); for (const [seq, t] of appendedAt) if (seq <= last) { latencies.push(now - t); appendedAt.delete(seq); } },
    });
    pub.start();
    for (let i = 0; i < each; i++) {
      await new Promise((r) => setTimeout(r, gapMs * (0.5 + Math.random())));
      const t = performance.now();
      const e = await log.append({ env: 'production', action: 'health', result: 'ok', detail: { i } });
      appendedAt.set(e.seq, t);
    }
    const deadline = Date.now() + 60_000;
    while (appendedAt.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await pub.stop();
    await log.close();
  }));
  return latencies.sort((a, b) => a - b);
}

async function concurrent(): Promise<void> {
  const server = await startGitServer();
  try {
    await server.createRepo('bench');
    await server.commit('bench', 'master', { 'README.md': 'bench\n' });
    console.log('3. append → visible on the remote (in-process publishers, git http-backend on 127.0.0.1, batchMs 20)');
    const q = (l: number[], p: number): number => l[Math.min(l.length - 1, Math.floor(p * l.length))];
    let base = 0;
    for (const [n, each] of [[1, 20], [8, 12], [32, 5]] as const) {
      const t0 = process.hrtime.bigint();
      const l = await writers(n, each, server.url('bench'), 150);
      const med = q(l, 0.5);
      if (n === 1) base = med;
      console.log(`   ${String(n).padStart(2)} writer${n === 1 ? ' ' : 's'} × ${each}: median ${f1(med)} ms (${(med / base).toFixed(1)}× 1 writer), p99 ${f1(q(l, 0.99))} ms, ${l.length}/${n * each} seen, ${(ms(t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await server.dispose();
  }
}

const parts = process.argv.slice(2);
const want = (p: string): boolean => parts.length === 0 || parts.includes(p);
try {
  if (want('append')) await appendRate();
  if (want('verify')) await verify100k();
  if (want('writers')) await concurrent();
} finally {
  rmSync(root, { recursive: true, force: true });
}
