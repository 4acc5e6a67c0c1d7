import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('demo')
    .description('run the whole product on this machine: local repo, edge, agent, blue-green deploys, signed log')
    .option('--keep', 'leave the demo running')
    .action(() => {
      throw new NotImplementedError('autoinfra demo', 'issue 10');
    });
}
