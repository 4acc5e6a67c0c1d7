// Drain: an old colour is removed once the edge reports no request in flight to it (or after its
// drain window); services that left the stack are stopped and removed. Volumes always stay.
import type { Stack } from '../../shared/stack/model.js';
import type { Environment } from '../environment.js';
import type { Plan } from '../planner.js';
import type { LiveContainer } from '../runtime/types.js';
import type { EnvState } from '../state/env-state.js';
import { emit, type StepDeps } from './deps.js';
import type { StartedService } from './start-gate.js';
import { upstreamOf } from './switch.js';

export async function drainAndRemove(deps: StepDeps, env: Environment, stack: Stack, started: StartedService[], p: Plan, previous: EnvState['live']): Promise<void> {
  const { runtime, clock } = deps;
  const edge = deps.routes.control;
  for (const s of started) {
    if (!s.old) continue;
    const route = s.service.x.route;
    const oldUpstream = route ? await upstreamOf(deps, s.old.container, route.port) : undefined;
    let drained: boolean | undefined;
    if (oldUpstream && edge.waitDrained) {
      drained = await edge.waitDrained(oldUpstream, { timeoutMs: s.service.x.drainMs }).catch(() => false);
    } else if (route) {
      // Without in-flight counts, give in-flight requests the drain window.
      await clock.sleep(Math.min(s.service.x.drainMs, 2000));
    }
    if (drained !== undefined) await emit(deps, env, 'drained', { commit: stack.commit, service: s.service.name, colour: s.old.colour, detail: { container: s.old.container, drained } });
    const c = await runtime.inspect(s.old.container);
    if (c) await removeContainer(deps, env, stack.commit, c, 'replaced');
  }
  for (const a of p.actions) {
    if (a.action !== 'remove') continue;
    const old = previous?.services[a.service];
    const c = old ? await runtime.inspect(old.container) : undefined;
    if (c) {
      await runtime.stop(c.id, deps.options.stopTimeoutS);
      await removeContainer(deps, env, stack.commit, c, 'pruned');
    }
  }
}

/** Removes a container that is no longer wanted (`removed` event says why). */
export async function removeContainer(deps: StepDeps, env: Environment, commit: string | undefined, c: LiveContainer, why: 'replaced' | 'pruned' | 'orphan' | 'torn-down'): Promise<void> {
  await deps.runtime.remove(c.id);
  await emit(deps, env, 'removed', { commit, service: c.service, colour: c.colour, detail: { container: c.name, why } });
}

/** A crash during the drain: the old colours still get their drain window before they go. */
export async function finishDrain(deps: StepDeps, env: Environment, stack: Stack, live: LiveContainer[], state: EnvState): Promise<void> {
  const edge = deps.routes.control;
  if (!edge.waitDrained) return;
  const wanted = new Set(Object.values(state.live?.services ?? {}).map((s) => s.container));
  for (const c of live) {
    const svc = stack.services[c.service];
    const port = svc?.x.route ? c.ports[svc.x.route.port] : undefined;
    if (wanted.has(c.name) || !port) continue;
    const drained = await edge.waitDrained(`127.0.0.1:${port}`, { timeoutMs: svc.x.drainMs }).catch(() => false);
    await emit(deps, env, 'drained', { commit: state.live?.commit, service: c.service, colour: c.colour, detail: { container: c.name, drained, after: 'restart' } });
  }
}
