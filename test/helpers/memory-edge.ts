// An in-memory EdgeControl (what the agent needs from the edge): keeps every applied table, serves
// per-upstream counters a test sets, and answers drain waits from in-flight counts a test sets.
import type { EdgeControl, UpstreamCounters } from '../../agent/routing.js';
import type { RouteTable } from '../../shared/routes/route-table.js';

export class MemoryEdge implements EdgeControl {
  readonly tables: RouteTable[] = [];
  readonly counters = new Map<string, UpstreamCounters>();
  /** Upstreams whose drain never completes (waitDrained answers false). */
  readonly busy = new Set<string>();
  readonly drainWaits: string[] = [];
  /** When set, apply() throws it (an edge that refuses the table). */
  failApply?: Error;

  async apply(table: RouteTable): Promise<unknown> {
    if (this.failApply) throw this.failApply;
    this.tables.push(structuredClone(table));
    return { version: table.version };
  }

  async upstreamCounters(upstream: string): Promise<UpstreamCounters | undefined> {
    return this.counters.get(upstream);
  }

  async waitDrained(upstream: string): Promise<boolean> {
    this.drainWaits.push(upstream);
    return !this.busy.has(upstream);
  }

  /** The upstream route `id` goes to in the last applied table. */
  upstream(id: string): string | undefined {
    return this.tables.at(-1)?.routes.find((r) => r.id === id)?.upstream;
  }
}
