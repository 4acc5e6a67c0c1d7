import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('wait')
    .description('wait until a commit is live (or failed) on this host, for CI')
    .argument('<commit>', 'commit to wait for')
    .option('--timeout <duration>', 'give up after this long', '10m')
    .action(() => {
      throw new NotImplementedError('autoinfra wait', 'issue 11');
    });
}
