// The route table as data: what the agent writes and the edge serves. One type for both sides
// (validation and lookup live with the edge, agent/edge/routes.ts).

export interface RouteTable { version: number; routes: Route[] }

export interface Route {
  /** e.g. 'production/web' */
  id: string;
  /** Exact host names (lowercase) and '*.example.org' wildcards (any depth of subdomain). */
  hosts: string[];
  /** Longest prefix wins; '/api' matches '/api' and '/api/…' but not '/apix'. */
  pathPrefix?: string;
  /** '127.0.0.1:PORT' — the live colour. */
  upstream: string;
  /** The old colour, kept during the watch window (switch-back target). */
  previous?: string;
  mirror?: MirrorSpec;
}

export interface MirrorSpec { target: string; methods: string[]; sampleRate: number }
