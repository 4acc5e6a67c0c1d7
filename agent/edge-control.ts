// Adapts the edge's client to what the executor needs (EdgeControl): counters of one upstream.
import type { EdgeClient } from './edge/client.js';
import type { RouteTable } from '../shared/routes/route-table.js';
import type { EdgeControl, UpstreamCounters } from './routing.js';
import type { TrafficCounts } from './edge/stats.js';

export function edgeControl(client: EdgeClient): EdgeControl {
  return {
    apply: (table: RouteTable) => client.apply(table),
    async upstreamCounters(upstream: string): Promise<UpstreamCounters | undefined> {
      const s = (await client.stats()).upstreams[upstream];
      return s && upstreamCounters(s);
    },
    waitDrained: (upstream, opts) => client.waitDrained(upstream, opts),
  };
}

/**
 * What the upstream itself did, from the edge's counters of it: the requests it was given, the 5xx
 * it answered, and how often it failed (refused, reset, timed out, cut a response). The edge's own
 * answers for the client's reasons (a request it could not forward, the in-flight and tunnel caps)
 * and requests the client broke off are left out of both sides, so they can neither fail a deploy
 * nor dilute the rate that fails one. Answers before routing (duplicate Host, malformed HTTP,
 * `OPTIONS *`) never reach an upstream's counters at all.
 */
export function upstreamCounters(s: TrafficCounts): UpstreamCounters {
  const e = s.edgeAnswers;
  return {
    requests: Math.max(0, s.requests - e.badRequest - e.overloaded - e.tunnelLimit - s.clientAborted),
    // The edge's 502/504 for a failed upstream are counted once, as failures, not again as 5xx.
    errors5xx: Math.max(0, s.status['5xx'] - e.upstreamFailed - e.overloaded - e.tunnelLimit),
    connectErrors: s.upstreamErrors.connect + s.upstreamErrors.timeout + s.upstreamErrors.other,
    inFlight: s.inFlight,
  };
}
