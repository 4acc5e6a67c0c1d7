// Carries one environment from its live commit to a new one by sequencing the steps of
// agent/deploy: pre-flight → start + gate → switch → watch → drain. Forward-only: any failure
// leaves the environment entirely on its last live commit and records the new commit as failed.
// The journal (state `operation.phase`) is saved before every step so a restart after kill -9
// converges (recover). Every step is a typed DeployEvent on the injected EventSink.
import { ownContainers } from '../deploy/containers.js';
import { teardown, type TeardownResult } from '../deploy/teardown.js';
import { describeError } from '../../shared/errors.js';
import type { Stack } from '../../shared/stack/model.js';
import type { Environment } from '../environment.js';
import type { DeployStage } from '../events.js';
import { plan, type Plan } from '../planner.js';
import { isFailed, type EnvState } from '../state/env-state.js';
import { emit, nowIso, type StepDeps } from '../deploy/deps.js';
import { drainAndRemove, removeContainer } from '../deploy/drain.js';
import { RepairLimiter, repairDrift } from '../deploy/drift.js';
import { isEngineUnreachable } from '../deploy/docker-errors.js';
import { failCommit, type FailedOutcome } from '../deploy/fail.js';
import { defaultExecutorOptions, type ExecutorOptions } from '../deploy/options.js';
import { prepareImages, withRemoteDigests } from '../deploy/preflight.js';
import { recover } from '../deploy/recover.js';
import { startAndGate, undoStarted, type StartedService } from '../deploy/start-gate.js';
import { liveSetAfter, publishRoutes } from '../deploy/switch.js';
import { watch } from '../deploy/watch.js';
import { HealthGateError, WatchRevertError } from './errors.js';

export type ExecutorDeps = Omit<StepDeps, 'options'> & { options?: Partial<ExecutorOptions> };

export type DeployOutcome =
  | { result: 'live'; commit: string; plan: Plan; stack: Stack }
  | { result: 'unchanged'; commit: string; plan: Plan; stack: Stack }
  | FailedOutcome
  | { result: 'skipped'; commit: string; reason: string };

export class Executor {
  private readonly deps: StepDeps;
  private readonly repairs: RepairLimiter;

  constructor(deps: ExecutorDeps) {
    this.deps = { ...deps, options: { ...defaultExecutorOptions, ...deps.options } };
    this.repairs = new RepairLimiter(deps.clock, deps.logger, this.deps.options.maxRepairsPerWindow, this.deps.options.repairWindowMs);
  }

  /**
   * Deploys `stack` onto `env`. Never throws for a bad commit: returns `failed`. Throws when an
   * outside failure (Docker engine, disk) stops it (the caller emits `interrupted` and retries);
   * the journal stays and a retry or the next start converges.
   */
  async deploy(env: Environment, stack: Stack): Promise<DeployOutcome> {
    const deps = this.deps;
    const { store, clock } = deps;
    const commit = stack.commit;
    let state = await store.load(env.name, env.branch);
    const failedBefore = isFailed(state, commit);
    if (failedBefore) {
      const reason = `commit failed before: ${failedBefore.reason}`;
      await emit(deps, env, 'skipped', { commit, reason });
      return { result: 'skipped', commit, reason };
    }

    // 1. Pre-flight: the images of what will start are present (pull/build); nothing live is touched.
    const t0 = clock.now();
    try {
      stack = await withRemoteDigests(deps, stack);
    } catch (e) {
      return this.fail(env, state, commit, e, 'preflight');
    }
    let p: Plan;
    const live = await ownContainers(deps, env.name); // the engine down is no fault of the commit: throws, retried
    try {
      p = plan(stack, live, state);
    } catch (e) {
      return this.fail(env, state, commit, e, 'plan');
    }
    try {
      const starting = new Set(p.actions.filter((a) => a.action === 'create' || a.action === 'replace').map((a) => a.service));
      for (const img of await prepareImages(deps, stack, starting)) {
        await emit(deps, env, img.action, { commit, service: img.service, detail: { image: img.image, ...(img.digest ? { digest: img.digest } : {}) } });
      }
      await emit(deps, env, 'preflight', { commit, durationMs: clock.now() - t0, detail: { services: [...starting] } });
    } catch (e) {
      return this.fail(env, state, commit, e, 'preflight');
    }
    if (!p.changes) {
      state = { ...state, live: { commit, since: state.live?.since ?? nowIso(clock), services: state.live?.services ?? {} } };
      await store.save(state);
      await emit(deps, env, 'unchanged', { commit });
      return { result: 'unchanged', commit, plan: p, stack };
    }

    // 2. Journal; what a crashed attempt left goes.
    state = { ...state, operation: { commit, phase: 'starting', attempts: state.operation?.commit === commit ? state.operation.attempts : 0, startedAt: nowIso(clock) } };
    await store.save(state);
    for (const o of p.orphans) await removeContainer(deps, env, commit, o, 'orphan');

    // 3. Start + gate, service by service in dependency order.
    let started: StartedService[];
    try {
      started = await startAndGate(deps, env, stack, p, state);
    } catch (e) {
      if (isEngineUnreachable(e)) throw e; // not the commit's fault: interrupted, retried
      return this.fail(env, state, commit, e, e instanceof HealthGateError ? 'gate' : 'start');
    }

    // 4. Switch: the new set becomes live in one route-table apply.
    const previous = state.live;
    const newLive = await liveSetAfter(deps, stack, p, previous, started);
    try {
      await publishRoutes(deps, env, stack, newLive, previous);
    } catch (e) {
      await undoStarted(deps, env, stack, state, started);
      await publishRoutes(deps, env, stack, previous, undefined).catch(() => undefined);
      return this.fail(env, state, commit, e, 'switch');
    }
    state = { ...state, live: newLive, operation: { ...state.operation!, phase: 'watching', previous } };
    await store.save(state);
    await emit(deps, env, 'switched', { commit, detail: { services: started.map((s) => ({ service: s.service.name, colour: s.action.toColour, container: s.container.name })) } });

    // 5. Watch the new colour; errors send traffic back to the previous one (still running).
    const problem = await watch(deps, env, stack, started);
    if (problem) {
      await emit(deps, env, 'reverted', { commit, service: problem.service, stage: 'watch', reason: problem.reason });
      await publishRoutes(deps, env, stack, previous, undefined).catch((e) => deps.logger.error(`route revert failed: ${describeError(e)}`, { env: env.name }));
      const reverted = { ...state, live: previous };
      await undoStarted(deps, env, stack, reverted, started);
      return this.fail(env, reverted, commit, new WatchRevertError(problem.service, problem.reason), 'watch');
    }

    // 6. Drain and remove what the new commit replaced or dropped.
    state = { ...state, operation: { ...state.operation!, phase: 'draining' } };
    await store.save(state);
    await publishRoutes(deps, env, stack, newLive, undefined);
    await drainAndRemove(deps, env, stack, started, p, previous);
    await deps.secretFiles?.prune(stack).catch((e) => deps.logger.warn(`secret files not pruned: ${describeError(e)}`));
    await deps.repoFiles?.prune(stack).catch((e) => deps.logger.warn(`repo file copies not pruned: ${describeError(e)}`));
    state = { ...state, operation: undefined };
    await store.save(state);
    const routes = Object.values(stack.services).flatMap((svc) => (svc.x.route?.hosts ?? []).map((h) => `${h}${svc.x.route?.pathPrefix ?? ''}`));
    // The journal (agent/log/event-journal.ts) prints the summary line from this event.
    await emit(deps, env, 'live', { commit, durationMs: clock.now() - t0, detail: { services: Object.fromEntries(Object.entries(newLive.services).map(([k, v]) => [k, { colour: v.colour, image: v.image, digest: v.digest }])), routes } });
    return { result: 'live', commit, plan: p, stack };
  }

  /**
   * Records `commit` as failed for `env` (state, `failed` event, one warning); nothing live
   * changes. The agent also uses it for commits that fail before a stack exists (render).
   */
  fail(env: Environment, state: EnvState, commit: string, e: unknown, stage: DeployStage): Promise<FailedOutcome> {
    return failCommit(this.deps, env, state, commit, e, stage);
  }

  /** After a restart: finish or undo the interrupted operation, remove orphans, put the live routes back. */
  recover(env: Environment, stack?: Stack): Promise<EnvState> {
    return recover(this.deps, env, stack);
  }

  /** Removes an environment that went away (deploy/teardown.ts); `reason` goes on its events. */
  teardown(env: Environment, reason: string): Promise<TeardownResult> {
    return teardown(this.deps, env, reason);
  }

  /** Drift repair against the stack rendered at the live commit; returns how many containers were repaired. */
  repairDrift(env: Environment, liveStack: Stack): Promise<number> {
    return repairDrift(this.deps, this.repairs, env, liveStack);
  }
}
