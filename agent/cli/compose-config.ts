import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('config')
    .description('print the merged, interpolated, validated compose model (like docker compose config)')
    .option('-f, --file <file...>', 'compose files, merged in order')
    .option('--env-file <file>', 'env file for interpolation')
    .option('--project-directory <dir>', 'project directory')
    .option('--format <format>', 'json or yaml', 'yaml')
    .action(() => {
      throw new NotImplementedError('autoinfra compose config', 'issue 5');
    });
}
