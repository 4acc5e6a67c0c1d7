// `autoinfra log verify`: offline check of the deploy log (seq, chain, signatures against pinned keys).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatProblem } from '../../shared/errors.js';
import { parsePinnedKeys, type PinnedKeys } from '../../shared/log/pinned-keys.js';
import type { HostReport, LogFile } from '../../shared/log/verify.js';
import { LogSourceError, POLICY_BRANCH, POLICY_FILE, readLogDir, RemoteLog } from '../log/log-source.js';
import { verifyLogFiles } from '../log/verify-log.js';
import type { CliContext } from './program.js';

interface Options { repo?: string; dir?: string; keys?: string; fast?: boolean }

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('verify')
    .description('verify the deploy log offline: sequence, hash chain and signatures')
    .option('--repo <url>', 'fetch the deploy-log branch from this repo (credentials may be in the URL)')
    .option('--dir <dir>', 'verify a checked-out deploy-log directory')
    .option('--keys <file>', `pinned agent public keys: an autoinfra.yml with agents.<host>.signing_key, or "host key" lines (default with --repo: ${POLICY_FILE} on ${POLICY_BRANCH})`)
    .option('--fast', "check only each file's last signature: the hash chain carries it back to every earlier line")
    .action(async (opts: Options) => {
      const ok = await verifyCommand(opts, ctx);
      process.exitCode = ok ? 0 : 1;
    });
}

async function verifyCommand(opts: Options, ctx: CliContext): Promise<boolean> {
  if (!!opts.repo === !!opts.dir) throw new LogSourceError('give exactly one of --repo URL or --dir DIR');
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
    const reports = await verifyLogFiles(files, pinned, opts.fast ? 'anchored' : 'all');
    ctx.out(renderReports(reports, pinned));
    return reports.every((r) => r.ok);
  } finally {
    remote?.dispose();
  }
}

export function renderReports(reports: readonly HostReport[], pinned: PinnedKeys): string {
  const lines: string[] = [];
  const width = Math.max(4, ...reports.map((r) => r.host.length));
  for (const r of reports) {
    if (r.ok) lines.push(`ok      ${r.host.padEnd(width)}  ${r.lines} line${r.lines === 1 ? '' : 's'}${r.lines ? ` (seq 1–${r.lastSeq}), last ${r.lastTime}` : ''}${r.keys.length ? `, key ${r.keys.join(', ')}` : ''}`);
    else lines.push(`FAILED  ${r.host.padEnd(width)}  ${formatProblem({ file: r.problem?.file, line: r.problem?.line, reason: r.problem?.reason ?? 'unknown' })}`);
  }
  const seen = new Set(reports.map((r) => r.host));
  for (const host of [...pinned.keys()].filter((h) => !seen.has(h)).sort()) lines.push(`note    ${host.padEnd(width)}  pinned but has no log file yet`);
  const failed = reports.filter((r) => !r.ok).length;
  const total = reports.reduce((n, r) => n + r.lines, 0);
  lines.push(failed === 0
    ? `deploy log verified: ${reports.length} host${reports.length === 1 ? '' : 's'}, ${total} lines`
    : `deploy log NOT verified: ${failed} of ${reports.length} host${reports.length === 1 ? '' : 's'} failed`);
  return lines.join('\n');
}
