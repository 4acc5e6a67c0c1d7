import type { Command } from 'commander';
import { DockerRuntime } from '../runtime/docker.js';
import { openLocalView } from './local-view.js';
import type { CliContext } from './program.js';

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('status')
    .description('show environments, live and failed commits, per-service colour and health')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const view = await openLocalView(ctx.globals().config);
      const runtime = new DockerRuntime({ socketPath: view.config.docker.socket });
      const containers = await runtime.list().catch(() => undefined);
      const envs = await view.store.list();
      if (opts.json) {
        ctx.out(JSON.stringify({ host: view.config.host, heads: Object.fromEntries(view.source.heads()), environments: envs, containers }, null, 2));
        return;
      }
      const lines = [`host ${view.config.host} — repo ${view.config.repo.url}`];
      if (!containers) lines.push('  (Docker engine not reachable: container health unknown)');
      if (!envs.length) lines.push('  no environment deployed yet');
      for (const e of envs) {
        const head = view.source.heads().get(e.branch);
        lines.push('', `${e.env} (branch ${e.branch}, head ${head?.slice(0, 12) ?? '?'})`);
        lines.push(`  live:   ${e.live ? `${e.live.commit.slice(0, 12)} since ${e.live.since}` : 'nothing'}`);
        if (e.operation) lines.push(`  in progress: ${e.operation.commit.slice(0, 12)} (${e.operation.phase})`);
        for (const [name, s] of Object.entries(e.live?.services ?? {})) {
          const c = containers?.find((x) => x.name === s.container);
          lines.push(`  ${name.padEnd(16)} ${s.colour.padEnd(6)} ${c ? `${c.state}${c.health !== 'none' ? `/${c.health}` : ''}` : 'MISSING'}  ${s.image}`);
        }
        const failed = e.failed.slice(-3).reverse();
        for (const f of failed) lines.push(`  failed: ${f.commit.slice(0, 12)} at ${f.at}: ${f.reason.split('\n')[0]}`);
      }
      ctx.out(lines.join('\n'));
    });
}
