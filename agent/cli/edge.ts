import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { loadAgentConfig } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { edgeOptions } from '../edge/options.js';
import { EdgeServer } from '../edge/edge-server.js';
import { runEdgePrimary, runEdgeWorker, type RunningEdge } from '../edge/cluster.js';
import type { CliContext } from './program.js';

interface EdgeArgs { listen?: string[]; controlSocket?: string; routesFile?: string; workers?: string }

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('edge')
    .description('run the edge proxy: host routing, atomic colour switch, mirroring, error counts (the systemd service autoinfra-edge)')
    .addOption(new Option('--listen <address...>', 'plain HTTP listen address: :80, 127.0.0.1:8080, [::1]:80, a unix socket path, or "systemd" (repeatable; default: edge.listen of the config)'))
    .addOption(new Option('--control-socket <path>', 'unix socket for the agent: POST /reload, GET /stats, GET /metrics (default: edge.control_socket)'))
    .addOption(new Option('--routes-file <path>', 'route table the agent writes (default: edge.routes_file)'))
    .addOption(new Option('--workers <n>', 'processes sharing the listeners (one per core); 1 = no cluster').default('1'))
    .action(async (args: EdgeArgs) => {
      const logger = ctx.logger({ component: 'edge' });
      // Config gives the defaults; with both paths as flags the edge runs without a config file.
      const configFile = ctx.globals().config;
      const config: AgentConfig | undefined = args.controlSocket && args.routesFile && !existsSync(configFile) ? undefined : await loadAgentConfig(configFile);
      const workers = Number(args.workers ?? 1);
      if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new Error(`--workers expects a whole number from 1 to 256, got "${args.workers}"`);
      const options = edgeOptions({
        listen: args.listen ?? config?.edge.listen,
        tls: config?.edge.tls,
        controlSocket: args.controlSocket ?? config!.edge.controlSocket,
        routesFile: args.routesFile ?? config!.edge.routesFile,
        tunnelIdleTimeoutMs: config?.edge.tunnels.idleTimeoutMs,
        maxTunnels: config?.edge.tunnels.max,
        maxTunnelsPerClient: config?.edge.tunnels.maxPerClient,
      });
      let edge: RunningEdge;
      if (cluster.isWorker) edge = await runEdgeWorker(options, logger);
      else if (workers > 1) edge = await runEdgePrimary(options, workers, logger);
      else {
        const server = new EdgeServer(options, { logger });
        await server.start();
        let stopping: Promise<void> | undefined;
        const stop = (): Promise<void> => (stopping ??= server.stop());
        edge = { stop, done: new Promise<void>((r) => { for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => { logger.info(`${sig}: stopping gracefully`, { timeoutMs: options.stopTimeoutMs }); void stop().then(r); }); }) };
      }
      if (!cluster.isWorker && workers > 1) for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => { logger.info(`${sig}: stopping workers`); void edge.stop(); });
      await edge.done;
      logger.info('edge stopped');
      // A worker's IPC channel to the primary would keep it alive.
      if (cluster.isWorker) process.disconnect?.();
    });
}
