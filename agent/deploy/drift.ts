// Drift repair between deploys: a live container that died, vanished or was changed by hand is
// restored to the live commit's definition and gated before it is routed to again. A crash loop
// is not repaired forever at full speed: RepairLimiter allows a few repairs per container per window.
import { AutoinfraError, describeError } from '../../shared/errors.js';
import type { Stack } from '../../shared/stack/model.js';
import { secretValues } from '../../shared/stack/secret-values.js';
import type { Clock } from '../clock.js';
import type { Environment } from '../environment.js';
import { HealthGateError } from '../executor/errors.js';
import { healthGate } from '../health/gate.js';
import type { Logger } from '../logger.js';
import { findDrift } from '../planner.js';
import { ensureNetworksAndVolumes, ownContainers, startContainer } from './containers.js';
import { emit, type StepDeps } from './deps.js';
import { publishRoutes } from './switch.js';

export class RepairLimiter {
  /** Repair times per container in the last window. */
  private readonly repairs = new Map<string, number[]>();
  constructor(private readonly clock: Clock, private readonly logger: Logger, private readonly max: number, private readonly windowMs: number) {}

  /** True when `container` may be repaired now (and counts the repair); warns once when it is held back. */
  allow(container: string): boolean {
    const now = this.clock.now();
    const recent = (this.repairs.get(container) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.max) {
      if (recent.length === this.max) {
        this.logger.warn(`${container} keeps failing: ${recent.length} repairs in ${Math.round(this.windowMs / 1000)} s; next attempt when the window has passed (a new commit is the fix)`);
        recent.push(now); // marks the warning as given
        this.repairs.set(container, recent);
      }
      return false;
    }
    recent.push(now);
    this.repairs.set(container, recent);
    return true;
  }
}

/** Repairs the drift of `env` against `liveStack` (the stack rendered at the live commit); returns how many containers were repaired. */
export async function repairDrift(deps: StepDeps, limiter: RepairLimiter, env: Environment, liveStack: Stack): Promise<number> {
  const { runtime, store, logger } = deps;
  const state = await store.load(env.name, env.branch);
  if (!state.live || state.operation) return 0;
  const drift = findDrift(state, await ownContainers(deps, env.name));
  let repaired = 0;
  for (const d of drift) {
    const svc = liveStack.services[d.service];
    const liveSvc = state.live.services[d.service];
    if (!svc || svc.hash !== liveSvc.hash) continue;
    if (!limiter.allow(d.container)) continue;
    try {
      let target = await runtime.inspect(d.container);
      if (d.kind === 'stopped' && target) {
        await runtime.start(target.id);
        target = (await runtime.inspect(target.id)) ?? target;
      } else {
        if (target) await runtime.remove(target.id);
        await ensureNetworksAndVolumes(deps, liveStack);
        target = await startContainer(deps, liveStack, svc, liveSvc.colour);
      }
      // Route to it only once it answers again (its 127.0.0.1 port changed with the restart).
      const health = await healthGate({ runtime, container: target, spec: svc.x.health, clock: deps.clock, secrets: secretValues(liveStack) });
      if (health.status !== 'healthy') throw new HealthGateError(svc.name, liveSvc.colour, health.attempts, health.message, health.exitCode);
      repaired++;
      await emit(deps, env, 'drift-repaired', { commit: liveStack.commit, service: d.service, colour: liveSvc.colour, detail: { container: d.container, kind: d.kind, detail: d.detail } });
      logger.warn(`${env.name}/${d.service}: repaired drift (${d.kind}: ${d.detail})`, { env: env.name });
    } catch (e) {
      // The repair failed, not the commit: a per-service `failed` of stage drift.
      await emit(deps, env, 'failed', { commit: liveStack.commit, service: d.service, colour: liveSvc.colour, stage: 'drift', reason: describeError(e), code: e instanceof AutoinfraError ? e.code : undefined, detail: { kind: d.kind } });
    }
  }
  if (repaired) await publishRoutes(deps, env, liveStack, state.live, undefined).catch(() => undefined);
  return repaired;
}
