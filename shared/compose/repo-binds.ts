// Bind mounts of paths in the repo (`./conf:/etc/app`): the commit's own files at that path, by
// content hash, for the agent to place on the host read-only. There is no checkout to mount (the
// object store is bare), and mounting one would let a later commit change files under a running
// container: a copy per content hash means the same commit always gives the same files, and a
// changed file is a new service hash, so the service redeploys like any other change.
import { createHash } from 'node:crypto';
import type { RepoTree, ServiceSpec } from '../stack/model.js';
import { filesUnder, hashFilesUnder } from './service-hash.js';

/** The commit's files at repo path `source` (a file, or a directory and everything below it); undefined when absent. */
export function repoTreeAt(files: Map<string, Uint8Array>, source: string): RepoTree | undefined {
  const at = source.replace(/\/+$/, '');
  const h = createHash('sha256');
  const single = files.get(at);
  if (single !== undefined) {
    h.update(`file\0${single.length}\0`).update(single);
    return { source: at, kind: 'file', files: { '': single }, hash: h.digest('hex') };
  }
  const paths = filesUnder(files, at);
  if (paths.length === 0) return undefined;
  h.update('dir\0');
  hashFilesUnder(h, files, at);
  return { source: at, kind: 'dir', files: Object.fromEntries(paths.map((p) => [p.slice(at.length + 1), files.get(p) as Uint8Array])), hash: h.digest('hex') };
}

/** Whether a bind source is a repo path (relative, resolved against `infra/` by normalise) rather than a host path. */
export function isRepoBind(v: { type: string; source?: string }): v is { type: 'bind'; source: string } {
  return v.type === 'bind' && typeof v.source === 'string' && !v.source.startsWith('/');
}

/**
 * Attaches each repo bind of `service` to its tree (`volume.repoTree` = hash; the tree in `trees`).
 * A source the commit does not hold is a problem for `report` (compose would create an empty
 * directory on the host: here that would hide a typo in a path the service depends on).
 */
export function attachRepoTrees(service: Omit<ServiceSpec, 'hash'>, files: Map<string, Uint8Array>, trees: Record<string, RepoTree>, report: (volumeIndex: number, reason: string) => void): void {
  service.volumes.forEach((v, i) => {
    if (!isRepoBind(v)) return;
    const tree = repoTreeAt(files, v.source);
    if (!tree) return report(i, `bind mount source ${v.source} is not in the repo at this commit (repo paths are mounted from the commit's files)`);
    trees[tree.hash] = tree;
    v.repoTree = tree.hash;
  });
}
