import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('encrypt')
    .description('encrypt a file for the given age recipients (or those in infra/autoinfra.yml)')
    .requiredOption('--to <recipients>', 'age recipients, comma-separated, or a path to infra/autoinfra.yml')
    .argument('<file>', 'plain file to encrypt')
    .option('-o, --output <file>', 'output file (default FILE.age)')
    .action(() => {
      throw new NotImplementedError('autoinfra secrets encrypt', 'issue 5');
    });
}
