// A real image registry for pull tests: Debian's `docker-registry` on 127.0.0.1 (random port),
// optionally with htpasswd basic auth. dockerd treats 127.0.0.0/8 registries as insecure-allowed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exec, freePort, waitFor } from './exec.js';

export interface Registry { host: string; stop(): Promise<void> }

export async function startRegistry(opts: { auth?: { username: string; password: string } } = {}): Promise<Registry> {
  if (!existsSync('/usr/bin/docker-registry')) {
    await exec('apt-get', ['install', '-y', '-q', 'docker-registry', 'apache2-utils'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log: { level: error }',
    'storage:',
    `  filesystem: { rootdirectory: ${dir}/data }`,
    '  delete: { enabled: true }',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (opts.auth) {
    const { stdout } = await exec('htpasswd', ['-nbB', opts.auth.username, opts.auth.password]);
    writeFileSync(path.join(dir, 'htpasswd'), stdout);
    lines.push('auth:', '  htpasswd:', '    realm: test', `    path: ${dir}/htpasswd`);
  }
  writeFileSync(path.join(dir, 'config.yml'), lines.join('\n') + '\n');
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  await waitFor('registry to listen', async () => {
    const r = await fetch(`http://${host}/v2/`).catch(() => undefined);
    return r !== undefined && (r.status === 200 || r.status === 401);
  }, { timeoutMs: 20_000 });
  return {
    host,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r).once('error', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
