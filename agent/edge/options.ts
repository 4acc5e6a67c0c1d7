// Every tunable of the edge with its default, in one place. Tests pass millisecond values.
export interface EdgeOptions {
  /** Plain HTTP listen addresses: ':80', '127.0.0.1:8080', '[::1]:80', a unix socket path, or 'systemd'. */
  listen: string[];
  /** TLS listeners (certificate and key are PEM files). */
  tls: { listen: string; cert: string; key: string }[];
  controlSocket: string;
  routesFile: string;
  /** Whole request (headers + body from the client) must arrive within this. 0 disables. */
  requestTimeoutMs: number;
  /** Client request headers must arrive within this. */
  headersTimeoutMs: number;
  /** Idle keep-alive client connections are closed after this. */
  idleTimeoutMs: number;
  /** Largest request header block accepted (bytes); larger → 431. */
  maxHeaderSize: number;
  /** Upstream must send response headers within this, else 504. */
  upstreamHeadersTimeoutMs: number;
  /** Longest pause between upstream body chunks, else the response is cut. */
  upstreamBodyTimeoutMs: number;
  upstreamConnectTimeoutMs: number;
  /** Keep-alive connections per upstream pool. */
  upstreamConnections: number;
  /** Requests in flight to one upstream beyond which the edge answers 503. */
  maxInFlightPerUpstream: number;
  /** Graceful stop: in-flight requests get this long to finish after SIGTERM. */
  stopTimeoutMs: number;
  /** An upgraded connection (WebSocket tunnel) with no byte either way for this long is closed (nginx's proxy_read_timeout). */
  tunnelIdleTimeoutMs: number;
  /** Tunnels open (or being opened) in one edge process; beyond it an upgrade is answered 503. Each costs 2 fds. */
  maxTunnels: number;
  /** Tunnels from one client (an IPv4 address or an IPv6 /64, tunnels.ts clientKey) in one edge process; beyond it 503. */
  maxTunnelsPerClient: number;
  mirror: {
    /** Mirror requests in flight across the edge; beyond it, sampled requests are dropped and counted. */
    maxInFlight: number;
    /** Request bodies larger than this are not mirrored (counted as dropped). */
    maxBodyBytes: number;
    /** Methods mirrored when a route's mirror does not name them. */
    methods: readonly string[];
    timeoutMs: number;
    /** After a target refuses a connection, copies to it are dropped (counted) for this long. */
    downBackoffMs: number;
  };
}

export const defaultEdgeOptions: Readonly<Omit<EdgeOptions, 'controlSocket' | 'routesFile'>> = Object.freeze({
  listen: Object.freeze([':80']) as unknown as string[],
  tls: Object.freeze([]) as unknown as EdgeOptions['tls'],
  requestTimeoutMs: 300_000,
  headersTimeoutMs: 30_000,
  idleTimeoutMs: 65_000,
  maxHeaderSize: 16 * 1024,
  upstreamHeadersTimeoutMs: 60_000,
  upstreamBodyTimeoutMs: 300_000,
  upstreamConnectTimeoutMs: 5_000,
  upstreamConnections: 128,
  maxInFlightPerUpstream: 10_000,
  stopTimeoutMs: 30_000,
  tunnelIdleTimeoutMs: 60_000,
  // 10 000 tunnels hold 20 000 fds: under the unit's LimitNOFILE=65536 with room for requests.
  maxTunnels: 10_000,
  maxTunnelsPerClient: 256,
  mirror: Object.freeze({ maxInFlight: 64, maxBodyBytes: 64 * 1024, methods: Object.freeze(['GET', 'HEAD']), timeoutMs: 10_000, downBackoffMs: 1_000 }),
});

/** Defaults filled in; nested `mirror` merged key by key. */
export function edgeOptions(given: Partial<Omit<EdgeOptions, 'mirror'>> & { controlSocket: string; routesFile: string; mirror?: Partial<EdgeOptions['mirror']> }): EdgeOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as typeof given;
  return { ...defaultEdgeOptions, ...defined, mirror: { ...defaultEdgeOptions.mirror, ...given.mirror } } as EdgeOptions;
}
