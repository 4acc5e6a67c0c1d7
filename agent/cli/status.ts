import type { Command } from 'commander';
import { apiOrigin } from '../api/server.js';
import { DockerRuntime } from '../runtime/docker.js';
import { STATUS_SCHEMA, StatusModel, type AgentStatus } from '../status/status-model.js';
import { openLocalView, type LocalView } from './local-view.js';
import type { CliContext } from './program.js';

/** The running agent's status model, from its local API; undefined when no agent answers. */
async function agentStatus(listen: string): Promise<AgentStatus | undefined> {
  const url = `${apiOrigin(listen)}/status`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as AgentStatus;
    return body.schema === STATUS_SCHEMA ? body : undefined;
  } catch {
    return undefined;
  }
}

/** The same model built from the state dir, when the agent is not running (no source or log health). */
async function localStatus(view: LocalView): Promise<AgentStatus> {
  const heads = view.source.heads();
  const model = new StatusModel((env) => view.store.load(env.name, env.branch));
  for (const state of await view.store.list()) model.seed(view.source.environmentOf(state.branch), state, heads.get(state.branch));
  return { schema: STATUS_SCHEMA, host: view.config.host, at: new Date().toISOString(), environments: model.snapshot() };
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('status')
    .description('show environments, live and failed commits, per-service colour and health')
    .option('--json', 'print the status model as JSON (docs/status.md)')
    .action(async (opts: { json?: boolean }) => {
      const view = await openLocalView(ctx.globals().config);
      const fromAgent = await agentStatus(view.config.api.listen);
      const status = fromAgent ?? await localStatus(view);
      if (opts.json) {
        ctx.out(JSON.stringify(status, null, 2));
        return;
      }
      const runtime = new DockerRuntime({ socketPath: view.config.docker.socket });
      const containers = await runtime.list().catch(() => undefined);
      const lines = [`host ${status.host} — repo ${view.config.repo.url}${fromAgent ? '' : ' (agent not answering on its API: read from the state dir)'}`];
      if (!containers) lines.push('  (Docker engine not reachable: container health unknown)');
      if (!status.environments.length) lines.push('  no environment deployed yet');
      for (const e of status.environments) {
        lines.push('', `${e.env} (branch ${e.branch}, head ${e.head?.slice(0, 12) ?? '?'})`);
        lines.push(`  live:   ${e.live ? `${e.live.commit.slice(0, 12)} since ${e.live.since}` : 'nothing'}`);
        if (e.operation) lines.push(`  in progress: ${e.operation.commit.slice(0, 12)} (${e.step ? `${e.step.type}${e.step.service ? ` ${e.step.service}` : ''}` : e.operation.phase})`);
        for (const [name, s] of Object.entries(e.live?.services ?? {})) {
          const c = containers?.find((x) => x.name === s.container);
          lines.push(`  ${name.padEnd(16)} ${s.colour.padEnd(6)} ${c ? `${c.state}${c.health !== 'none' ? `/${c.health}` : ''}` : 'MISSING'}  ${s.image}`);
        }
        for (const f of e.failed.slice(-3).reverse()) lines.push(`  failed: ${f.commit.slice(0, 12)} at ${f.at}: ${f.reason.split('\n')[0]}`);
      }
      ctx.out(lines.join('\n'));
    });
}
