// Adapts the edge's client to what the executor needs (EdgeControl): counters of one upstream.
import type { EdgeClient } from './edge/client.js';
import type { RouteTable } from '../shared/routes/route-table.js';
import type { EdgeControl, UpstreamCounters } from './routing.js';

export function edgeControl(client: EdgeClient): EdgeControl {
  return {
    apply: (table: RouteTable) => client.apply(table),
    async upstreamCounters(upstream: string): Promise<UpstreamCounters | undefined> {
      const s = (await client.stats()).upstreams[upstream];
      if (!s) return undefined;
      return { requests: s.requests, errors5xx: s.status['5xx'], connectErrors: s.upstreamErrors.connect + s.upstreamErrors.timeout + s.upstreamErrors.other, inFlight: s.inFlight };
    },
    waitDrained: (upstream, opts) => client.waitDrained(upstream, opts),
  };
}
