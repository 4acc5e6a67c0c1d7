// What the read-only verbs (status, plan, render) see: the agent's state dir, its object store and
// the Docker engine, opened without polling or writing anything.
import { parseIdentityFile } from '../../shared/secrets/age.js';
import type { Stack } from '../../shared/stack/model.js';
import { systemClock } from '../clock.js';
import { loadAgentConfig } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { envOf } from '../agent.js';
import { silentLogger } from '../logger.js';
import { renderAt } from '../render.js';
import { gitSourceFor } from '../source/configured.js';
import type { GitSource } from '../source/git-source.js';
import { StateStore } from '../state/store.js';
import { readFile } from 'node:fs/promises';

export interface LocalView {
  config: AgentConfig;
  store: StateStore;
  source: GitSource;
  /** Branch → env for production and master. */
  envs: { env: string; branch: string }[];
  render(env: string, branch: string, commit: string): Promise<Stack>;
}

export async function openLocalView(configFile: string): Promise<LocalView> {
  const config = await loadAgentConfig(configFile);
  const source = gitSourceFor(config, systemClock, silentLogger());
  const identities = await readFile(config.keys.age, 'utf8').then((t) => parseIdentityFile(config.keys.age, t), () => [] as string[]);
  return {
    config,
    store: new StateStore(config.stateDir),
    source,
    envs: [
      { env: envOf('production', config.branches.production), branch: config.branches.production },
      { env: envOf('master', config.branches.master), branch: config.branches.master },
    ],
    render: (env, branch, commit) => renderAt({ source, host: config.host, ageIdentities: identities }, env, branch, commit),
  };
}
