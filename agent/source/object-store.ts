// The source's local bare object store (no work tree, ever): the agent's reader of deployable
// commits. Local refs mirror the server's (refs/heads/*, refs/pull/*): a fetch writes the fetched
// ref, and a ref we already hold is offered to the server as "have", so only new objects come down.
import { BareRepo, type AdvertisedRef, type HttpClient } from '../git/bare-repo.js';
import { SourceCommitMissingError } from './errors.js';

export type { AdvertisedRef };

const MIRROR_REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/pull/*:refs/pull/*'];

export class ObjectStore {
  private readonly repo: BareRepo;

  constructor(readonly dir: string) {
    this.repo = new BareRepo(dir);
  }

  /** Creates the bare repository when it does not exist (idempotent). */
  async init(): Promise<void> {
    // fetch writes refs through the remote's refspecs: mirror the server's names locally.
    await this.repo.init({ refspecs: MIRROR_REFSPECS });
  }

  /** All refs on the server: one GET of info/refs. */
  listServerRefs(http: HttpClient, url: string, headers: Record<string, string>): Promise<AdvertisedRef[]> {
    return this.repo.listServerRefs({ http, url, headers });
  }

  /**
   * Fetches one server ref with its full history (not shallow), offering `haveRef` (a local ref
   * whose objects we hold) so the server sends only what is new. Returns the fetched commit.
   */
  fetchRef(http: HttpClient, url: string, headers: Record<string, string>, ref: string, haveRef: string | undefined): Promise<string> {
    // `localRef` is only read (to choose the "have"); the mirror refspecs write `ref` itself.
    return this.repo.fetch({ http, url, headers }, { remoteRef: ref, localRef: haveRef ?? ref, writtenRef: ref });
  }

  async hasCommit(oid: string): Promise<boolean> {
    return this.repo.readCommit(oid).then(() => true, () => false);
  }

  /** The local ref's commit, or undefined. */
  localRef(ref: string): Promise<string | undefined> {
    return this.repo.resolveRef(ref);
  }

  setRef(ref: string, oid: string): Promise<void> {
    return this.repo.writeRef(ref, oid);
  }

  /** Drops a local ref (the objects stay; they are shared with other branches). */
  deleteRef(ref: string): Promise<void> {
    return this.repo.deleteRef(ref);
  }

  /**
   * Files under `prefix` at `commit`, keyed by path from the repository root. Regular and
   * executable files only: symlinks and submodules are not deployable content and are skipped.
   * A prefix that does not exist at that commit gives an empty map.
   */
  async readTree(commit: string, prefix: string): Promise<Map<string, Uint8Array>> {
    let commitTree: string;
    try {
      commitTree = (await this.repo.readCommit(commit)).tree;
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
      const e = (await this.repo.readTree(oid)).find((x) => x.path === part);
      if (!e || e.type !== 'tree') return undefined;
      oid = e.oid;
    }
    return oid;
  }

  private async walk(tree: string, base: string, out: Map<string, Uint8Array>): Promise<void> {
    for (const e of await this.repo.readTree(tree)) {
      const p = base ? `${base}/${e.path}` : e.path;
      if (e.type === 'tree') await this.walk(e.oid, p, out);
      else if (e.type === 'blob' && (e.mode === '100644' || e.mode === '100755')) out.set(p, await this.repo.readBlob(e.oid));
    }
  }
}
