// Watch: for a window after the switch, the new colours' containers and the edge's counters of
// their upstreams. A container that exits, restarts or turns unhealthy, or an error rate above the
// threshold, is a problem: the driver sends traffic back to the previous colour.
import type { Stack } from '../../shared/stack/model.js';
import type { Environment } from '../environment.js';
import { isJob } from '../planner.js';
import { emit, type StepDeps } from './deps.js';
import type { StartedService } from './start-gate.js';
import type { UpstreamCounters } from '../routing.js';
import type { ExecutorOptions } from './options.js';

export interface WatchProblem { service: string; reason: string }

export async function watch(deps: StepDeps, env: Environment, stack: Stack, started: StartedService[]): Promise<WatchProblem | undefined> {
  const { clock, runtime, options } = deps;
  if (options.watchMs <= 0 || !started.length) return undefined;
  const edge = deps.routes.control;
  const end = clock.now() + options.watchMs;
  await emit(deps, env, 'watching', { commit: stack.commit, detail: { untilMs: end, services: started.map((s) => s.service.name) } });
  const upstreams = new Map<string, string>();
  for (const s of started) {
    const route = s.service.x.route;
    if (route && s.container.ports[route.port]) upstreams.set(s.service.name, `127.0.0.1:${s.container.ports[route.port]}`);
  }
  while (clock.now() < end) {
    for (const s of started) {
      if (isJob(stack, s.service.name)) continue;
      const c = await runtime.inspect(s.container.id);
      if (!c || c.state === 'exited' || c.state === 'dead' || c.state === 'restarting') return { service: s.service.name, reason: `container ${c ? `exited (code ${c.exitCode ?? '?'})` : 'vanished'}` };
      if ((c.restartCount ?? 0) > (s.container.restartCount ?? 0)) return { service: s.service.name, reason: `container restarted by Docker (${(c.restartCount ?? 0) - (s.container.restartCount ?? 0)} times)` };
      if (c.health === 'unhealthy') return { service: s.service.name, reason: 'container turned unhealthy' };
      const upstream = upstreams.get(s.service.name);
      const counters = upstream && edge.upstreamCounters ? await edge.upstreamCounters(upstream).catch(() => undefined) : undefined;
      const reason = counters && watchVerdict(counters, options);
      if (reason) return { service: s.service.name, reason };
    }
    await clock.sleep(Math.min(options.watchPollMs, Math.max(0, end - clock.now())));
  }
  return undefined;
}

/**
 * The error-rate decision, pure: a reason to switch back, or undefined. `counters` say only what
 * the upstream did (agent/edge-control.ts leaves out what the edge answered for the client's
 * reasons), so a client cannot fail a deploy by sending requests the edge refuses.
 */
export function watchVerdict(counters: UpstreamCounters, options: Pick<ExecutorOptions, 'minErrors' | 'errorRate'>): string | undefined {
  const errors = counters.errors5xx + counters.connectErrors;
  if (errors < options.minErrors || errors / Math.max(1, counters.requests) < options.errorRate) return undefined;
  return `${errors} errors in ${counters.requests} requests (5xx ${counters.errors5xx}, connection ${counters.connectErrors})`;
}
