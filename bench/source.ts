// Git source cost against git itself, measured in the same run on the same repository
// (1,000 commits, 2,000 files, served by git http-backend in a separate process):
//   idle poll      GitSource.pollOnce with nothing new   vs  `git ls-remote`
//   one new commit GitSource.pollOnce fetching it         vs  `git fetch` into a bare clone
// Figures: requests, bytes from the server, CPU ms of the client, wall ms; ratio = ours / git's.
// Run: node --import tsx bench/source.ts   (≈ 20 s)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { GitSource } from '../agent/source/git-source.js';
import { systemClock } from '../agent/clock.js';
import { createLogger } from '../agent/logger.js';

const IDLE_POLLS = 30;
const FETCHES = 5;

interface Req { method: string; url: string; bytesOut: number }
interface Sample { requests: number; bytes: number; cpuMs: number; wallMs: number }

const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/source/git-server-process.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
async function ask<T>(msg?: object): Promise<T> {
  if (msg) child.stdin.write(`${JSON.stringify(msg)}\n`);
  const { value } = await lines.next();
  return JSON.parse(value as string) as T;
}

const { url } = await ask<{ url: string }>();
const work = mkdtempSync(path.join(tmpdir(), 'ai-bench-src-'));
const quiet = createLogger({ stream: new Writable({ write(_c, _e, cb) { cb(); } }) });
const source = new GitSource({
  url, dir: path.join(work, 'repo.git'),
  branches: { production: 'production', master: 'master' },
  previews: { enabled: true, pattern: 'preview/*', pullRequests: true },
  intervalMs: 1000, maxBackoffMs: 10_000, clock: systemClock, logger: quiet, host: 'bench-host',
});

/** CPU ms used by reaped child processes of this process (git), from /proc. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]); // cutime + cstime (fields 16, 17)
  return (ticks * 1000) / 100;
}

async function serverLog(): Promise<Req[]> {
  return (await ask<{ requests: Req[] }>({ cmd: 'requests' })).requests;
}

async function measureOurs(fn: () => Promise<unknown>): Promise<Sample> {
  await serverLog();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const reqs = await serverLog();
  return { requests: reqs.length, bytes: reqs.reduce((n, r) => n + r.bytesOut, 0), cpuMs: (cpu.user + cpu.system) / 1000, wallMs };
}

async function measureGit(args: string[]): Promise<Sample> {
  await serverLog();
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync('git', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  const wallMs = performance.now() - t0;
  const cpuMs = childrenCpuMs() - cpu0;
  const reqs = await serverLog();
  return { requests: reqs.length, bytes: reqs.reduce((n, r) => n + r.bytesOut, 0), cpuMs, wallMs };
}

function mean(samples: Sample[]): Sample {
  const avg = (k: keyof Sample): number => samples.reduce((n, s) => n + s[k], 0) / samples.length;
  return { requests: avg('requests'), bytes: avg('bytes'), cpuMs: avg('cpuMs'), wallMs: avg('wallMs') };
}

function row(name: string, s: Sample): string {
  return `${name.padEnd(26)} ${s.requests.toFixed(1).padStart(8)} ${Math.round(s.bytes).toString().padStart(9)} ${s.cpuMs.toFixed(1).padStart(8)} ${s.wallMs.toFixed(1).padStart(8)}`;
}

function ratio(a: Sample, b: Sample): string {
  const r = (x: number, y: number): string => (y === 0 ? 'n/a' : (x / y).toFixed(2));
  return `${'ratio ours/git'.padEnd(26)} ${r(a.requests, b.requests).padStart(8)} ${r(a.bytes, b.bytes).padStart(9)} ${r(a.cpuMs, b.cpuMs).padStart(8)} ${r(a.wallMs, b.wallMs).padStart(8)}`;
}

const deadline = Date.now() + 110_000;
try {
  // Set-up, not measured: our first fetch, and git's bare clone of master.
  const setup = await measureOurs(() => source.pollOnce());
  const clone = path.join(work, 'git-clone.git');
  const cloneSample = await measureGit(['clone', '-q', '--bare', '--single-branch', '-b', 'master', url, clone]);
  console.log(`repo: 1,000 commits × 2,000 files; first fetch: ours ${setup.wallMs.toFixed(0)} ms / ${setup.bytes} B, git clone ${cloneSample.wallMs.toFixed(0)} ms / ${cloneSample.bytes} B\n`);

  const header = `${''.padEnd(26)} ${'requests'.padStart(8)} ${'bytes'.padStart(9)} ${'cpu ms'.padStart(8)} ${'wall ms'.padStart(8)}`;
  const oursIdle: Sample[] = [];
  const gitIdle: Sample[] = [];
  for (let i = 0; i < IDLE_POLLS && Date.now() < deadline; i++) {
    oursIdle.push(await measureOurs(() => source.pollOnce()));
    gitIdle.push(await measureGit(['ls-remote', url]));
  }
  console.log(`idle poll (mean of ${oursIdle.length})`);
  console.log(header);
  console.log(row('GitSource.pollOnce', mean(oursIdle)));
  console.log(row('git ls-remote', mean(gitIdle)));
  console.log(ratio(mean(oursIdle), mean(gitIdle)));

  const oursFetch: Sample[] = [];
  const gitFetch: Sample[] = [];
  for (let i = 0; i < FETCHES && Date.now() < deadline; i++) {
    await ask({ cmd: 'commit' });
    oursFetch.push(await measureOurs(async () => {
      const events = await source.pollOnce();
      if (events.length !== 1) throw new Error(`expected one event, got ${JSON.stringify(events)}`);
    }));
    gitFetch.push(await measureGit(['--git-dir', clone, 'fetch', '-q', 'origin', '+refs/heads/master:refs/heads/master']));
  }
  console.log(`\none new commit (mean of ${oursFetch.length}; ours includes the listing)`);
  console.log(header);
  console.log(row('GitSource.pollOnce+fetch', mean(oursFetch)));
  console.log(row('git fetch', mean(gitFetch)));
  console.log(ratio(mean(oursFetch), mean(gitFetch)));
} finally {
  await source.stop();
  child.stdin.write(`${JSON.stringify({ cmd: 'exit' })}\n`);
  rmSync(work, { recursive: true, force: true });
}
