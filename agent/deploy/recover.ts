// Recover after a restart: finish or undo the operation a crash interrupted (by its journal
// phase), remove orphans, restart stopped live containers, and put the live routes back. The live
// set in the state file is the truth; anything else of this environment goes.
import { ownContainers } from './containers.js';
import { describeError } from '../../shared/errors.js';
import type { Stack } from '../../shared/stack/model.js';
import type { Environment } from '../environment.js';
import { withFailure, type EnvState } from '../state/env-state.js';
import { emit, nowIso, type StepDeps } from './deps.js';
import { finishDrain, removeContainer } from './drain.js';
import { publishRoutes } from './switch.js';

export async function recover(deps: StepDeps, env: Environment, stack?: Stack): Promise<EnvState> {
  const { store, runtime, logger, options } = deps;
  let state = await store.load(env.name, env.branch);
  const op = state.operation;
  if (op) {
    if (op.phase === 'watching' || op.phase === 'switched') {
      // The new set had not finished its watch: go back to the previous set, retry later.
      state = { ...state, live: op.previous };
    }
    const reason = `the agent stopped during the ${op.phase} phase`;
    if (op.phase === 'draining') {
      state = { ...state, operation: undefined };
      await store.save(state);
      await emit(deps, env, 'interrupted', { commit: op.commit, stage: 'recover', reason, detail: { phase: op.phase, attempts: op.attempts + 1, next: 'finish the drain' } });
    } else if (op.attempts + 1 >= options.maxCrashAttempts) {
      const failure = `the agent stopped ${op.attempts + 1} times while deploying this commit`;
      state = withFailure(state, op.commit, failure, nowIso(deps.clock));
      await store.save(state);
      await emit(deps, env, 'failed', { commit: op.commit, stage: 'recover', reason: failure, detail: { phase: op.phase } });
    } else {
      state = { ...state, operation: { ...op, attempts: op.attempts + 1, phase: 'preflight' } };
      await store.save(state);
      await emit(deps, env, 'interrupted', { commit: op.commit, stage: 'recover', reason, detail: { phase: op.phase, attempts: op.attempts + 1, next: 'deploy again' } });
    }
    logger.warn(`${env.name}: recovering from an interrupted deploy of ${op.commit.slice(0, 12)} (phase ${op.phase})`, { env: env.name });
  }
  const live = await ownContainers(deps, env.name);
  if (op?.phase === 'draining' && stack) await finishDrain(deps, env, stack, live, state);
  const wanted = new Set(Object.values(state.live?.services ?? {}).map((s) => s.container));
  const jobs = new Set(Object.values(state.live?.services ?? {}).filter((s) => s.job).map((s) => s.container));
  for (const c of live) {
    if (!wanted.has(c.name)) {
      await removeContainer(deps, env, c.commit, c, 'orphan');
    } else if (c.state !== 'running' && !jobs.has(c.name)) {
      await runtime.start(c.id).catch((e) => logger.error(`restart of ${c.name} failed: ${describeError(e)}`));
    }
  }
  if (stack && state.live) await publishRoutes(deps, env, stack, state.live, undefined).catch((e) => logger.warn(`routes not applied: ${describeError(e)}`, { env: env.name }));
  return state;
}
