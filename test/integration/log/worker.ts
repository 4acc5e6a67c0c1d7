// Starts test/integration/log/fixtures/log-worker.ts as a separate process (see that file).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../../helpers/cli.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'log-worker.ts');

export interface Worker {
  child: ChildProcess;
  /** Highest seq the worker reported durable (`ack`), and pushed (`pushed`). */
  acked: number;
  pushed: number;
  done: Promise<number | null>;
  stderr: () => string;
  /** Resolves when `acked` reaches n. */
  untilAcked(n: number): Promise<void>;
}

export function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let buf = '';
  const waiters: { n: number; resolve: () => void }[] = [];
  const w: Worker = {
    child, acked: 0, pushed: 0,
    done: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    stderr: () => err,
    untilAcked: (n) => (w.acked >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
  child.stderr!.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const [word, n] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      if (word === 'ack') w.acked = Number(n);
      if (word === 'pushed') w.pushed = Number(n);
      for (const x of waiters.filter((x) => w.acked >= x.n)) { waiters.splice(waiters.indexOf(x), 1); x.resolve(); }
    }
  });
  return w;
}
