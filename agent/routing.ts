// The routing table the edge serves, assembled from every environment's live services.
// Environments publish their routes here; one merged table goes to the edge, atomically.
import type { Route, RouteTable } from '../shared/routes/route-table.js';
import { byRank, type Environment } from './environment.js';
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
  private readonly byEnv = new Map<string, { env: Environment; routes: Route[] }>();
  private version: number;

  constructor(private readonly edge: EdgeControl, private readonly logger: Logger, startVersion = Date.now()) {
    this.version = startVersion;
  }

  table(): RouteTable {
    // A hostname belongs to the highest-ranked environment that routes it (production, then
    // master, then previews), whatever the path: a lower environment may not take `/login` on
    // production's host by claiming another prefix. Within one environment, prefixes share a host.
    // (Master takes a copy of production's traffic through mirroring, not by routing its host.)
    const envs = [...this.byEnv.values()].sort((a, b) => byRank(a.env, b.env));
    const owner = new Map<string, { env: string; route: string }>();
    const routes: Route[] = [];
    for (const { env, routes: own } of envs) {
      const mine = new Map<string, string>();
      for (const r of own) {
        const hosts = r.hosts.filter((h) => { const o = owner.get(h.toLowerCase()); return o === undefined || o.env === env.name; });
        const taken = r.hosts.filter((h) => !hosts.includes(h));
        if (taken.length) this.warnOnce(`${r.id}: ${taken.join(', ')} already routed to ${owner.get(taken[0].toLowerCase())!.route}; not routed to ${env.name}`);
        for (const h of hosts) if (!mine.has(h.toLowerCase())) mine.set(h.toLowerCase(), r.id);
        if (hosts.length) routes.push(hosts.length === r.hosts.length ? r : { ...r, hosts });
      }
      for (const [h, route] of mine) owner.set(h, { env: env.name, route });
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
  async publish(env: Environment, routes: Route[]): Promise<void> {
    this.byEnv.set(env.name, { env, routes });
    this.version++;
    await this.edge.apply(this.table());
  }

  /** Sets routes without applying (restoring state at start; one apply follows). */
  set(env: Environment, routes: Route[]): void {
    this.byEnv.set(env.name, { env, routes });
  }

  /** Drops an environment's routes (teardown); applies the merged table. */
  async withdraw(env: Environment): Promise<void> {
    if (!this.byEnv.delete(env.name)) return;
    this.version++;
    await this.edge.apply(this.table());
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
