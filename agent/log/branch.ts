// The deploy log's branch: a private bare store (agent/git/bare-repo.ts) that mirrors the remote
// `deploy-log` branch, reads its files as blobs, and writes commits without a work tree.
import { BareRepo, type Remote, type TreeEntry } from '../git/bare-repo.js';
import { GitHttp } from '../git/http-transport.js';

export const LOG_BRANCH = 'deploy-log';
const REMOTE_REF = `refs/heads/${LOG_BRANCH}`;
const OUT_REF = 'refs/heads/deploy-log-out';
const KNOWN_REF = `refs/heads/${LOG_BRANCH}`;

const ZERO_OID = '0'.repeat(40);

function pushConflict(message: string): Error {
  return Object.assign(new Error(message), { code: 'GitPushError' });
}

export interface BranchOptions {
  gitdir: string;
  url: string;
  headers?: Record<string, string>;
  /** The transport (timeouts, ref-advertisement replay); default: one with 30 s timeouts. */
  http?: GitHttp;
}

/** True for the two ways a concurrent pusher loses (notes: library-notes.md). */
export function isPushConflict(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'PushRejectedError' || code === 'GitPushError';
}

export class LogBranch {
  private initialised = false;
  private readonly repo: BareRepo;
  private readonly http: GitHttp;
  private readonly ownsHttp: boolean;
  constructor(private readonly o: BranchOptions) {
    this.repo = new BareRepo(o.gitdir);
    this.ownsHttp = !o.http;
    this.http = o.http ?? new GitHttp({ timeoutMs: 30_000 });
  }

  private remote(): Remote {
    return { http: this.http, url: this.o.url, headers: this.o.headers };
  }

  private async init(): Promise<void> {
    if (this.initialised) return;
    await this.repo.init({ defaultBranch: LOG_BRANCH, remoteUrl: this.o.url });
    this.initialised = true;
  }

  /** The remote tip of deploy-log (fetched into the store), or undefined when the branch does not exist. */
  async fetchTip(): Promise<string | undefined> {
    await this.init();
    // The listing and the discovery step of the fetch that follows are the same GET: the second
    // is answered from the first (one request less per round, and the fetch sees the tip the
    // listing saw).
    this.http.beginReplay();
    try {
      const refs = await this.repo.listServerRefs(this.remote(), REMOTE_REF);
      const tip = refs.find((r) => r.ref === REMOTE_REF)?.oid;
      if (!tip || (await this.has(tip))) return tip;
      await this.repo.fetch(this.remote(), { remoteRef: REMOTE_REF, localRef: LOG_BRANCH, writtenRef: `refs/remotes/origin/${LOG_BRANCH}` });
      await this.setKnownTip(tip);
      return tip;
    } finally {
      this.http.endReplay();
    }
  }

  /**
   * refs/heads/deploy-log in the store = the last remote tip we know. isomorphic-git's single-branch
   * fetch offers exactly this ref as its "have": without it every fetch downloads the whole history.
   */
  private async setKnownTip(oid: string): Promise<void> {
    await this.repo.writeRef(KNOWN_REF, oid);
  }

  /** Fetches another branch (e.g. production, for the pinned keys); its commit, or undefined. */
  async fetchBranch(ref: string): Promise<string | undefined> {
    await this.init();
    return this.repo.fetch(this.remote(), { remoteRef: `refs/heads/${ref}`, localRef: ref, writtenRef: `refs/remotes/origin/${ref}`, depth: 1 });
  }

  /** A file's content at a commit, or undefined when it is not there. */
  async readFileAt(commit: string, filepath: string): Promise<Buffer | undefined> {
    const blob = await this.repo.readFileAt(commit, filepath);
    return blob && Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  }

  async has(oid: string): Promise<boolean> {
    return this.repo.hasObject(oid);
  }

  /** Root tree entries of a commit ([] for none). */
  async rootTree(commit: string | undefined): Promise<TreeEntry[]> {
    if (!commit) return [];
    return this.repo.readTree(commit);
  }

  async subTree(oid: string): Promise<TreeEntry[]> {
    return this.repo.readTree(oid);
  }

  async readBlob(oid: string): Promise<Buffer> {
    const blob = await this.repo.readBlob(oid);
    return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  }

  writeBlob(content: string | Buffer): Promise<string> {
    return this.repo.writeBlob(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
  }

  writeTree(entries: TreeEntry[]): Promise<string> {
    return this.repo.writeTree(entries);
  }

  writeCommit(c: { tree: string; parent?: string; message: string; name: string; email: string; timestamp: number }): Promise<string> {
    return this.repo.writeCommit({ ...c, parents: c.parent ? [c.parent] : [] });
  }

  /**
   * Fast-forward push of `commit`, whose parent is `parent` (undefined: creates the branch). Never
   * forced. Conflicts throw (see isPushConflict). When the push's own ref discovery shows the tip
   * moved, it stops there: isomorphic-git would otherwise walk the whole history (unknown remote
   * tip → no merge base) before refusing the non-fast-forward.
   */
  async push(commit: string, parent: string | undefined): Promise<void> {
    await this.repo.writeRef(OUT_REF, commit);
    let movedTo: string | undefined;
    try {
      const expected = parent ?? ZERO_OID;
      const res = await this.repo.push(this.remote(), {
        localRef: OUT_REF, remoteRef: REMOTE_REF,
        expect: (oid) => { if (oid !== expected) movedTo = oid; return oid === expected; },
      });
      if (!res.ok) throw pushConflict(`push of ${LOG_BRANCH} rejected: ${res.error ?? 'unknown'}`);
      await this.setKnownTip(commit);
    } catch (e) {
      if (movedTo !== undefined) throw pushConflict(`${LOG_BRANCH} moved to ${movedTo.slice(0, 12)} while this commit was built`);
      throw e;
    }
  }

  /** A commit's parents (for walking the branch's history). */
  async commitParents(oid: string): Promise<string[]> {
    return (await this.repo.readCommit(oid)).parents;
  }

  /** The commit a ref (e.g. HEAD of a checkout) names, or undefined. */
  async resolveRef(ref: string): Promise<string | undefined> {
    return this.repo.resolveRef(ref);
  }

  /** All files of a commit's tree as path → blob oid (two levels: README.md, hosts/*). */
  async listFiles(commit: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const e of await this.rootTree(commit)) {
      if (e.type === 'blob') out.set(e.path, e.oid);
      else if (e.type === 'tree') for (const s of await this.subTree(e.oid)) if (s.type === 'blob') out.set(`${e.path}/${s.path}`, s.oid);
    }
    return out;
  }

  /** Closes the transport when this branch made its own. */
  async close(): Promise<void> {
    if (this.ownsHttp) await this.http.close();
  }
}
