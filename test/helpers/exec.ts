// Running host commands from the test harness (docker CLI, git plumbing, apt).
import { spawn } from 'node:child_process';

export interface ExecResult { stdout: string; stderr: string; code: number }

export function exec(cmd: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; allowFail?: boolean } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    // A command that exits without reading stdin makes the write below fail with EPIPE: harmless.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      const r = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1 };
      if (r.code !== 0 && !opts.allowFail) reject(new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`));
      else resolve(r);
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A free TCP port on 127.0.0.1 (for servers that cannot listen on port 0 themselves). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as import('node:net').AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Polls `fn` until it returns a value. Each attempt is raced against a (ref'd) timer: a fetch to a
 * port whose container is still starting can hang with no live handle, and must not stall a test.
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, opts: { timeoutMs?: number; intervalMs?: number; attemptTimeoutMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastErr: unknown;
  for (;;) {
    try {
      let timer: NodeJS.Timeout | undefined;
      const attemptTimeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('attempt timed out')), opts.attemptTimeoutMs ?? 5000); });
      const v = await Promise.race([fn(), attemptTimeout]).finally(() => clearTimeout(timer));
      if (v !== undefined && v !== false) return v as T;
    } catch (e) { lastErr = e; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
