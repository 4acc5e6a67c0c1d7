// The Environment value: one tracked branch's instance of the app on this host. Made once, here,
// from what the source tracks; carried on every source and deploy event. Nothing else derives an
// environment's name, kind, rank, overlay or prefix from strings.
export type EnvironmentKind = 'production' | 'master' | 'preview';

export interface Environment {
  /** `production`, `master`, `preview-<slug>`. */
  readonly name: string;
  readonly kind: EnvironmentKind;
  /** Tracked branch name as the source knows it (`production`, `preview/x`, `pull/7`). */
  readonly branch: string;
  /** Full server ref (`refs/heads/production`, `refs/pull/7/head`). */
  readonly ref: string;
  /** Who wins a route conflict: lower wins (production 0, master 1, previews 2). */
  readonly rank: number;
  /** Prefix of every Docker object the agent creates for this environment (containers, networks, volumes). */
  readonly project: string;
  /** The overlay compose file this environment reads on top of `infra/docker-compose.yml`. */
  readonly overlay: string;
  /** The environment this one shadows (its copies' source and its route master): master and previews shadow production. */
  readonly shadows?: string;
}

export interface TrackedBranch { branch: string; ref: string; kind: EnvironmentKind }

const RANK: Record<EnvironmentKind, number> = { production: 0, master: 1, preview: 2 };

/** Environment name of a tracked branch: the kind for production and master, `preview-<slug>` for previews. */
export function environmentName(kind: EnvironmentKind, branch: string): string {
  if (kind !== 'preview') return kind;
  const slug = branch.replace(/^preview\//, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return `preview-${slug}`;
}

/**
 * The one constructor. `host` is this agent's host name: every object name is unique per agent, so
 * two agents (or the demo beside a real agent) on one engine never collide.
 */
export function environmentFor(tracked: TrackedBranch, host: string): Environment {
  const name = environmentName(tracked.kind, tracked.branch);
  return Object.freeze({
    name,
    kind: tracked.kind,
    branch: tracked.branch,
    ref: tracked.ref,
    rank: RANK[tracked.kind],
    project: `ai-${host}-${name}`,
    overlay: tracked.kind === 'preview' ? 'infra/docker-compose-env-preview.yml' : `infra/docker-compose-env-${tracked.branch}.yml`,
    shadows: tracked.kind === 'production' ? undefined : 'production',
  });
}

/** Orders environments by rank, then name (route conflicts, status listings). */
export function byRank(a: Environment, b: Environment): number {
  return a.rank - b.rank || a.name.localeCompare(b.name);
}
