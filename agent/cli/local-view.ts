// What the read-only verbs (status, plan, render) see: the agent's state dir, its object store and
// the Docker engine, opened without polling or writing anything.
import { loadFingerprintKey } from '../state/fingerprint-key.js';
import { parseIdentityFile } from '../../shared/secrets/age.js';
import type { Stack } from '../../shared/stack/model.js';
import { systemClock } from '../clock.js';
import { loadAgentConfig } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import type { Environment } from '../environment.js';
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
  /** production and master, as the agent names them. */
  envs: Environment[];
  render(env: Environment, commit: string): Promise<Stack>;
  /** The host's fingerprint key (undefined when the state dir is not readable: then one per process). */
  fingerprintKey?: Uint8Array;
}

export async function openLocalView(configFile: string): Promise<LocalView> {
  const config = await loadAgentConfig(configFile);
  const source = gitSourceFor(config, systemClock, silentLogger());
  const identities = await readFile(config.keys.age, 'utf8').then((t) => parseIdentityFile(config.keys.age, t), () => [] as string[]);
  // The agent's own key, so `plan` compares service hashes as the agent computes them.
  const fingerprintKey = await loadFingerprintKey(config.stateDir).catch(() => undefined);
  return {
    config,
    fingerprintKey,
    store: new StateStore(config.stateDir),
    source,
    envs: [source.environmentOf(config.branches.production), source.environmentOf(config.branches.master)],
    render: (env, commit) => renderAt({ source, host: config.host, ageIdentities: identities, fingerprintKey, productionHead: () => source.heads().get(config.branches.production) }, env, commit),
  };
}
