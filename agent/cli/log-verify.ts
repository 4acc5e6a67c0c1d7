// `autoinfra log verify`: offline check of the deploy log (seq, chain, signatures against pinned
// keys and their windows, missing hosts, witnesses, an optional checkpoint, append-only history).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatProblem } from '../../shared/errors.js';
import { advanceCheckpoint, parseCheckpoint, renderCheckpoint, type Checkpoint } from '../../shared/log/checkpoint.js';
import { parsePinnedKeys, type PinnedKeys } from '../../shared/log/pinned-keys.js';
import type { HostReport, LogFile } from '../../shared/log/verify.js';
import type { HistoryReport } from '../log/branch-history.js';
import { dirHistory, LogSourceError, POLICY_BRANCH, POLICY_FILE, readLogDir, RemoteLog } from '../log/log-source.js';
import { verifyLogFiles } from '../log/verify-log.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import type { CliContext } from './program.js';

interface Options { repo?: string; dir?: string; keys?: string; fast?: boolean; checkpoint?: string; allowMissing: string[] }

const collect = (v: string, all: string[]): string[] => [...all, ...v.split(',').filter(Boolean)];

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('verify')
    .description('verify the deploy log offline: sequence, hash chain, signatures, missing or truncated hosts, append-only history')
    .option('--repo <url>', 'fetch the deploy-log branch from this repo (credentials may be in the URL)')
    .option('--dir <dir>', 'verify a checked-out deploy-log directory (its git history too, when it is a git checkout)')
    .option('--keys <file>', `pinned agent public keys: an autoinfra.yml with agents.<host>.signing_key(s), or "host key [since=…] [until=…]" lines (default with --repo: ${POLICY_FILE} on ${POLICY_BRANCH})`)
    .option('--fast', "check only each file's last signature: the hash chain carries it back to every earlier line")
    .option('--checkpoint <file>', 'remember the last verified (seq, hash) per host in FILE and fail if the log ever goes back below it; FILE is created or advanced only when everything verifies')
    .option('--allow-missing <host>', 'a pinned host that may have no entries yet (repeatable, or comma-separated)', collect, [])
    .action(async (opts: Options) => {
      const ok = await verifyCommand(opts, ctx);
      process.exitCode = ok ? 0 : 1;
    });
}

async function readCheckpoint(file: string): Promise<Checkpoint | undefined> {
  let text: string;
  try { text = await readFile(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LogSourceError(`cannot read checkpoint ${file}: ${(e as Error).message}`, { file });
  }
  return parseCheckpoint(file, text);
}

async function verifyCommand(opts: Options, ctx: CliContext): Promise<boolean> {
  if (!!opts.repo === !!opts.dir) throw new LogSourceError('give exactly one of --repo URL or --dir DIR');
  const checkpoint = opts.checkpoint ? await readCheckpoint(opts.checkpoint) : undefined;
  const remote = opts.repo ? new RemoteLog(opts.repo) : undefined;
  try {
    const files: LogFile[] = remote ? await remote.files() : await readLogDir(opts.dir as string);
    let pinned: PinnedKeys;
    if (opts.keys) pinned = parsePinnedKeys(opts.keys, await readFile(opts.keys, 'utf8'));
    else {
      const text = await remote?.policyText();
      if (text === undefined) throw new LogSourceError(`no pinned keys: pass --keys FILE${remote ? ` (${POLICY_FILE} not found on ${POLICY_BRANCH})` : ''}`);
      pinned = parsePinnedKeys(`${POLICY_BRANCH}:${POLICY_FILE}`, text);
    }
    const reports = await verifyLogFiles(files, pinned, opts.fast ? 'anchored' : 'all', {
      now: Date.now(),
      allowMissing: opts.allowMissing,
      checkpoint: checkpoint && opts.checkpoint ? { file: opts.checkpoint, marks: checkpoint } : undefined,
    });
    const history = remote ? await remote.history() : await dirHistory(opts.dir as string);
    const ok = reports.every((r) => r.ok) && !history?.problem;
    ctx.out(renderReports(reports, history));
    if (ok && opts.checkpoint) {
      await writeFileAtomic(opts.checkpoint, renderCheckpoint(advanceCheckpoint(checkpoint, reports)), 0o644);
    }
    return ok;
  } finally {
    remote?.dispose();
  }
}

export function renderReports(reports: readonly HostReport[], history?: HistoryReport): string {
  const lines: string[] = [];
  const width = Math.max(7, ...reports.map((r) => r.host.length));
  for (const r of reports) {
    if (!r.ok) lines.push(`FAILED  ${r.host.padEnd(width)}  ${formatProblem({ file: r.problem?.file, line: r.problem?.line, reason: r.problem?.reason ?? 'unknown' })}`);
    else if (r.note) lines.push(`note    ${r.host.padEnd(width)}  ${r.note}`);
    else lines.push(`ok      ${r.host.padEnd(width)}  ${r.lines} line${r.lines === 1 ? '' : 's'}${r.lines ? ` (seq 1–${r.lastSeq}), last ${r.lastTime}` : ''}${r.keys.length ? `, key ${r.keys.join(', ')}` : ''}`);
  }
  if (history?.problem) lines.push(`FAILED  ${'history'.padEnd(width)}  commit ${history.problem.commit.slice(0, 12)}: ${history.problem.reason}`);
  else if (history) lines.push(`ok      ${'history'.padEnd(width)}  ${history.commits} commit${history.commits === 1 ? '' : 's'}, every one only appended`);
  const failed = reports.filter((r) => !r.ok).length;
  const withFiles = reports.filter((r) => !r.note);
  const total = reports.reduce((n, r) => n + r.lines, 0);
  const hosts = (n: number): string => `${n} host${n === 1 ? '' : 's'}`;
  if (failed === 0 && !history?.problem) lines.push(`deploy log verified: ${hosts(withFiles.length)}, ${total} lines`);
  else lines.push(`deploy log NOT verified: ${failed} of ${hosts(reports.length)} failed${history?.problem ? '; the branch history was rewritten' : ''}`);
  return lines.join('\n');
}
