// The Docker objects of one environment that the steps create: networks, volumes, and a
// service's container of one colour (with its compose secrets and mounted repo paths materialised).
import type { ServiceSpec, Stack } from '../../shared/stack/model.js';
import { NameConflictError, PreflightError } from '../executor/errors.js';
import { containerName, containerSpec, networkName, volumeName } from '../runtime/container-spec.js';
import { LABEL, type Colour, type LiveContainer } from '../runtime/types.js';
import type { StepDeps } from './deps.js';

type Deps = Pick<StepDeps, 'runtime' | 'host' | 'secretFiles' | 'repoFiles'>;

export async function ensureNetworksAndVolumes(deps: Deps, stack: Stack): Promise<void> {
  const labels = { [LABEL.env]: stack.env, [LABEL.host]: deps.host };
  const nets = new Set<string>();
  for (const svc of Object.values(stack.services)) {
    const names = Object.keys(svc.networks).length ? Object.keys(svc.networks) : ['default'];
    for (const n of names) if (!stack.networks[n]?.external) nets.add(n);
  }
  for (const n of nets) await deps.runtime.ensureNetwork(networkName(stack.env, n), labels, { internal: stack.networks[n]?.internal });
  for (const [name, v] of Object.entries(stack.volumes)) if (!v.external) await deps.runtime.ensureVolume(volumeName(stack, name), labels);
}

/**
 * The environment's containers that this agent made (labelled with its host; unlabelled ones are
 * from before the label existed). Another agent's containers on the same engine are never
 * planned against, repaired, or removed as orphans.
 */
export async function ownContainers(deps: Pick<StepDeps, 'runtime' | 'host'>, env: string): Promise<LiveContainer[]> {
  return (await deps.runtime.list(env)).filter((c) => c.labels[LABEL.host] === undefined || c.labels[LABEL.host] === deps.host);
}

/** Creates and starts `service` in `colour`; a container of that name left by an interrupted attempt is replaced. */
export async function startContainer(deps: Deps, stack: Stack, service: ServiceSpec, colour: Colour, job = false): Promise<LiveContainer> {
  const { runtime } = deps;
  const stale = await runtime.inspect(containerName(stack.env, service.name, colour));
  // Only ever remove what this agent made: another agent (or the demo) on the same engine uses
  // the same names, and destroying its container would take its traffic down.
  if (stale && stale.labels[LABEL.host] !== undefined && stale.labels[LABEL.host] !== deps.host) throw new NameConflictError(stale.name, stale.labels[LABEL.host] ?? '');
  if (stale) await runtime.remove(stale.id);
  const c = await runtime.create(containerSpec({ stack, service, colour, host: deps.host, secretFiles: await secretFilesFor(deps, stack, service), repoFiles: await repoFilesFor(deps, stack, service), job }));
  await runtime.start(c.id);
  return (await runtime.inspect(c.id)) ?? c;
}

async function secretFilesFor(deps: Deps, stack: Stack, service: ServiceSpec): Promise<Record<string, string>> {
  if (!service.secrets.length) return {};
  if (!deps.secretFiles) throw new PreflightError(service.name, 'uses compose secrets but the agent has no runtime directory for them');
  return deps.secretFiles.materialise(stack, service);
}

async function repoFilesFor(deps: Deps, stack: Stack, service: ServiceSpec): Promise<Record<string, string>> {
  const hashes = service.volumes.flatMap((v) => (v.repoTree ? [v.repoTree] : []));
  if (!hashes.length) return {};
  if (!deps.repoFiles) throw new PreflightError(service.name, 'bind-mounts repo paths but the agent has no directory to place them in');
  return deps.repoFiles.materialise(stack, hashes);
}
