// Crossing environments through `external: true`: a volume or network the compose file names but
// does not own. No environment may name another environment's objects (`ai-<env>_…`, what the
// agent creates); an environment governed by production's policy (master, previews) may name only
// what production's `allow.external_volumes` / `allow.external_networks` list, so a writer of
// master cannot mount production's data or join its network. Pure.
import type { PolicyAllow } from '../policy/policy.js';

export type ExternalKind = 'volume' | 'network';

/**
 * Why `name` may not be used, or undefined. `governed` is production's allow: (present when the
 * environment is a lower one), undefined for production itself.
 */
export function externalObjectProblem(kind: ExternalKind, name: string, env: string, governed: PolicyAllow | undefined): string | undefined {
  if (name.startsWith('ai-') && !name.startsWith(`ai-${env}_`)) {
    return `external ${kind} "${name}" belongs to another environment (the agent's own objects are named ai-<environment>_…); no environment may use another's`;
  }
  if (governed === undefined) return undefined;
  const listed = (kind === 'volume' ? governed.external_volumes : governed.external_networks) ?? [];
  if (listed.includes(name)) return undefined;
  return `external ${kind} "${name}" is not listed in allow.external_${kind}s of production's infra/autoinfra.yml: ${env} may use only the external ${kind}s production allows`;
}
