// Where `autoinfra log verify|show` read the log from: the deploy-log branch of a remote repo
// (fetched into a temp bare store, agent/git; no work tree), a checked-out directory,
// or this host's local queue. Also finds the pinned keys (default: infra/autoinfra.yml on production).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AutoinfraError } from '../../shared/errors.js';
import type { LogFile } from '../../shared/log/verify.js';
import { LogBranch } from './branch.js';
import { checkAppendOnly, type HistoryReport } from './branch-history.js';

export class LogSourceError extends AutoinfraError {
  static readonly code = 'E_LOG_SOURCE';
  constructor(reason: string, data: Record<string, unknown> = {}) {
    super(LogSourceError.code, `deploy log: ${reason}`, data);
    this.name = 'LogSourceError';
  }
}

export const POLICY_FILE = 'infra/autoinfra.yml';
export const POLICY_BRANCH = 'production';

/** A temp bare store for one command; `dispose()` removes it. */
export class RemoteLog {
  readonly gitdir = mkdtempSync(path.join(tmpdir(), 'autoinfra-log-'));
  private readonly branch: LogBranch;
  private tip?: string;
  constructor(readonly url: string, headers?: Record<string, string>) {
    this.branch = new LogBranch({ gitdir: this.gitdir, url, headers });
  }

  /** Every file on the deploy-log tip ([] when the branch does not exist). */
  async files(): Promise<LogFile[]> {
    const tip = await this.branch.fetchTip();
    if (!tip) throw new LogSourceError(`${this.url} has no deploy-log branch`, { url: this.url });
    this.tip = tip;
    const out: LogFile[] = [];
    for (const [p, oid] of await this.branch.listFiles(tip)) out.push({ path: p, text: (await this.branch.readBlob(oid)).toString('utf8') });
    return out;
  }

  /** Whether the branch only ever appended, up to the tip files() read. */
  async history(): Promise<HistoryReport> {
    if (!this.tip) await this.files();
    return checkAppendOnly(this.branch, this.tip as string);
  }

  /** infra/autoinfra.yml on production (undefined when the branch or file is missing). */
  async policyText(): Promise<string | undefined> {
    let commit: string | undefined;
    try { commit = await this.branch.fetchBranch(POLICY_BRANCH); } catch { return undefined; }
    return commit ? (await this.branch.readFileAt(commit, POLICY_FILE))?.toString('utf8') : undefined;
  }

  dispose(): void {
    void this.branch.close();
    rmSync(this.gitdir, { recursive: true, force: true });
  }
}

/** `hosts/*.jsonl` (and README.md) of a checked-out deploy-log directory. */
export async function readLogDir(dir: string): Promise<LogFile[]> {
  let names: string[];
  try { names = await readdir(path.join(dir, 'hosts')); } catch (e) {
    throw new LogSourceError(`${dir} has no hosts/ directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { dir });
  }
  const out: LogFile[] = [];
  for (const n of names.filter((x) => x.endsWith('.jsonl')).sort()) out.push({ path: `hosts/${n}`, text: await readFile(path.join(dir, 'hosts', n), 'utf8') });
  return out;
}

/** The append-only check of a checked-out directory's git history (HEAD), or undefined when it is not a git checkout. */
export async function dirHistory(dir: string): Promise<HistoryReport | undefined> {
  const gitdir = path.join(dir, '.git');
  if (!existsSync(gitdir)) return undefined;
  const branch = new LogBranch({ gitdir, url: '' });
  try {
    const head = await branch.resolveRef('HEAD');
    if (!head) return undefined;
    return await checkAppendOnly(branch, head);
  } finally {
    await branch.close();
  }
}
