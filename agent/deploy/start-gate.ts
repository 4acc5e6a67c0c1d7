// Start + gate: each created or replaced service gets its new colour (recreate: the old one is
// stopped first, and kept), in dependency order, and passes its health gate (jobs: exit 0) before
// the next starts. Any failure removes what the attempt started and brings back what it stopped.
import { describeError } from '../../shared/errors.js';
import type { ServiceSpec, Stack } from '../../shared/stack/model.js';
import { secretValues } from '../../shared/stack/secret-values.js';
import type { Environment } from '../environment.js';
import { HealthGateError } from '../executor/errors.js';
import { healthGate, jobGate } from '../health/gate.js';
import { isJob, type Plan, type PlannedAction } from '../planner.js';
import type { Colour, LiveContainer } from '../runtime/types.js';
import type { EnvState, LiveService } from '../state/env-state.js';
import { ensureNetworksAndVolumes, startContainer } from './containers.js';
import { emit, type StepDeps } from './deps.js';
import { isEngineUnreachable } from './docker-errors.js';
import { publishRoutes } from './switch.js';

export interface StartedService { service: ServiceSpec; action: PlannedAction; container: LiveContainer; old?: LiveService }

/** Starts and gates every created/replaced service; throws (after undoing the attempt) on the first failure. */
export async function startAndGate(deps: StepDeps, env: Environment, stack: Stack, p: Plan, state: EnvState): Promise<StartedService[]> {
  const started: StartedService[] = [];
  const secrets = secretValues(stack);
  await ensureNetworksAndVolumes(deps, stack);
  try {
    for (const action of p.actions) {
      if (action.action !== 'create' && action.action !== 'replace') continue;
      const service = stack.services[action.service];
      const colour = action.toColour!;
      const job = isJob(stack, service.name);
      const old = state.live?.services[action.service];
      if (action.strategy === 'recreate' && old) await deps.runtime.stop(old.container, deps.options.stopTimeoutS);
      const container = await startContainer(deps, stack, service, colour, job);
      started.push({ service, action, container, old });
      await emit(deps, env, 'started', { commit: stack.commit, service: service.name, colour, detail: { colour, container: container.name } });
      await gate(deps, env, stack, service, container, colour, job, secrets);
    }
  } catch (e) {
    // The engine went away mid-way: not the commit's fault. The journal stays; a retry or the
    // next start converges (orphans go) and deploys the commit again.
    if (isEngineUnreachable(e)) throw e;
    await undoStarted(deps, env, stack, state, started);
    throw e;
  }
  return started;
}

async function gate(deps: StepDeps, env: Environment, stack: Stack, service: ServiceSpec, container: LiveContainer, colour: Colour, job: boolean, secrets: string[]): Promise<void> {
  const { runtime, clock } = deps;
  const r = job ? await jobGate({ runtime, container, clock, secrets, deadlineMs: service.x.health.deadlineMs }) : await healthGate({ runtime, container, spec: service.x.health, clock, secrets });
  const detail = { colour, attempts: r.attempts, ms: r.elapsedMs, message: r.message };
  if (r.status !== 'healthy') {
    // The raw lines stay on this host (they may hold what the scrubber does not know).
    if (r.output) deps.logger.warn(`${env.name}/${service.name} (${colour}) failed its gate; its last output:\n${r.output}`, { env: env.name, commit: stack.commit });
    const error = new HealthGateError(service.name, colour, r.attempts, r.message, r.exitCode);
    await emit(deps, env, 'failed', { commit: stack.commit, service: service.name, colour, stage: 'gate', reason: r.message, code: error.code, durationMs: r.elapsedMs, detail: { ...detail, ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}) } });
    throw error;
  }
  await emit(deps, env, 'gated', { commit: stack.commit, service: service.name, colour, durationMs: r.elapsedMs, detail });
}

/**
 * Removes the containers an attempt started and brings back the ones recreate stopped. A
 * restarted container gets a new ephemeral port: it is gated again and the routes re-published.
 */
export async function undoStarted(deps: StepDeps, env: Environment, stack: Stack, state: EnvState, started: StartedService[]): Promise<void> {
  const { runtime, logger } = deps;
  for (const s of [...started].reverse()) {
    await runtime.remove(s.container.id).catch((e) => logger.error(`cleanup of ${s.container.name} failed: ${describeError(e)}`));
  }
  let restarted = false;
  for (const [name, svc] of Object.entries(state.live?.services ?? {})) {
    if (svc.job) continue;
    const c = await runtime.inspect(svc.container);
    if (!c || c.state === 'running') continue;
    try {
      await runtime.start(c.id);
      restarted = true;
      const spec = stack.services[name]?.x.health;
      if (spec) await healthGate({ runtime, container: (await runtime.inspect(c.id)) ?? c, spec, clock: deps.clock });
    } catch (e) {
      logger.error(`restart of ${svc.container} failed: ${describeError(e)}`, { env: stack.env });
    }
  }
  if (restarted) await publishRoutes(deps, env, stack, state.live, undefined).catch((e) => logger.error(`routes not re-applied: ${describeError(e)}`, { env: stack.env }));
}
