import type { Command } from 'commander';
import { NotImplementedError } from '../../shared/errors.js';
import { loadAgentConfig } from '../config/load.js';
import type { CliContext } from './program.js';

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('agent')
    .description('run the agent: poll git, render, plan and deploy continuously (the systemd service)')
    .action(async () => {
      // Config first: a bad file must stop here with its errors, before anything else happens.
      const config = await loadAgentConfig(ctx.globals().config);
      void config;
      throw new NotImplementedError('autoinfra agent', 'issue 6');
    });
}
