import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { loadAgentConfig } from '../config/load.js';
import { Agent } from '../agent.js';
import { startApi } from '../api/server.js';
import { loadWebhookSecret, webhookHandler } from '../api/webhooks/handler.js';
import { recordOutcomes, watchCommit } from '../api/deployments/commit-watch.js';
import { RecentOutcomes } from '../api/deployments/recent.js';
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
      // Read before anything starts: a missing secret file is a config error, not a silent hook-less agent.
      const webhookSecret = config.api.webhookSecretFile ? await loadWebhookSecret(config.api.webhookSecretFile) : undefined;
      // Scrubbed from every log line like the repo's secrets, should it ever reach one.
      if (webhookSecret) secrets.add(webhookSecret.toString('utf8'));
      const agent = new Agent({ config, logger, secrets, clock: systemClock, driftIntervalMs: config.deploy.driftIntervalMs, executor: { watchMs: config.deploy.watchMs } });
      await agent.start();
      const webhook = webhookSecret ? webhookHandler({ secret: webhookSecret, trigger: (b) => agent.trigger(b), logger }) : undefined;
      // After the deploy log and the status model (subscribed in start): a waiter that hears of an
      // outcome reads a status that already has it.
      const recent = new RecentOutcomes();
      agent.subscribe(recordOutcomes(recent));
      const deps = { status: () => agent.status(), subscribe: agent.subscribe.bind(agent), recent, clock: systemClock };
      const api = await startApi(config.api.listen, {
        trigger: (b) => agent.trigger(b), status: () => agent.status(), ...(webhook ? { webhook } : {}),
        watchCommit: (req, write) => watchCommit(deps, req, write),
      }, logger);
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
