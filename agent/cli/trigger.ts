import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('trigger')
    .description('ask the running agent to poll now (optionally one branch)')
    .argument('[branch]', 'branch to poll')
    .action(() => {
      throw new NotImplementedError('autoinfra trigger', 'issue 4');
    });
}
