// Compose `secrets:` for containers: decrypted bytes written, mode 0400, under the runtime dir
// (a tmpfs: /run) and bind-mounted read-only. Never elsewhere on disk. Files are placed by content
// hash and mode only, never by the secret's name (a name is repo input: `../` in it once wrote
// outside the runtime dir), so a changed secret is a new file and an old container keeps its own.
import { access, chmod, mkdir, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServiceSpec, Stack } from '../../shared/stack/model.js';
import type { Logger } from '../logger.js';
import { AutoinfraError } from '../../shared/errors.js';
import { pruneExcept, removeEnvironmentDir, resolvedInside } from './placed-files.js';

const TMPFS_MAGIC = 0x01021994;

/** A secret file's path would leave the runtime dir: never written (a bug, not a repo problem). */
export class SecretPathError extends AutoinfraError {
  static readonly code = 'E_SECRET_PATH';
  constructor(file: string, dir: string) {
    super(SecretPathError.code, `refusing to write a secret file at ${file}: outside the runtime directory ${dir}`, { file, dir });
    this.name = 'SecretPathError';
  }
}

export class SecretFiles {
  private warned = false;
  constructor(private readonly dir: string, private readonly logger: Logger) {}

  /** Writes the secrets `service` uses; returns secret name → host path to bind-mount. */
  async materialise(stack: Stack, service: ServiceSpec): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const mount of service.secrets) {
      const secret = stack.secrets[mount.source];
      if (!secret) continue;
      const mode = mount.mode ?? 0o400;
      const dir = this.inside(path.join(this.dir, stack.env, secret.hash.slice(0, 32)));
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await this.checkTmpfs();
      const file = this.inside(path.join(dir, mode.toString(8).padStart(4, '0')));
      // Same content hash + same mode = same file: a running container may have it mounted.
      if (!(await exists(file))) {
        await writeFile(file, secret.content, { mode: 0o400 });
        await chmod(file, mode);
      }
      out[mount.source] = file;
    }
    return out;
  }

  /** Removes the secret files of `env` that no live service of `stack` uses any more. */
  /** Removes every file placed for `env` (the environment was torn down). */
  async removeEnvironment(env: string): Promise<void> {
    await removeEnvironmentDir(this.dir, env);
  }

  async prune(stack: Stack): Promise<void> {
    await pruneExcept(path.join(this.dir, stack.env), new Set(Object.values(stack.secrets).map((s) => s.hash.slice(0, 32))));
  }

  /** Every path written is checked to resolve inside the runtime dir (a second guard: names never reach it). */
  private inside(p: string): string {
    const resolved = resolvedInside(this.dir, p);
    if (!resolved) throw new SecretPathError(path.resolve(p), path.resolve(this.dir));
    return resolved;
  }

  private async checkTmpfs(): Promise<void> {
    if (this.warned) return;
    this.warned = true;
    const s = await statfs(this.dir).catch(() => undefined);
    if (s && s.type !== TMPFS_MAGIC) this.logger.warn(`${this.dir} is not on a tmpfs: decrypted compose secrets are written there (set runtime_dir to a tmpfs such as /run/autoinfra)`);
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}
