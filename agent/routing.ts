// The routing table the edge serves, assembled from every environment's live services.
// Environments publish their routes here; one merged table goes to the edge, atomically.
import type { Logger } from './logger.js';

export interface RouteEntry {
  id: string;
  hosts: string[];
  pathPrefix?: string;
  upstream: string;
  previous?: string;
  mirror?: { target: string; methods: string[]; sampleRate: number };
}

export interface RouteTableData { version: number; routes: RouteEntry[] }

/** Per-upstream counters the executor's watch reads. */
export interface UpstreamCounters { requests: number; errors5xx: number; connectErrors: number; inFlight: number }

/** What the agent needs from the edge. EdgeClient (agent/edge/client.ts) implements it. */
export interface EdgeControl {
  apply(table: RouteTableData): Promise<unknown>;
  upstreamCounters?(upstream: string): Promise<UpstreamCounters | undefined>;
  waitDrained?(upstream: string, opts: { timeoutMs: number }): Promise<boolean>;
}

export class RouteBook {
  private readonly byEnv = new Map<string, RouteEntry[]>();
  private version: number;

  constructor(private readonly edge: EdgeControl, private readonly logger: Logger, startVersion = Date.now()) {
    this.version = startVersion;
  }

  table(): RouteTableData {
    // Production first: when two environments claim the same host, the first listed wins.
    const envs = [...this.byEnv.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    return { version: this.version, routes: envs.flatMap((e) => this.byEnv.get(e) ?? []) };
  }

  /** Replaces an environment's routes and applies the merged table (resolves when the edge acknowledged). */
  async publish(env: string, routes: RouteEntry[]): Promise<void> {
    this.byEnv.set(env, routes);
    this.version++;
    await this.edge.apply(this.table());
  }

  /** Sets routes without applying (restoring state at start; one apply follows). */
  set(env: string, routes: RouteEntry[]): void {
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
