import type { Command } from 'commander';
import { UsageError } from '../../shared/errors.js';
import { redactStack } from '../../shared/compose/render.js';
import { openLocalView } from './local-view.js';
import type { CliContext } from './program.js';

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('render')
    .description('print the rendered stack of a branch at a commit (secrets shown only as keyed fingerprints)')
    .requiredOption('--branch <branch>', 'branch to render')
    .option('--commit <sha>', 'commit (default: the head the agent last saw)')
    .action(async (opts: { branch: string; commit?: string }) => {
      const view = await openLocalView(ctx.globals().config);
      const commit = opts.commit ?? view.source.heads().get(opts.branch);
      if (!commit) throw new UsageError('E_UNKNOWN_BRANCH', `branch ${opts.branch} has not been seen by the agent yet (known: ${[...view.source.heads().keys()].join(', ') || 'none'})`, { branch: opts.branch });
      const stack = await view.render(view.source.environmentOf(opts.branch), commit);
      ctx.out(JSON.stringify(redactStack(stack, view.fingerprintKey), null, 2));
    });
}
