// Adapts the edge's client to what the executor needs (EdgeControl): counters of one upstream.
import type { EdgeClient } from './edge/client.js';
import type { RouteTable } from './edge/routes.js';
import type { EdgeControl, RouteTableData, UpstreamCounters } from './routing.js';

export function edgeControl(client: EdgeClient): EdgeControl {
  return {
    apply: (table: RouteTableData) => client.apply(table as RouteTable),
    async upstreamCounters(upstream: string): Promise<UpstreamCounters | undefined> {
      const s = (await client.stats()).upstreams[upstream];
      if (!s) return undefined;
      return { requests: s.requests, errors5xx: s.status['5xx'], connectErrors: s.upstreamErrors.connect + s.upstreamErrors.timeout + s.upstreamErrors.other, inFlight: s.inFlight };
    },
    waitDrained: (upstream, opts) => client.waitDrained(upstream, opts),
  };
}
