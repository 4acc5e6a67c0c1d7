// The local bare object store (no work tree, ever). The only reader of git objects in the agent.
// Local refs mirror the server's (refs/heads/*, refs/pull/*): a fetch writes the fetched ref, and
// a ref we already hold is offered to the server as "have", so only new objects come down.
import fs from 'node:fs';
import git, { type HttpClient } from 'isomorphic-git';
import { SourceCommitMissingError } from './errors.js';

export interface AdvertisedRef { ref: string; oid: string }

const MIRROR_REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/pull/*:refs/pull/*'];

export class ObjectStore {
  /** isomorphic-git's pack/index cache: shared across reads so a pack index is parsed once. */
  private readonly cache: object = {};

  constructor(readonly dir: string) {}

  /** Creates the bare repository when it does not exist (idempotent). */
  async init(): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    if (fs.existsSync(`${this.dir}/config`)) return;
    await git.init({ fs, dir: this.dir, bare: true });
    // fetch writes refs through the remote's refspecs: mirror the server's names locally.
    await git.setConfig({ fs, gitdir: this.dir, path: 'remote.origin.fetch', value: MIRROR_REFSPECS[0] });
    await git.setConfig({ fs, gitdir: this.dir, path: 'remote.origin.fetch', value: MIRROR_REFSPECS[1], append: true });
  }

  /** All refs on the server: one GET of info/refs (protocol v1; v2 would need a second request). */
  async listServerRefs(http: HttpClient, url: string, headers: Record<string, string>): Promise<AdvertisedRef[]> {
    const refs = await git.listServerRefs({ http, url, headers, protocolVersion: 1 });
    return refs.map((r) => ({ ref: r.ref, oid: r.oid }));
  }

  /**
   * Fetches one server ref with its full history (not shallow), offering `haveRef` (a local ref
   * whose objects we hold) so the server sends only what is new. Returns the fetched commit.
   */
  async fetchRef(http: HttpClient, url: string, headers: Record<string, string>, ref: string, haveRef: string | undefined): Promise<string> {
    let res: Awaited<ReturnType<typeof git.fetch>>;
    try {
      res = await git.fetch({
        fs, http, gitdir: this.dir, cache: this.cache, url, headers,
        // `ref` is only read locally (to choose the "have"); `remoteRef` is what is fetched.
        ref: haveRef ?? ref, remoteRef: ref, remote: 'origin',
        singleBranch: true, tags: false,
      });
    } catch (e) {
      // isomorphic-git looks up the remote HEAD after the objects and the ref are written; a
      // server whose HEAD points at a missing branch (e.g. a repo with only `production`) does not
      // advertise HEAD and that look-up throws. The fetch itself succeeded: read the ref we wrote.
      if ((e as { code?: string; data?: { what?: string } }).code === 'NotFoundError' && (e as { data?: { what?: string } }).data?.what === 'HEAD') {
        return git.resolveRef({ fs, gitdir: this.dir, ref });
      }
      throw e;
    }
    if (!res.fetchHead) throw new Error(`server has no ref ${ref}`);
    return res.fetchHead;
  }

  async hasCommit(oid: string): Promise<boolean> {
    try {
      await git.readCommit({ fs, gitdir: this.dir, oid, cache: this.cache });
      return true;
    } catch {
      return false;
    }
  }

  /** The local ref's commit, or undefined. */
  async localRef(ref: string): Promise<string | undefined> {
    try {
      return await git.resolveRef({ fs, gitdir: this.dir, ref });
    } catch {
      return undefined;
    }
  }

  async setRef(ref: string, oid: string): Promise<void> {
    await git.writeRef({ fs, gitdir: this.dir, ref, value: oid, force: true });
  }

  /** Drops a local ref (the objects stay; they are shared with other branches). */
  async deleteRef(ref: string): Promise<void> {
    await git.deleteRef({ fs, gitdir: this.dir, ref }).catch(() => undefined);
  }

  /**
   * Files under `prefix` at `commit`, keyed by path from the repository root. Regular and
   * executable files only: symlinks and submodules are not deployable content and are skipped.
   * A prefix that does not exist at that commit gives an empty map.
   */
  async readTree(commit: string, prefix: string): Promise<Map<string, Uint8Array>> {
    let commitTree: string;
    try {
      commitTree = (await git.readCommit({ fs, gitdir: this.dir, oid: commit, cache: this.cache })).commit.tree;
    } catch {
      throw new SourceCommitMissingError(commit, this.dir);
    }
    const dirPath = prefix.replace(/^\/+|\/+$/g, '');
    let treeOid = commitTree;
    if (dirPath) {
      const found = await this.resolvePath(commitTree, dirPath.split('/'));
      if (!found) return new Map();
      treeOid = found;
    }
    const out = new Map<string, Uint8Array>();
    await this.walk(treeOid, dirPath, out);
    return out;
  }

  private async resolvePath(tree: string, parts: string[]): Promise<string | undefined> {
    let oid = tree;
    for (const part of parts) {
      const { tree: entries } = await git.readTree({ fs, gitdir: this.dir, oid, cache: this.cache });
      const e = entries.find((x) => x.path === part);
      if (!e || e.type !== 'tree') return undefined;
      oid = e.oid;
    }
    return oid;
  }

  private async walk(tree: string, base: string, out: Map<string, Uint8Array>): Promise<void> {
    const { tree: entries } = await git.readTree({ fs, gitdir: this.dir, oid: tree, cache: this.cache });
    for (const e of entries) {
      const p = base ? `${base}/${e.path}` : e.path;
      if (e.type === 'tree') await this.walk(e.oid, p, out);
      else if (e.type === 'blob' && (e.mode === '100644' || e.mode === '100755')) {
        const { blob } = await git.readBlob({ fs, gitdir: this.dir, oid: e.oid, cache: this.cache });
        out.set(p, blob);
      }
    }
  }
}
