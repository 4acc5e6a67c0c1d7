import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { loadAgentConfig } from '../config/load.js';
import { Agent } from '../agent.js';
import { startApi } from '../api/server.js';
import { describeError } from '../../shared/errors.js';
import type { CliContext } from './program.js';
import { SecretValues } from '../../shared/log/secret-values.js';

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('agent')
    .description('run the agent: poll git, render, plan and deploy continuously (the systemd service)')
    .option('--check', 'validate the config and exit')
    .action(async (opts: { check?: boolean }) => {
      // Config first: a bad file must stop here with its errors, before anything else happens.
      const config = await loadAgentConfig(ctx.globals().config);
      if (opts.check) {
        ctx.out(`${config.file}: ok`);
        return;
      }
      // One list of secret values for the deploy log and the journal: both scrub the same way.
      const secrets = new SecretValues();
      const logger = ctx.logger({ format: config.log.format, level: config.log.level, component: 'agent', secrets });
      const agent = new Agent({ config, logger, secrets, clock: systemClock, driftIntervalMs: config.deploy.driftIntervalMs, executor: { watchMs: config.deploy.watchMs } });
      await agent.start();
      const api = await startApi(config.api.listen, { trigger: (b) => agent.trigger(b), status: () => agent.status() }, logger);
      await new Promise<void>((resolve) => {
        const stop = (sig: string): void => {
          logger.info(`${sig}: stopping (finishing the operation in progress)`);
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      await api.close();
      await agent.stop().catch((e) => logger.error(`stop: ${describeError(e)}`));
    });
}
