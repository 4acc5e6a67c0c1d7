import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('edge')
    .description('run the edge proxy: host routing, atomic colour switch, mirroring, error counts')
    .action(() => {
      throw new NotImplementedError('autoinfra edge', 'issue 8');
    });
}
