// `autoinfra log show`: a readable history from the deploy-log branch, a checked-out copy, or
// (by default) this host's local queue.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../../shared/duration.js';
import type { LogEntry } from '../../shared/log/entry.js';
import { splitLines, type LogFile } from '../../shared/log/verify.js';
import { loadAgentConfig } from '../config/load.js';
import { logPaths, QUEUE_FILE } from '../log/deploy-log.js';
import { LogSourceError, readLogDir, RemoteLog } from '../log/log-source.js';
import type { CliContext } from './program.js';

interface Options { host?: string; env?: string; since?: string; json?: boolean; repo?: string; dir?: string }

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('show')
    .description("print a readable history of the deploy log (default: this host's local queue)")
    .option('--host <host>', 'only this host')
    .option('--env <env>', 'only this environment')
    .option('--since <time>', 'only entries at or after this time (ISO-8601, or a duration ago such as 2h)')
    .option('--json', 'print the entries as JSON lines')
    .option('--repo <url>', 'read the deploy-log branch of this repo')
    .option('--dir <dir>', 'read a checked-out deploy-log directory')
    .action(async (opts: Options) => {
      const since = opts.since === undefined ? undefined : parseSince(opts.since, Date.now());
      const files = await readSource(opts, ctx);
      const entries = selectEntries(files, { host: opts.host, env: opts.env, since });
      ctx.out(opts.json ? entries.map((e) => JSON.stringify(e)).join('\n') : renderHistory(entries));
    });
}

async function readSource(opts: Options, ctx: CliContext): Promise<LogFile[]> {
  if (opts.repo && opts.dir) throw new LogSourceError('give at most one of --repo URL or --dir DIR');
  if (opts.repo) {
    const remote = new RemoteLog(opts.repo);
    try { return await remote.files(); } finally { remote.dispose(); }
  }
  if (opts.dir) return readLogDir(opts.dir);
  const config = await loadAgentConfig(ctx.globals().config);
  const file = path.join(logPaths(config.stateDir).queue, QUEUE_FILE);
  try {
    return [{ path: `hosts/${config.host}.jsonl`, text: await readFile(file, 'utf8') }];
  } catch (e) {
    throw new LogSourceError(`cannot read the local queue ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); use --repo or --dir`, { file });
  }
}

/** `2026-11-25T10:00:00Z` or a duration ago (`2h`, `30m`) → epoch ms. */
export function parseSince(text: string, now: number): number {
  const ago = parseDuration(text);
  if (ago !== undefined && !/^\d{4}-/.test(text)) return now - ago;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new LogSourceError(`--since "${text}" is neither an ISO-8601 time nor a duration such as 2h`);
  return t;
}

export function selectEntries(files: readonly LogFile[], f: { host?: string; env?: string; since?: number }): LogEntry[] {
  const out: LogEntry[] = [];
  for (const file of files) {
    if (!/^hosts\/[^/]+\.jsonl$/.test(file.path)) continue;
    for (const line of splitLines(file.text).lines) {
      let e: LogEntry;
      try { e = JSON.parse(line) as LogEntry; } catch { continue; }
      if (f.host && e.host !== f.host) continue;
      if (f.env && e.env !== f.env) continue;
      if (f.since !== undefined && Date.parse(e.time) < f.since) continue;
      out.push(e);
    }
  }
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.host < b.host ? -1 : a.host > b.host ? 1 : a.seq - b.seq));
}

export function renderHistory(entries: readonly LogEntry[]): string {
  if (entries.length === 0) return '(no entries)';
  const w = (k: (e: LogEntry) => string): number => Math.max(...entries.map((e) => k(e).length));
  const hw = w((e) => e.host);
  const ew = w((e) => e.env);
  const aw = w((e) => e.action);
  return entries.map((e) => {
    const commit = e.commit ? e.commit.slice(0, 12) : '-';
    const detail = e.detail && Object.keys(e.detail).length ? `  ${JSON.stringify(e.detail)}` : '';
    return `${e.time}  ${e.host.padEnd(hw)}  #${String(e.seq).padEnd(5)} ${e.env.padEnd(ew)}  ${e.action.padEnd(aw)}  ${e.result.padEnd(6)}  ${commit.padEnd(12)}${detail}`;
  }).join('\n');
}
