import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('status')
    .description('show environments, live and failed commits, per-service colour and health')
    .action(() => {
      throw new NotImplementedError('autoinfra status', 'issue 6');
    });
}
