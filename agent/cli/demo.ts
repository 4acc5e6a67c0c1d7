import type { Command } from 'commander';
import { runDemo } from '../demo/demo.js';
import type { CliContext } from './program.js';

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('demo')
    .description('run the whole product on this machine: local repo, edge, agent, blue-green deploys, signed log')
    .option('--keep', 'leave the demo running until Ctrl-C')
    .option('--port <port>', 'port of the edge on 127.0.0.1 (default: any free port)')
    .action(async (opts: { keep?: boolean; port?: string }) => {
      await runDemo({ keep: Boolean(opts.keep), port: opts.port ? Number(opts.port) : undefined, say: (l) => ctx.out(l) });
    });
}
