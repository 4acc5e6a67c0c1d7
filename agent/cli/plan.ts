import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('plan')
    .description('show what the agent would change for the current branch heads (applies nothing)')
    .action(() => {
      throw new NotImplementedError('autoinfra plan', 'issue 6');
    });
}
