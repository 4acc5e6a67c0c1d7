// Repo paths bind-mounted into containers (`./conf:/etc/app`, always read-only): the commit's
// files, copied once per content hash under the state dir (not the runtime tmpfs: they are not
// secret and may be large) and mounted from there. A copy is written under a temporary name and
// renamed into place, so a crash never leaves a half-written tree that a later deploy would mount.
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AutoinfraError } from '../../shared/errors.js';
import type { RepoTree, Stack } from '../../shared/stack/model.js';
import { pruneExcept, removeEnvironmentDir, resolvedInside } from './placed-files.js';

/** A repo file's path would leave the repo-files dir (git forbids such paths: a bug or a forged object store). */
export class RepoPathError extends AutoinfraError {
  static readonly code = 'E_REPO_PATH';
  constructor(file: string, dir: string) {
    super(RepoPathError.code, `refusing to write repo file ${file}: outside ${dir}`, { file, dir });
    this.name = 'RepoPathError';
  }
}

export class RepoFiles {
  constructor(private readonly dir: string) {}

  /** Places the trees `stack`'s services mount; returns tree hash → host path to bind-mount. */
  async materialise(stack: Stack, hashes: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const hash of hashes) {
      const tree = stack.repoTrees?.[hash];
      if (!tree) continue;
      out[hash] = await this.place(stack.env, tree);
    }
    return out;
  }

  /** Removes the copies of `stack.env` that no service of `stack` mounts any more. */
  /** Removes every file placed for `env` (the environment was torn down). */
  async removeEnvironment(env: string): Promise<void> {
    await removeEnvironmentDir(this.dir, env);
  }

  async prune(stack: Stack): Promise<void> {
    await pruneExcept(path.join(this.dir, stack.env), new Set(Object.keys(stack.repoTrees ?? {})));
  }

  private async place(env: string, tree: RepoTree): Promise<string> {
    const final = this.inside(path.join(this.dir, env, tree.hash));
    const mounted = tree.kind === 'file' ? path.join(final, 'file') : path.join(final, 'tree');
    if (await stat(final).then(() => true, () => false)) return mounted;
    const tmp = this.inside(path.join(this.dir, env, `.tmp-${tree.hash}-${process.pid}`));
    await rm(tmp, { recursive: true, force: true });
    try {
      const root = path.join(tmp, tree.kind === 'file' ? '' : 'tree');
      await mkdir(root, { recursive: true, mode: 0o755 });
      const dirs = new Set<string>([root]);
      for (const [rel, bytes] of Object.entries(tree.files)) {
        const file = this.inside(tree.kind === 'file' ? path.join(tmp, 'file') : path.join(root, rel), tmp);
        if (!dirs.has(path.dirname(file))) { await mkdir(path.dirname(file), { recursive: true, mode: 0o755 }); dirs.add(path.dirname(file)); }
        // Readable by a container user of any uid; writable by none (the mount is read-only too).
        await writeFile(file, bytes, { mode: 0o444 });
      }
    } catch (e) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    await rename(tmp, final).catch(async (e: NodeJS.ErrnoException) => {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e; // another deploy placed it first
    });
    return mounted;
  }

  /** `p` resolved, refused unless inside `root` (default: the whole dir; a tree's files: that tree's own copy). */
  private inside(p: string, root = this.dir): string {
    const resolved = resolvedInside(root, p);
    if (!resolved) throw new RepoPathError(path.resolve(p), path.resolve(root));
    return resolved;
  }
}
