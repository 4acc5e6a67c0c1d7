import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('verify')
    .description('verify the deploy log offline: sequence, hash chain and signatures')
    .option('--repo <url>', 'fetch the deploy-log branch from this repo')
    .option('--dir <dir>', 'verify a checked-out deploy-log directory')
    .option('--keys <file>', 'pinned agent public keys (default: infra/autoinfra.yml on production)')
    .action(() => {
      throw new NotImplementedError('autoinfra log verify', 'issue 7');
    });
}
