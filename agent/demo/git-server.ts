// A git smart-HTTP server: `git http-backend` behind node:http on 127.0.0.1:0. The demo serves its
// deployment repo with it and the tests use it as their git host.
// Optional basic auth, push enabled, a request log to assert on, and plumbing helpers that
// write commits straight into the bare repos (no work tree, no HTTP, so counts stay clean).
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { exec } from '../host-command.js';

export interface GitRequest { method: string; url: string; status: number; bytesOut: number }

export interface GitServerOptions {
  /** Require basic auth with these credentials (a token is sent as the password by agents). */
  auth?: { username: string; password: string };
  /** Fixed port (to restart a stopped server on the same URL). */
  port?: number;
  root?: string;
}

export class GitServer {
  readonly root: string;
  readonly requests: GitRequest[] = [];
  private server?: http.Server;
  private ownsRoot: boolean;
  port = 0;

  constructor(private readonly opts: GitServerOptions = {}) {
    this.ownsRoot = !opts.root;
    this.root = opts.root ?? mkdtempSync(path.join(tmpdir(), 'ai-git-'));
  }

  url(repo: string): string {
    return `http://127.0.0.1:${this.port}/${repo}.git`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port ?? this.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops accepting requests (the repos stay); `start()` brings it back on the same port. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsRoot) rmSync(this.root, { recursive: true, force: true });
  }

  resetCounts(): void {
    this.requests.length = 0;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const record: GitRequest = { method: req.method ?? 'GET', url: req.url ?? '/', status: 0, bytesOut: 0 };
    this.requests.push(record);
    const auth = this.opts.auth;
    let user = '';
    if (auth) {
      const header = req.headers.authorization ?? '';
      const [u, p] = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8').split(':') : ['', ''];
      if (u !== auth.username || p !== auth.password) {
        record.status = 401;
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
        res.end('unauthorized\n');
        return;
      }
      user = u;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: this.root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: user || 'test',
      REMOTE_ADDR: '127.0.0.1',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
    };
    const cgi = spawn('git', ['http-backend'], { env });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) { record.bytesOut += chunk.length; res.write(chunk); return; }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('utf8').split('\r\n')) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = parseInt(value, 10);
        else res.setHeader(name, value);
      }
      record.status = status;
      res.statusCode = status;
      const body = head.subarray(end + 4);
      record.bytesOut += body.length;
      res.write(body);
    });
    cgi.on('close', () => res.end());
    cgi.on('error', () => { res.statusCode = 500; res.end(); });
  }

  // --- repository helpers (plumbing directly on the bare repo) ---

  repoPath(repo: string): string {
    return path.join(this.root, `${repo}.git`);
  }

  async createRepo(repo: string): Promise<string> {
    const dir = this.repoPath(repo);
    await exec('git', ['init', '-q', '--bare', '-b', 'master', dir]);
    await this.git(repo, ['config', 'http.receivepack', 'true']);
    await this.git(repo, ['config', 'uploadpack.allowReachableSHA1InWant', 'true']);
    return dir;
  }

  git(repo: string, args: string[], input?: string | Buffer, env: NodeJS.ProcessEnv = {}): Promise<string> {
    return exec('git', ['--git-dir', this.repoPath(repo), ...args], { input, env: { ...process.env, ...COMMITTER, ...env } }).then((r) => r.stdout.trim());
  }

  /** The commit a ref points at, or undefined. */
  async head(repo: string, ref: string): Promise<string | undefined> {
    const full = ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
    const r = await exec('git', ['--git-dir', this.repoPath(repo), 'rev-parse', '--verify', '-q', full], { allowFail: true });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /**
   * Commits files onto a branch (or any ref). `files` maps path → content; null deletes.
   * With `replace`, the tree holds only `files`; otherwise it builds on the parent's tree.
   * With `parent: null` the commit has no parent (a force-push when the ref existed).
   */
  async commit(repo: string, ref: string, files: Record<string, string | Buffer | null>, opts: { message?: string; replace?: boolean; parent?: string | null } = {}): Promise<string> {
    const full = ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
    const parent = opts.parent === undefined ? await this.head(repo, full) : opts.parent ?? undefined;
    const tmp = mkdtempSync(path.join(tmpdir(), 'ai-idx-'));
    const env = { GIT_INDEX_FILE: path.join(tmp, 'index') };
    try {
      if (parent && !opts.replace) await this.git(repo, ['read-tree', parent], undefined, env);
      else await this.git(repo, ['read-tree', '--empty'], undefined, env);
      for (const [file, content] of Object.entries(files)) {
        if (content === null) {
          await this.git(repo, ['update-index', '--force-remove', file], undefined, env);
        } else {
          const sha = await this.git(repo, ['hash-object', '-w', '--stdin'], content);
          await this.git(repo, ['update-index', '--add', '--cacheinfo', `100644,${sha},${file}`], undefined, env);
        }
      }
      const tree = await this.git(repo, ['write-tree'], undefined, env);
      const args = ['commit-tree', tree, '-m', opts.message ?? `update ${Object.keys(files).join(', ')}`];
      if (parent) args.push('-p', parent);
      const sha = await this.git(repo, args);
      await this.git(repo, ['update-ref', full, sha]);
      // Like a real git host, keep HEAD on an existing branch (the first one pushed).
      // isomorphic-git cannot fetch from a server whose HEAD is dangling (not advertised).
      if (full.startsWith('refs/heads/') && !(await this.head(repo, 'HEAD'))) await this.git(repo, ['symbolic-ref', 'HEAD', full]);
      return sha;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  async deleteRef(repo: string, ref: string): Promise<void> {
    await this.git(repo, ['update-ref', '-d', ref.startsWith('refs/') ? ref : `refs/heads/${ref}`]);
  }

  /** File content at a ref (for reading back what an agent pushed). */
  async show(repo: string, ref: string, file: string): Promise<string> {
    return this.git(repo, ['show', `${ref}:${file}`]);
  }
}

const COMMITTER = {
  GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.invalid', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
};

export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  return new GitServer(opts).start();
}
