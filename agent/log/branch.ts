// The one place the deploy log touches isomorphic-git: a private bare store that mirrors the
// remote `deploy-log` branch, reads its files as blobs, and writes commits without a work tree.
import fs from 'node:fs';
import git, { type GitHttpRequest, type GitHttpResponse, type HttpClient, type TreeEntry } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';

export const LOG_BRANCH = 'deploy-log';
const REMOTE_REF = `refs/heads/${LOG_BRANCH}`;
const OUT_REF = 'refs/heads/deploy-log-out';
const KNOWN_REF = `refs/heads/${LOG_BRANCH}`;

const ZERO_OID = '0'.repeat(40);

async function* once(body: Uint8Array): AsyncIterableIterator<Uint8Array> {
  yield body;
}

function pushConflict(message: string): Error {
  return Object.assign(new Error(message), { code: 'GitPushError' });
}

export interface BranchOptions {
  gitdir: string;
  url: string;
  headers?: Record<string, string>;
  /** isomorphic-git HTTP client (e.g. one with timeouts); default isomorphic-git/http/node. */
  http?: HttpClient;
}

/** True for the two ways a concurrent pusher loses (notes: library-notes.md). */
export function isPushConflict(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'PushRejectedError' || code === 'GitPushError';
}

export class LogBranch {
  private initialised = false;
  // isomorphic-git re-reads every pack index on each call without a cache: keep one per store.
  private readonly cache: object = {};
  private readonly http: HttpClient;
  private readonly inner: HttpClient;
  private advert?: { url: string; res: GitHttpResponse; body: Buffer };
  constructor(private readonly o: BranchOptions) {
    this.inner = o.http ?? nodeHttp;
    this.http = { request: (req) => this.request(req) };
  }

  // The ref listing of fetchTip() and the discovery step of the fetch that follows are the same
  // GET: the second is answered from the first (one request less per round, and the fetch is
  // guaranteed to see the tip the listing saw).
  private async request(req: GitHttpRequest): Promise<GitHttpResponse> {
    const isAdvert = (req.method ?? 'GET') === 'GET' && req.url.endsWith('/info/refs?service=git-upload-pack');
    const kept = this.advert;
    this.advert = undefined;
    if (isAdvert && kept && kept.url === req.url) return { ...kept.res, body: once(kept.body) };
    const res = await this.inner.request(req);
    if (!isAdvert || res.statusCode !== 200 || !res.body) return res;
    const chunks: Uint8Array[] = [];
    for await (const c of res.body) chunks.push(c);
    const body = Buffer.concat(chunks);
    this.advert = { url: req.url, res, body };
    return { ...res, body: once(body) };
  }

  // A fresh object per call: isomorphic-git adds `Git-Protocol` to the headers it is given, which
  // would then break a later protocol-v1 push on the same object.
  private headers(): Record<string, string> {
    return { ...this.o.headers };
  }

  private async init(): Promise<void> {
    if (this.initialised) return;
    await git.init({ fs, gitdir: this.o.gitdir, bare: true, defaultBranch: LOG_BRANCH });
    await git.addRemote({ fs, gitdir: this.o.gitdir, remote: 'origin', url: this.o.url, force: true });
    this.initialised = true;
  }

  /** The remote tip of deploy-log (fetched into the store), or undefined when the branch does not exist. */
  async fetchTip(): Promise<string | undefined> {
    await this.init();
    const refs = await git.listServerRefs({ http: this.http, url: this.o.url, headers: this.headers(), prefix: REMOTE_REF, protocolVersion: 1 });
    const tip = refs.find((r) => r.ref === REMOTE_REF)?.oid;
    if (!tip || (await this.has(tip))) { this.advert = undefined; return tip; }
    try {
      await git.fetch({ fs, cache: this.cache, http: this.http, gitdir: this.o.gitdir, remote: 'origin', ref: LOG_BRANCH, singleBranch: true, tags: false, headers: this.headers() });
      await this.setKnownTip(tip);
    } catch (e) {
      // isomorphic-git 1.44 cannot fetch from a repo whose HEAD names a branch with no commits.
      if ((e as { code?: string }).code === 'NotFoundError' && (e as { data?: { what?: string } }).data?.what === 'HEAD') {
        throw new Error(`cannot fetch ${LOG_BRANCH}: the repository's HEAD (default branch) has no commits; push the default branch first`, { cause: e });
      }
      throw e;
    }
    return tip;
  }

  /**
   * refs/heads/deploy-log in the store = the last remote tip we know. isomorphic-git's single-branch
   * fetch offers exactly this ref as its "have": without it every fetch downloads the whole history.
   */
  private async setKnownTip(oid: string): Promise<void> {
    await git.writeRef({ fs, gitdir: this.o.gitdir, ref: KNOWN_REF, value: oid, force: true });
  }

  /** Fetches another branch (e.g. production, for the pinned keys); its commit, or undefined. */
  async fetchBranch(ref: string): Promise<string | undefined> {
    await this.init();
    const r = await git.fetch({ fs, cache: this.cache, http: this.http, gitdir: this.o.gitdir, remote: 'origin', ref, singleBranch: true, depth: 1, tags: false, headers: this.headers() });
    return r.fetchHead ?? undefined;
  }

  /** A file's content at a commit, or undefined when it is not there. */
  async readFileAt(commit: string, filepath: string): Promise<Buffer | undefined> {
    try {
      const { blob } = await git.readBlob({ fs, cache: this.cache, gitdir: this.o.gitdir, oid: commit, filepath });
      return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    } catch {
      return undefined;
    }
  }

  async has(oid: string): Promise<boolean> {
    try { await git.readObject({ fs, cache: this.cache, gitdir: this.o.gitdir, oid, format: 'deflated' }); return true; } catch { return false; }
  }

  /** Root tree entries of a commit ([] for none). */
  async rootTree(commit: string | undefined): Promise<TreeEntry[]> {
    if (!commit) return [];
    return (await git.readTree({ fs, cache: this.cache, gitdir: this.o.gitdir, oid: commit })).tree;
  }

  async subTree(oid: string): Promise<TreeEntry[]> {
    return (await git.readTree({ fs, cache: this.cache, gitdir: this.o.gitdir, oid })).tree;
  }

  async readBlob(oid: string): Promise<Buffer> {
    const { blob } = await git.readBlob({ fs, cache: this.cache, gitdir: this.o.gitdir, oid });
    return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  }

  writeBlob(content: string | Buffer): Promise<string> {
    return git.writeBlob({ fs, gitdir: this.o.gitdir, blob: typeof content === 'string' ? Buffer.from(content, 'utf8') : content });
  }

  writeTree(entries: TreeEntry[]): Promise<string> {
    return git.writeTree({ fs, gitdir: this.o.gitdir, tree: entries });
  }

  writeCommit(c: { tree: string; parent?: string; message: string; name: string; email: string; timestamp: number }): Promise<string> {
    const who = { name: c.name, email: c.email, timestamp: c.timestamp, timezoneOffset: 0 };
    return git.writeCommit({ fs, gitdir: this.o.gitdir, commit: { tree: c.tree, parent: c.parent ? [c.parent] : [], message: c.message, author: who, committer: who } });
  }

  /**
   * Fast-forward push of `commit`, whose parent is `parent` (undefined: creates the branch). Never
   * forced. Conflicts throw (see isPushConflict). When the push's own ref discovery shows the tip
   * moved, it stops there: isomorphic-git would otherwise walk the whole history (unknown remote
   * tip → no merge base) before refusing the non-fast-forward.
   */
  async push(commit: string, parent: string | undefined): Promise<void> {
    await git.writeRef({ fs, gitdir: this.o.gitdir, ref: OUT_REF, value: commit, force: true });
    let movedTo: string | undefined;
    try {
      const res = await git.push({
        fs, cache: this.cache, http: this.http, gitdir: this.o.gitdir, url: this.o.url, ref: OUT_REF, remoteRef: REMOTE_REF, force: false, headers: this.headers(),
        onPrePush: ({ remoteRef }) => {
          const expected = parent ?? ZERO_OID;
          if (remoteRef.oid !== expected) movedTo = remoteRef.oid;
          return remoteRef.oid === expected;
        },
      });
      const r = res.refs?.[REMOTE_REF];
      if (!res.ok || (r && !r.ok)) throw pushConflict(`push of ${LOG_BRANCH} rejected: ${r?.error ?? res.error ?? 'unknown'}`);
      await this.setKnownTip(commit);
    } catch (e) {
      if (movedTo !== undefined) throw pushConflict(`${LOG_BRANCH} moved to ${movedTo.slice(0, 12)} while this commit was built`);
      throw e;
    }
  }

  /** A commit's parents (for walking the branch's history). */
  async commitParents(oid: string): Promise<string[]> {
    return (await git.readCommit({ fs, cache: this.cache, gitdir: this.o.gitdir, oid })).commit.parent;
  }

  /** The commit a ref (e.g. HEAD of a checkout) names, or undefined. */
  async resolveRef(ref: string): Promise<string | undefined> {
    try { return await git.resolveRef({ fs, gitdir: this.o.gitdir, ref }); } catch { return undefined; }
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
}
