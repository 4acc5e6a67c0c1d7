import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('show')
    .description('print a readable history of the deploy log')
    .option('--host <host>', 'only this host')
    .option('--env <env>', 'only this environment')
    .option('--since <time>', 'only entries after this time')
    .option('--json', 'print JSON lines')
    .action(() => {
      throw new NotImplementedError('autoinfra log show', 'issue 7');
    });
}
