import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import type { CliContext } from './program.js';

export function register(parent: Command, _ctx: CliContext): void {
  parent
    .command('keygen')
    .description("create this host's age identity and Ed25519 signing key; print the public keys")
    .option('--force', 'replace existing keys')
    .action(() => {
      throw new NotImplementedError('autoinfra keygen', 'issue 5');
    });
}
