import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('render')
    .description('print the rendered stack of a branch at a commit (secrets redacted, hashes shown)')
    .requiredOption('--branch <branch>', 'branch to render')
    .option('--commit <sha>', 'commit (default: the branch head)')
    .action(() => {
      throw new NotImplementedError('autoinfra render', 'issue 5');
    });
}
