// What every deploy step is given: the outside parts, explicitly (no singletons), and one way to
// emit a step's event.
import type { Clock } from '../clock.js';
import type { Environment } from '../environment.js';
import type { DeployEvent, EventSink } from '../events.js';
import type { RepoFiles } from '../executor/repo-files.js';
import type { SecretFiles } from '../executor/secret-files.js';
import type { Logger } from '../logger.js';
import type { RegistryCredentials } from '../registry/credentials.js';
import type { RouteBook } from '../routing.js';
import type { Runtime } from '../runtime/types.js';
import type { StateStore } from '../state/store.js';
import type { ExecutorOptions } from './options.js';

export interface StepDeps {
  runtime: Runtime;
  routes: RouteBook;
  events: EventSink;
  store: StateStore;
  clock: Clock;
  logger: Logger;
  /** This agent's host name (label on what it creates). */
  host: string;
  options: ExecutorOptions;
  /** Registry credentials from the agent's own file (the repo's, in the stack, win per registry). */
  registryCredentials?: RegistryCredentials;
  /** Compose secrets are materialised here (on a tmpfs) for bind mounts. */
  secretFiles?: SecretFiles;
  /** Copies of repo paths that services bind-mount are placed here. */
  repoFiles?: RepoFiles;
  /** Files of the repo at the stack's commit under a prefix (build contexts). */
  readTree?: (commit: string, prefix: string) => Promise<Map<string, Uint8Array>>;
}

export type EventFields = Omit<DeployEvent, 'type' | 'env' | 'at'>;

/** Emits one event of `env`, stamped with the clock's time. */
export function emit(deps: Pick<StepDeps, 'events' | 'clock'>, env: Environment, type: DeployEvent['type'], fields: EventFields = {}): Promise<void> {
  return deps.events.emit({ type, env, at: deps.clock.now(), ...fields });
}

export function nowIso(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
