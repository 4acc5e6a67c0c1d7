// Local test images, built without the internet:
//   autoinfra-test/base  busybox (from Debian busybox-static) + this machine's node binary and libs
//   autoinfra-test/app   base + test/fixtures/app/server.js (the behaviour-by-env test web app)
// Built once per machine; a rebuild happens only when the app source changes (label app.hash).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, realpathSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from './exec.js';
import { dockerCli } from './docker.js';

export const BASE_IMAGE = 'autoinfra-test/base:latest';
export const APP_IMAGE = 'autoinfra-test/app:latest';
const here = path.dirname(fileURLToPath(import.meta.url));
export const APP_SOURCE = path.join(here, '..', 'fixtures', 'app', 'server.js');

async function imageLabel(image: string, label: string): Promise<string | undefined> {
  try {
    const out = await dockerCli(['image', 'inspect', '--format', `{{ index .Config.Labels "${label}" }}`, image]);
    return out || '';
  } catch { return undefined; }
}

async function busyboxPath(): Promise<string> {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
    if (existsSync(p)) {
      const r = await exec('ldd', [p], { allowFail: true });
      if (/not a dynamic executable|statically linked/.test(r.stdout + r.stderr)) return p;
    }
  }
  await exec('apt-get', ['install', '-y', '-q', 'busybox-static'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return '/bin/busybox';
}

/** Copies a dynamic binary and the libraries ldd names into a root filesystem. */
async function copyWithLibs(binary: string, root: string, dest: string): Promise<void> {
  mkdirSync(path.join(root, path.dirname(dest)), { recursive: true });
  copyFileSync(realpathSync(binary), path.join(root, dest));
  chmodSync(path.join(root, dest), 0o755);
  const { stdout } = await exec('ldd', [binary]);
  for (const line of stdout.split('\n')) {
    const m = /(\S*\/[^\s]+) \(0x/.exec(line.replace(/^.*=> /, ''));
    if (!m) continue;
    const lib = m[1];
    const target = path.join(root, lib);
    mkdirSync(path.dirname(target), { recursive: true });
    if (!existsSync(target)) copyFileSync(realpathSync(lib), target);
  }
}

let baseReady: Promise<void> | undefined;
export function ensureBaseImage(): Promise<void> {
  baseReady ??= (async () => {
    const nodeHash = createHash('sha256').update(process.execPath + process.version).digest('hex').slice(0, 16);
    if ((await imageLabel(BASE_IMAGE, 'autoinfra.test.base')) === nodeHash) return;
    const root = mkdtempSync(path.join(tmpdir(), 'ai-base-'));
    try {
      const bb = await busyboxPath();
      mkdirSync(path.join(root, 'bin'), { recursive: true });
      copyFileSync(bb, path.join(root, 'bin/busybox'));
      chmodSync(path.join(root, 'bin/busybox'), 0o755);
      for (const tool of ['sh', 'wget', 'nc', 'cat', 'echo', 'sleep', 'ls', 'mkdir', 'httpd', 'env', 'true', 'false', 'test', 'grep', 'kill', 'ps']) {
        symlinkSync('busybox', path.join(root, 'bin', tool));
      }
      await copyWithLibs(process.execPath, root, 'usr/local/bin/node');
      for (const d of ['tmp', 'data', 'etc']) mkdirSync(path.join(root, d), { recursive: true });
      chmodSync(path.join(root, 'tmp'), 0o1777);
      writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
      writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
      const tar = path.join(root, '..', path.basename(root) + '.tar');
      await exec('tar', ['-C', root, '-cf', tar, '.']);
      await dockerCli(['import', '--change', 'ENV PATH=/usr/local/bin:/bin', '--change', `LABEL autoinfra.test.base=${nodeHash}`, '--change', 'CMD ["/bin/sh"]', tar, BASE_IMAGE]);
      rmSync(tar, { force: true });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  })();
  return baseReady;
}

let appReady: Promise<void> | undefined;
/** Builds the test app image (once per source change). */
export function ensureAppImage(): Promise<void> {
  appReady ??= (async () => {
    await ensureBaseImage();
    const source = readFileSync(APP_SOURCE);
    const hash = createHash('sha256').update(source).update(BASE_IMAGE).digest('hex').slice(0, 16);
    if ((await imageLabel(APP_IMAGE, 'autoinfra.test.app')) === hash) return;
    const ctx = mkdtempSync(path.join(tmpdir(), 'ai-app-'));
    try {
      writeFileSync(path.join(ctx, 'server.js'), source);
      writeFileSync(path.join(ctx, 'Dockerfile'), [
        `FROM ${BASE_IMAGE}`,
        'COPY server.js /app/server.js',
        `LABEL autoinfra.test.app=${hash}`,
        'EXPOSE 8080',
        'CMD ["node", "/app/server.js"]',
        '',
      ].join('\n'));
      await dockerCli(['build', '-q', '-t', APP_IMAGE, ctx]);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  })();
  return appReady;
}
