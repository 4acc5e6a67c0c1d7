import type { Command } from 'commander';
import { describeError } from '../../shared/errors.js';
import { describePlan, plan } from '../planner.js';
import { DockerRuntime } from '../runtime/docker.js';
import { isFailed } from '../state/env-state.js';
import { openLocalView } from './local-view.js';
import type { CliContext } from './program.js';

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('plan')
    .description('show what the agent would change for the current branch heads (applies nothing)')
    .action(async () => {
      const view = await openLocalView(ctx.globals().config);
      const runtime = new DockerRuntime({ socketPath: view.config.docker.socket });
      const lines: string[] = [];
      for (const environment of view.envs) {
        const { name: env, branch } = environment;
        const head = view.source.heads().get(branch);
        if (!head) { lines.push(`${env}: branch ${branch} not seen yet`); continue; }
        const state = await view.store.load(env, branch);
        const failed = isFailed(state, head);
        if (failed) { lines.push(`${env}: head ${head.slice(0, 12)} failed before and is skipped until the branch moves: ${failed.reason.split('\n')[0]}`); continue; }
        try {
          const stack = await view.render(environment, head);
          const p = plan(stack, await runtime.list(env), state);
          lines.push(`${env}: ${state.live?.commit.slice(0, 12) ?? 'nothing'} → ${head.slice(0, 12)}${p.changes ? '' : ' (no changes)'}`, ...describePlan(p).map((l) => `  ${l}`));
        } catch (e) {
          lines.push(`${env}: head ${head.slice(0, 12)} cannot be deployed:`, ...describeError(e).split('\n').map((l) => `  ${l}`));
          process.exitCode = 1;
        }
      }
      ctx.out(lines.join('\n'));
    });
}
