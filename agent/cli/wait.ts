// `autoinfra wait <sha>`: for CI. Follows the deploy attempt of one commit on the agent's API
// (`GET /deployments/<sha>`, NDJSON), prints each step, and exits with a code per outcome.
import type { Command } from 'commander';
import { InvalidInputError } from '../../shared/errors.js';
import { formatDuration, parseDuration } from '../../shared/duration.js';
import { loadAgentConfig } from '../config/load.js';
import { apiOrigin } from '../api/server.js';
import { EXIT, isCommitArgument, type EnvResult, type WaitLine } from '../api/deployments/outcome.js';
import type { CliContext } from './program.js';

const EXIT_HELP = `
Exit codes:
  0  live in every environment waited on
  1  failed (health gate, render, pre-flight, watch reverted, failed before); the reason and the
     commit still serving are printed
  2  usage or bad input (not a commit id, bad --timeout or --api, invalid agent.yml)
  3  rejected by policy
  4  superseded: a newer commit came before this one was deployed
  5  timeout: no outcome within --timeout
  6  the agent API could not be reached or answered something unexpected
See docs/ci.md.`;

class WaitUsageError extends InvalidInputError {
  static readonly code = 'E_WAIT_USAGE';
  constructor(reason: string) {
    super(WaitUsageError.code, 'autoinfra wait', [{ reason }]);
    this.name = 'WaitUsageError';
  }
}

/** `http://host:port` from --api (a URL or host:port) or from agent.yml's api.listen. */
async function apiBase(api: string | undefined, config: string): Promise<string> {
  if (api) {
    const withScheme = /^https?:\/\//.test(api) ? api : `http://${api}`;
    try {
      return new URL(withScheme).origin;
    } catch {
      throw new WaitUsageError(`--api ${JSON.stringify(api)} is not a URL (e.g. http://127.0.0.1:7070)`);
    }
  }
  return apiOrigin((await loadAgentConfig(config)).api.listen);
}

function describeResult(r: EnvResult, commit: string): string[] {
  const short = commit.slice(0, 12);
  const serving = r.serving ? `${r.env}: still serving ${r.serving.slice(0, 12)}` : `${r.env}: nothing serving`;
  switch (r.outcome) {
    case 'live': return [`${r.env}: ${short} is live`];
    case 'failed': return [`${r.env}: ${short} failed${r.stage ? ` at ${r.stage}` : ''}: ${r.reason ?? '(no reason given)'}`, serving];
    case 'rejected': return [`${r.env}: ${short} rejected: ${r.reason ?? ''}`, serving];
    case 'superseded': return [`${r.env}: ${short} superseded: ${r.reason ?? 'a newer commit came first'}`];
    case 'timeout': return [`${r.env}: no outcome for ${short} yet${r.serving ? ` (serving ${r.serving.slice(0, 12)})` : ''}`];
    case 'gone': return [`${r.env}: environment torn down: ${r.reason ?? ''}`];
  }
}

function describeLine(l: WaitLine, commit: string): string[] {
  switch (l.type) {
    case 'waiting': return [`waiting for ${commit.slice(0, 12)} on ${l.envs.length ? l.envs.join(', ') : 'the first environment that deploys it'} (up to ${formatDuration(l.timeoutMs)})`];
    case 'event': return [`${l.env}: ${l.event}${l.service ? ` ${l.service}` : ''}${l.stage ? ` (${l.stage})` : ''}${l.reason && l.event !== 'failed' && l.event !== 'superseded' ? `: ${l.reason.split('\n')[0]}` : ''}`];
    case 'result': return describeResult(l.result, commit);
    case 'outcome': return [`outcome: ${l.outcome}`];
    case 'tick': return [];
  }
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('wait')
    .description('wait for the deploy attempt of a commit and exit with its outcome (for CI)')
    .argument('<commit>', 'commit id (7 to 64 hex digits)')
    .option('--api <url>', 'the agent API (default: api.listen from agent.yml)')
    .option('--env <name...>', 'environments to wait on (default: those that know the commit, else the first that deploys it)')
    .option('--timeout <duration>', 'give up after this long (exit 5)', '10m')
    .addHelpText('after', EXIT_HELP)
    .action(async (commit: string, opts: { api?: string; env?: string[]; timeout: string }) => {
      if (!isCommitArgument(commit)) throw new WaitUsageError(`${JSON.stringify(commit)} is not a commit id (7 to 64 hex digits)`);
      const timeoutMs = parseDuration(opts.timeout);
      if (timeoutMs === undefined) throw new WaitUsageError(`--timeout ${JSON.stringify(opts.timeout)} is not a duration (e.g. 10m, 90s)`);
      const base = await apiBase(opts.api, ctx.globals().config);
      const envs = (opts.env ?? []).flatMap((e) => e.split(',')).filter(Boolean);
      const url = `${base}/deployments/${commit.toLowerCase()}?timeout=${timeoutMs}ms${envs.length ? `&env=${encodeURIComponent(envs.join(','))}` : ''}`;
      const fail = (why: string): void => {
        process.stderr.write(`autoinfra wait: ${why}\n`);
        process.exitCode = EXIT.unreachable;
      };
      // The agent ends the answer at the timeout; this guard covers an agent that stops answering.
      const guard = AbortSignal.timeout(timeoutMs + 15_000);
      let res: Response;
      try {
        res = await fetch(url, { signal: guard });
      } catch (e) {
        return fail(`the agent API at ${base} does not answer (is autoinfra-agent running? is --api right?): ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`);
      }
      if (res.status === 400) throw new WaitUsageError(`the agent refused the request: ${await res.text()}`);
      if (!res.ok || !res.body) return fail(`the agent API at ${base} answered ${res.status}: ${(await res.text()).trim()}`);
      let buffer = '';
      let outcome: WaitLine | undefined;
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += Buffer.from(chunk).toString('utf8');
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const text = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (!text.trim()) continue;
            const line = JSON.parse(text) as WaitLine;
            for (const out of describeLine(line, commit)) ctx.out(out);
            if (line.type === 'outcome') outcome = line;
          }
        }
      } catch (e) {
        if (guard.aborted) {
          ctx.out(`no answer from the agent within ${formatDuration(timeoutMs)}`);
          process.exitCode = EXIT.timeout;
          return;
        }
        return fail(`the answer from ${base} broke off: ${(e as Error).message}`);
      }
      if (outcome?.type !== 'outcome') return fail(`the answer from ${base} ended without an outcome`);
      process.exitCode = EXIT[outcome.outcome];
    });
}
