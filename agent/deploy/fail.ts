// A failed commit: recorded in the state (skipped until the branch moves), one `failed` event,
// one warning. Nothing live changes.
import { AutoinfraError, describeError } from '../../shared/errors.js';
import type { Environment } from '../environment.js';
import type { DeployStage } from '../events.js';
import { withFailure, type EnvState } from '../state/env-state.js';
import { emit, nowIso, type StepDeps } from './deps.js';

export interface FailedOutcome { result: 'failed'; commit: string; reason: string; error: AutoinfraError | Error }

export async function failCommit(deps: StepDeps, env: Environment, state: EnvState, commit: string, e: unknown, stage: DeployStage): Promise<FailedOutcome> {
  const reason = describeError(e);
  await deps.store.save(withFailure(state, commit, reason, nowIso(deps.clock)));
  await emit(deps, env, 'failed', { commit, stage, reason, code: e instanceof AutoinfraError ? e.code : undefined });
  deps.logger.warn(`${env.name}: commit ${commit.slice(0, 12)} failed at ${stage}: ${reason}; ${state.live ? `still serving ${state.live.commit.slice(0, 12)}` : 'nothing was live'}`, { env: env.name, commit });
  return { result: 'failed', commit, reason, error: e instanceof Error ? e : new Error(reason) };
}
