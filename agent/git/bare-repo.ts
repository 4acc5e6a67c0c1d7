// The one owner of isomorphic-git: a bare repository (no work tree, ever) with the fs, the pack
// cache and the library's workarounds bound once. The git source (a reader that mirrors the
// server's branches) and the deploy log (a writer of the `deploy-log` branch) both stand on it;
// nothing else imports isomorphic-git (eslint.config.js enforces it).
import fs from 'node:fs';
import git from 'isomorphic-git';
import type { HttpClient, TreeEntry } from 'isomorphic-git';

export type { HttpClient, TreeEntry };

export interface AdvertisedRef { ref: string; oid: string }

export interface Remote {
  http: HttpClient;
  url: string;
  /** A fresh copy is passed on every call: isomorphic-git adds `Git-Protocol` to the object it is given, which would break a later protocol-v1 call. */
  headers?: Record<string, string>;
}

export interface FetchOptions {
  /** Server ref to fetch (`refs/heads/x`, `refs/pull/7/head`). */
  remoteRef: string;
  /** Local ref isomorphic-git reads to choose its "have" (and, with mirror refspecs, writes). */
  localRef: string;
  /** The local ref the fetch writes, read back when the library fails after writing it (HEAD workaround). */
  writtenRef: string;
  depth?: number;
}

export class BareRepo {
  /** isomorphic-git re-reads every pack index on each call without a cache: one per repository. */
  private readonly cache: object = {};

  constructor(readonly gitdir: string) {}

  /** Creates the repository when missing (idempotent); `refspecs` become remote.origin.fetch. */
  async init(opts: { defaultBranch?: string; remoteUrl?: string; refspecs?: string[] } = {}): Promise<void> {
    await fs.promises.mkdir(this.gitdir, { recursive: true });
    if (!fs.existsSync(`${this.gitdir}/config`)) {
      await git.init({ fs, gitdir: this.gitdir, bare: true, ...(opts.defaultBranch ? { defaultBranch: opts.defaultBranch } : {}) });
      for (const [i, value] of (opts.refspecs ?? []).entries()) await git.setConfig({ fs, gitdir: this.gitdir, path: 'remote.origin.fetch', value, append: i > 0 });
    }
    if (opts.remoteUrl !== undefined) await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: opts.remoteUrl, force: true });
  }

  /** Refs on the server: one GET of info/refs (protocol v1; v2 would need a second request). */
  async listServerRefs(remote: Remote, prefix?: string): Promise<AdvertisedRef[]> {
    const refs = await git.listServerRefs({ http: remote.http, url: remote.url, headers: { ...remote.headers }, protocolVersion: 1, ...(prefix ? { prefix } : {}) });
    return refs.map((r) => ({ ref: r.ref, oid: r.oid }));
  }

  /** Fetches one server ref (single branch, no tags); returns the fetched commit. */
  async fetch(remote: Remote, o: FetchOptions): Promise<string> {
    try {
      const res = await git.fetch({
        fs, http: remote.http, gitdir: this.gitdir, cache: this.cache, url: remote.url, headers: { ...remote.headers },
        ref: o.localRef, remoteRef: o.remoteRef, remote: 'origin', singleBranch: true, tags: false,
        ...(o.depth ? { depth: o.depth } : {}),
      });
      if (!res.fetchHead) throw new Error(`server has no ref ${o.remoteRef}`);
      return res.fetchHead;
    } catch (e) {
      // isomorphic-git looks up the remote HEAD after the objects and the ref are written; a
      // server whose HEAD names a branch with no commits does not advertise HEAD and that look-up
      // throws. The fetch itself succeeded when the ref it writes is there.
      if ((e as { code?: string }).code === 'NotFoundError' && (e as { data?: { what?: string } }).data?.what === 'HEAD') {
        const written = await this.resolveRef(o.writtenRef);
        if (written) return written;
        throw new Error(`cannot fetch ${o.remoteRef}: the repository's HEAD (default branch) has no commits; push the default branch first`, { cause: e });
      }
      throw e;
    }
  }

  /**
   * Fast-forward push of `localRef` to `remoteRef`, never forced. `expect` sees the remote's
   * current oid before anything is sent and may stop the push (returns false).
   */
  async push(remote: Remote, o: { localRef: string; remoteRef: string; expect: (remoteOid: string) => boolean }): Promise<{ ok: boolean; error?: string }> {
    const res = await git.push({
      fs, cache: this.cache, http: remote.http, gitdir: this.gitdir, url: remote.url, ref: o.localRef, remoteRef: o.remoteRef, force: false, headers: { ...remote.headers },
      onPrePush: ({ remoteRef }) => o.expect(remoteRef.oid),
    });
    const r = res.refs?.[o.remoteRef];
    return { ok: Boolean(res.ok && (!r || r.ok)), ...(r?.error ?? res.error ? { error: r?.error ?? res.error ?? undefined } : {}) };
  }

  async resolveRef(ref: string): Promise<string | undefined> {
    try { return await git.resolveRef({ fs, gitdir: this.gitdir, ref }); } catch { return undefined; }
  }

  async writeRef(ref: string, oid: string): Promise<void> {
    await git.writeRef({ fs, gitdir: this.gitdir, ref, value: oid, force: true });
  }

  /** Drops a ref (objects stay; other refs may share them). */
  async deleteRef(ref: string): Promise<void> {
    await git.deleteRef({ fs, gitdir: this.gitdir, ref }).catch(() => undefined);
  }

  async hasObject(oid: string): Promise<boolean> {
    try { await git.readObject({ fs, cache: this.cache, gitdir: this.gitdir, oid, format: 'deflated' }); return true; } catch { return false; }
  }

  /** A commit's tree and parents; throws when the commit is not in the repository. */
  async readCommit(oid: string): Promise<{ tree: string; parents: string[] }> {
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return { tree: commit.tree, parents: commit.parent };
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    return (await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache })).tree;
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    return (await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache })).blob;
  }

  /** A file's content at a commit, or undefined when it is not there. */
  async readFileAt(commit: string, filepath: string): Promise<Uint8Array | undefined> {
    try { return (await git.readBlob({ fs, cache: this.cache, gitdir: this.gitdir, oid: commit, filepath })).blob; } catch { return undefined; }
  }

  writeBlob(content: Uint8Array): Promise<string> {
    return git.writeBlob({ fs, gitdir: this.gitdir, blob: content });
  }

  writeTree(entries: TreeEntry[]): Promise<string> {
    return git.writeTree({ fs, gitdir: this.gitdir, tree: entries });
  }

  writeCommit(c: { tree: string; parents: string[]; message: string; name: string; email: string; timestamp: number }): Promise<string> {
    const who = { name: c.name, email: c.email, timestamp: c.timestamp, timezoneOffset: 0 };
    return git.writeCommit({ fs, gitdir: this.gitdir, commit: { tree: c.tree, parent: c.parents, message: c.message, author: who, committer: who } });
  }
}
