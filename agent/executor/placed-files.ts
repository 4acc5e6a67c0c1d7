// What SecretFiles and RepoFiles share: files placed for bind mounts under one root, one
// directory per environment and content hash, never outside the root, pruned by hash.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** `p` resolved, when it lies strictly inside `root`; undefined otherwise (the caller refuses it). */
export function resolvedInside(root: string, p: string): string | undefined {
  const r = path.resolve(root);
  const resolved = path.resolve(p);
  return resolved.startsWith(r + path.sep) ? resolved : undefined;
}

/** Removes every entry of `dir` whose name is not in `keep` (a missing dir is nothing to prune). */
export async function pruneExcept(dir: string, keep: Set<string>): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const e of entries) if (!keep.has(e)) await rm(path.join(dir, e), { recursive: true, force: true });
}

/** Removes an environment's whole directory under `root` (teardown); a name that would leave root is ignored. */
export async function removeEnvironmentDir(root: string, env: string): Promise<void> {
  const dir = resolvedInside(root, path.join(root, env));
  if (dir) await rm(dir, { recursive: true, force: true });
}
