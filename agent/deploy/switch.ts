// Switch: the environment's routes are built from a live set (upstream = each container's
// 127.0.0.1 port) and applied to the edge in one table; the old colour stays as `previous`.
import type { Environment } from '../environment.js';
import type { Stack } from '../../shared/stack/model.js';
import type { Route } from '../../shared/routes/route-table.js';
import { isJob, type Plan } from '../planner.js';
import { repoDigestOf } from '../registry/image-ref.js';
import type { EnvState, LiveService } from '../state/env-state.js';
import { nowIso, type StepDeps } from './deps.js';
import type { StartedService } from './start-gate.js';

type LiveSet = EnvState['live'];
type Deps = Pick<StepDeps, 'runtime' | 'routes' | 'clock'>;

/** The live set after a switch: kept services as they were, started ones with their new colour. */
export async function liveSetAfter(deps: Deps, stack: Stack, p: Plan, previous: LiveSet, started: StartedService[]): Promise<NonNullable<LiveSet>> {
  const services: Record<string, LiveService> = {};
  for (const a of p.actions) if (a.action === 'keep') services[a.service] = previous!.services[a.service];
  for (const s of started) {
    const info = await deps.runtime.imageInfo(s.service.image).catch(() => undefined);
    services[s.service.name] = { colour: s.action.toColour!, hash: s.service.hash, container: s.container.name, image: s.service.image, digest: info && repoDigestOf(s.service.image, info.digests), ...(isJob(stack, s.service.name) ? { job: true } : {}) };
  }
  return { commit: stack.commit, since: nowIso(deps.clock), services };
}

/** Routes of one environment from its live services; `previous` adds the switch-back targets. */
export async function routesFor(deps: Deps, stack: Stack, live: LiveSet, previous: LiveSet): Promise<Route[]> {
  if (!live) return [];
  const out: Route[] = [];
  for (const [name, svc] of Object.entries(live.services)) {
    const route = stack.services[name]?.x.route;
    if (!route) continue;
    const upstream = await upstreamOf(deps, svc.container, route.port);
    if (!upstream) continue;
    const prevSvc = previous?.services[name];
    const prevUpstream = prevSvc && prevSvc.container !== svc.container ? await upstreamOf(deps, prevSvc.container, route.port) : undefined;
    out.push({ id: `${stack.env}/${name}`, hosts: route.hosts, pathPrefix: route.pathPrefix, upstream, previous: prevUpstream });
  }
  return out;
}

export async function upstreamOf(deps: Pick<StepDeps, 'runtime'>, container: string, port: number): Promise<string | undefined> {
  const c = await deps.runtime.inspect(container);
  const hostPort = c?.ports[port];
  return hostPort ? `127.0.0.1:${hostPort}` : undefined;
}

/** One route-table apply for the environment (resolves when the edge acknowledged). */
export async function publishRoutes(deps: Deps, env: Environment, stack: Stack, live: LiveSet, previous: LiveSet): Promise<void> {
  await deps.routes.publish(env, await routesFor(deps, stack, live, previous));
}
