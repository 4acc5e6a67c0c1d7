// The routing table the edge serves, assembled from every environment's live services.
// Environments publish their routes here; one merged table goes to the edge, atomically.
import type { Route, RouteTable } from '../shared/routes/route-table.js';
import type { Logger } from './logger.js';

/** Per-upstream counters the executor's watch reads. */
/** What one upstream did (agent/edge-control.ts `upstreamCounters`): requests it was given, its own 5xx, its failures (refused, reset, timed out). */
export interface UpstreamCounters { requests: number; errors5xx: number; connectErrors: number; inFlight: number }

/** What the agent needs from the edge. EdgeClient (agent/edge/client.ts) implements it. */
export interface EdgeControl {
  apply(table: RouteTable): Promise<unknown>;
  upstreamCounters?(upstream: string): Promise<UpstreamCounters | undefined>;
  waitDrained?(upstream: string, opts: { timeoutMs: number }): Promise<boolean>;
}

export class RouteBook {
  private readonly byEnv = new Map<string, Route[]>();
  private version: number;

  constructor(private readonly edge: EdgeControl, private readonly logger: Logger, startVersion = Date.now()) {
    this.version = startVersion;
  }

  table(): RouteTable {
    // Production first: when two environments claim the same host and path (master usually
    // reuses production's compose), the first keeps it and the later one is not routed there.
    // (Master takes a copy of production's traffic through mirroring, a later capability.)
    const envs = [...this.byEnv.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const claimed = new Map<string, string>();
    const routes: Route[] = [];
    for (const env of envs) {
      for (const r of this.byEnv.get(env) ?? []) {
        const key = (h: string) => `${h.toLowerCase()} ${r.pathPrefix ?? '/'}`;
        const hosts = r.hosts.filter((h) => !claimed.has(key(h)));
        const taken = r.hosts.filter((h) => claimed.has(key(h)));
        if (taken.length) this.warnOnce(`${r.id}: ${taken.join(', ')} already routed to ${claimed.get(key(taken[0]))}; not routed to ${env}`);
        if (!hosts.length) continue;
        for (const h of hosts) claimed.set(key(h), r.id);
        routes.push(hosts.length === r.hosts.length ? r : { ...r, hosts });
      }
    }
    return { version: this.version, routes };
  }

  private readonly warned = new Set<string>();
  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.logger.warn(message);
  }

  /** Replaces an environment's routes and applies the merged table (resolves when the edge acknowledged). */
  async publish(env: string, routes: Route[]): Promise<void> {
    this.byEnv.set(env, routes);
    this.version++;
    await this.edge.apply(this.table());
  }

  /** Sets routes without applying (restoring state at start; one apply follows). */
  set(env: string, routes: Route[]): void {
    this.byEnv.set(env, routes);
  }

  async applyAll(): Promise<void> {
    this.version++;
    await this.edge.apply(this.table());
  }

  get control(): EdgeControl {
    return this.edge;
  }

  get log(): Logger {
    return this.logger;
  }
}

function rank(env: string): number {
  return env === 'production' ? 0 : env === 'master' ? 1 : 2;
}
