// Teardown: the one code path that removes an environment that went away (its branch was deleted,
// or master's head is production's live commit). Traffic leaves first (its routes are withdrawn),
// then its containers, its networks, the files placed for it and its state; volumes are kept for
// production and removed for copies (master, previews), whose data is only ever a copy. Each step
// is an event; only objects this agent labelled for this environment on this host are touched.
import { ownContainers } from './containers.js';
import type { Environment } from '../environment.js';
import { LABEL } from '../runtime/types.js';
import { emit, type StepDeps } from './deps.js';
import { removeContainer } from './drain.js';

export interface TeardownResult { containers: number; networks: number; volumesRemoved: string[]; volumesKept: string[] }

/** Nothing happens (no event) when the environment has nothing on this host. */
export async function teardown(deps: StepDeps, env: Environment, reason: string): Promise<TeardownResult> {
  const { runtime } = deps;
  const state = await deps.store.load(env.name, env.branch);
  const commit = state.live?.commit;
  const mine = await ownContainers(deps, env.name);
  const owned = await runtime.labelledObjects({ [LABEL.env]: env.name, [LABEL.host]: deps.host });
  const nothing = !state.live && !state.operation && !state.failed.length && !mine.length && !owned.networks.length && !owned.volumes.length;
  if (nothing) return { containers: 0, networks: 0, volumesRemoved: [], volumesKept: [] };
  await deps.routes.withdraw(env);
  for (const c of mine) {
    if (c.state === 'running') await runtime.stop(c.id, deps.options.stopTimeoutS);
    await removeContainer(deps, env, commit, c, 'torn-down');
  }
  for (const n of owned.networks) await runtime.removeNetwork(n);
  const dropVolumes = env.kind !== 'production';
  if (dropVolumes) for (const v of owned.volumes) await runtime.removeVolume(v);
  await deps.secretFiles?.removeEnvironment(env.name);
  await deps.repoFiles?.removeEnvironment(env.name);
  await deps.store.remove(env.name);
  const result: TeardownResult = {
    containers: mine.length, networks: owned.networks.length,
    volumesRemoved: dropVolumes ? owned.volumes : [], volumesKept: dropVolumes ? [] : owned.volumes,
  };
  await emit(deps, env, 'torn-down', { commit, reason, detail: { ...result } });
  deps.logger.info(`${env.name}: torn down (${reason}): ${mine.length} containers, ${owned.networks.length} networks removed; volumes ${dropVolumes ? `removed: ${owned.volumes.join(', ') || 'none'}` : `kept: ${owned.volumes.join(', ') || 'none'}`}`, { env: env.name });
  return result;
}
