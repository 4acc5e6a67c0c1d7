import type { Command } from 'commander';
import { AutoinfraError, UsageError } from '../../shared/errors.js';
import { classifyRef, refForBranch } from '../source/tracked-refs.js';
import { apiOrigin } from '../api/server.js';
import { loadAgentConfig } from '../config/load.js';
import type { CliContext } from './program.js';

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('trigger')
    .description('ask the running agent to poll now (optionally one branch)')
    .argument('[branch]', 'branch to poll')
    .action(async (branch?: string) => {
      const config = await loadAgentConfig(ctx.globals().config);
      if (branch !== undefined && !classifyRef(refForBranch(branch), { branches: config.branches, previews: config.previews })) {
        throw new UsageError('E_UNKNOWN_BRANCH', `branch ${branch} is not tracked by this agent (production: ${config.branches.production}, master: ${config.branches.master}${config.previews.enabled ? `, previews: ${config.previews.pattern}` : ''})`, { branch });
      }
      const url = `${apiOrigin(config.api.listen)}/trigger${branch ? `?branch=${encodeURIComponent(branch)}` : ''}`;
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST' });
      } catch (e) {
        throw new AutoinfraError('E_AGENT_UNREACHABLE', `the agent API at ${config.api.listen} does not answer (is autoinfra-agent running?): ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`, { listen: config.api.listen });
      }
      if (!res.ok) throw new AutoinfraError('E_AGENT_API', `the agent refused the trigger: HTTP ${res.status} ${(await res.text()).trim()}`, { status: res.status });
      ctx.out(`triggered a poll${branch ? ` of ${branch}` : ' of every branch'}`);
    });
}
