// The README.md on the deploy-log branch: what each host's environments run now. Computed from
// the log lines alone (a fold over each host's entries), so any writer renders every host's rows
// correctly. Pure.
import type { LogEntry } from './entry.js';

export interface ReadmeRow {
  host: string;
  env: string;
  liveCommit?: string;
  since?: string;
  lastFailure?: { time: string; commit?: string; reason: string };
}

/** Per-host fold state: env → row. */
export type HostSummary = Map<string, ReadmeRow>;

/** Entries that are about the agent, not one environment, carry one of these envs. */
const NO_ENV = new Set(['', '-', '*']);

function failureReason(e: LogEntry): string {
  const d = e.detail ?? {};
  for (const k of ['reason', 'error', 'message']) if (typeof d[k] === 'string' && d[k]) return d[k] as string;
  return e.action;
}

export function foldSummary(state: HostSummary, e: LogEntry): HostSummary {
  if (NO_ENV.has(e.env)) return state;
  if (e.action === 'preview-removed' && e.result === 'ok') { state.delete(e.env); return state; }
  const row = state.get(e.env) ?? { host: e.host, env: e.env };
  if (e.action === 'live' && e.result === 'ok') { row.liveCommit = e.commit; row.since = e.time; }
  if (e.result === 'failed') row.lastFailure = { time: e.time, commit: e.commit, reason: failureReason(e) };
  state.set(e.env, row);
  return state;
}

export function summariseHost(entries: Iterable<LogEntry>): HostSummary {
  const s: HostSummary = new Map();
  for (const e of entries) foldSummary(s, e);
  return s;
}

const cell = (s: string | undefined): string => (s ? s.replace(/[|\n\r]/g, ' ') : '—');
const short = (c: string | undefined): string | undefined => (c && /^[0-9a-f]{40,64}$/.test(c) ? c.slice(0, 12) : c);

/** Markdown for the branch's README.md; rows sorted by host then environment. */
export function renderReadme(rows: readonly ReadmeRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.host === b.host ? (a.env < b.env ? -1 : 1) : a.host < b.host ? -1 : 1));
  const lines = [
    '# Deploy log',
    '',
    'Signed, hash-chained record of every action each autoinfra host took: one file per host in',
    '`hosts/<host>.jsonl`. This table is regenerated from those lines on every push.',
    'Check it offline with `autoinfra log verify --repo <this repo URL>` (format: docs/deploy-log.md).',
    '',
    '| host | environment | live commit | since | last failure |',
    '|---|---|---|---|---|',
    ...sorted.map((r) => {
      const f = r.lastFailure ? `${r.lastFailure.time} ${short(r.lastFailure.commit) ?? ''}: ${r.lastFailure.reason}`.replace(/ +:/, ':') : undefined;
      return `| ${cell(r.host)} | ${cell(r.env)} | ${cell(short(r.liveCommit))} | ${cell(r.since)} | ${cell(f)} |`;
    }),
    '',
  ];
  return lines.join('\n');
}
