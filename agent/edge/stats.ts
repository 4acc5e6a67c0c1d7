// Counters of the edge: per route and per upstream (requests, status classes, upstream errors,
// in-flight, latency histogram) and per route mirror figures. Pure data; rendered as JSON for the
// agent's watch (GET /stats) and as Prometheus text (GET /metrics). Workers' stats are summed.
// The answers the edge gives itself are counted apart from the upstream's, so that what a client
// provokes (a request the edge refuses) can be told from what the upstream did (see upstreamCounters
// in agent/edge-control.ts, the watch's only view).

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is +Inf. */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]);

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
const CLASSES: StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export interface Histogram { bucketsMs: number[]; counts: number[] /* one more than bucketsMs: +Inf */; sumMs: number; count: number }

export interface TrafficCounts {
  requests: number;
  status: Record<StatusClass, number>;
  /** Errors reaching the upstream: connection refused/reset, connect timeouts, response timeouts. */
  upstreamErrors: { connect: number; timeout: number; other: number };
  inFlight: number;
  /** Open upgraded (WebSocket) tunnels. */
  tunnels: number;
  /** Requests the client broke off or broke (closed early, malformed body) before the answer: not the upstream's doing. */
  clientAborted: number;
  /** The edge's own answers on this route/upstream, by reason (each also counted in `status`). */
  edgeAnswers: RouteEdgeAnswers;
  latency: Histogram;
}

/**
 * Answers the edge gave itself after choosing a route. Only `upstreamFailed` says the upstream is
 * broken (502/504: it refused the connection, reset it, or did not answer in time); the others are
 * the client's doing or the edge's own limits, and the watch leaves them out.
 */
export interface RouteEdgeAnswers {
  /** 502/504: the upstream refused, reset or timed out (also in upstreamErrors). */
  upstreamFailed: number;
  /** 400: the request could not be forwarded as sent (the upstream saw nothing). */
  badRequest: number;
  /** 503: more requests in flight to the upstream than maxInFlightPerUpstream. */
  overloaded: number;
  /** 503: an upgrade over the tunnel caps (per edge, per client address). */
  tunnelLimit: number;
}

/** Answers the edge gave before any route was chosen (never reaching a route's counters). */
export interface GlobalEdgeAnswers {
  /** 400: malformed HTTP, duplicate Host, a request target or path the edge refuses. */
  badRequest: number;
  /** 200: `OPTIONS *` (about the edge itself, answered by it). */
  options: number;
  /** 431: request headers over maxHeaderSize. */
  tooLarge: number;
  /** 408: the request did not arrive within the header/request timeouts. */
  requestTimeout: number;
}

export interface MirrorCounts {
  sampled: number;
  sent: number;
  dropped: number;
  errors: number;
  /** Status class of mirror and production answers compared (only when both answered). */
  agree: number;
  disagree: number;
  inFlight: number;
  latency: Histogram;
}

export interface EdgeStats {
  /** Version of the route table in use (the lowest one across workers). */
  version: number;
  workers: number;
  /** Requests no route matched (answered 404). */
  unrouted: number;
  /** The edge's own answers before routing, by reason. */
  edgeAnswers: GlobalEdgeAnswers;
  /** Upgraded connections of the whole edge: open now (incl. handshakes in progress), refused over a cap, closed idle. */
  tunnels: { open: number; refused: number; idleClosed: number };
  routes: Record<string, TrafficCounts>;
  upstreams: Record<string, TrafficCounts>;
  mirror: Record<string, MirrorCounts>;
}

function histogram(): Histogram { return { bucketsMs: [...LATENCY_BUCKETS_MS], counts: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0), sumMs: 0, count: 0 }; }

export function observe(h: Histogram, ms: number): void {
  let i = 0;
  while (i < h.bucketsMs.length && ms > h.bucketsMs[i]) i++;
  h.counts[i]++;
  h.sumMs += ms;
  h.count++;
}

export function trafficCounts(): TrafficCounts {
  return { requests: 0, status: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, upstreamErrors: { connect: 0, timeout: 0, other: 0 }, inFlight: 0, tunnels: 0, clientAborted: 0, edgeAnswers: routeEdgeAnswers(), latency: histogram() };
}

function routeEdgeAnswers(): RouteEdgeAnswers { return { upstreamFailed: 0, badRequest: 0, overloaded: 0, tunnelLimit: 0 }; }
function globalEdgeAnswers(): GlobalEdgeAnswers { return { badRequest: 0, options: 0, tooLarge: 0, requestTimeout: 0 }; }

export function mirrorCounts(): MirrorCounts {
  return { sampled: 0, sent: 0, dropped: 0, errors: 0, agree: 0, disagree: 0, inFlight: 0, latency: histogram() };
}

export function statusClass(status: number): StatusClass {
  const c = Math.floor(status / 100);
  return c <= 1 ? '1xx' : c >= 5 ? '5xx' : CLASSES[c - 1];
}

export function emptyStats(): EdgeStats { return { version: 0, workers: 1, unrouted: 0, edgeAnswers: globalEdgeAnswers(), tunnels: { open: 0, refused: 0, idleClosed: 0 }, routes: {}, upstreams: {}, mirror: {} }; }

/** The live counters of one process. */
export class StatsRecorder {
  readonly stats: EdgeStats = emptyStats();

  route(id: string): TrafficCounts { return (this.stats.routes[id] ??= trafficCounts()); }
  upstream(addr: string): TrafficCounts { return (this.stats.upstreams[addr] ??= trafficCounts()); }
  mirror(routeId: string): MirrorCounts { return (this.stats.mirror[routeId] ??= mirrorCounts()); }

  snapshot(version: number): EdgeStats { return { ...structuredClone(this.stats), version }; }
}

function addHistogram(a: Histogram, b: Histogram): void {
  for (let i = 0; i < a.counts.length; i++) a.counts[i] += b.counts[i] ?? 0;
  a.sumMs += b.sumMs;
  a.count += b.count;
}

function addTraffic(a: TrafficCounts, b: TrafficCounts): void {
  a.requests += b.requests;
  for (const c of CLASSES) a.status[c] += b.status[c];
  a.upstreamErrors.connect += b.upstreamErrors.connect;
  a.upstreamErrors.timeout += b.upstreamErrors.timeout;
  a.upstreamErrors.other += b.upstreamErrors.other;
  a.inFlight += b.inFlight;
  a.tunnels += b.tunnels;
  a.clientAborted += b.clientAborted;
  addCounts(a.edgeAnswers, b.edgeAnswers);
  addHistogram(a.latency, b.latency);
}

function addCounts<T extends object>(a: T, b: T): void {
  const x = a as Record<string, number>; const y = b as Record<string, number>;
  for (const k of Object.keys(x)) x[k] += y[k] ?? 0;
}

function addMirror(a: MirrorCounts, b: MirrorCounts): void {
  for (const k of ['sampled', 'sent', 'dropped', 'errors', 'agree', 'disagree', 'inFlight'] as const) a[k] += b[k];
  addHistogram(a.latency, b.latency);
}

/** Sums the stats of several worker processes. */
export function mergeStats(parts: EdgeStats[]): EdgeStats {
  const out = emptyStats();
  out.workers = parts.length;
  out.version = parts.length ? Math.min(...parts.map((p) => p.version)) : 0;
  for (const p of parts) {
    out.unrouted += p.unrouted;
    addCounts(out.edgeAnswers, p.edgeAnswers);
    addCounts(out.tunnels, p.tunnels);
    for (const [k, v] of Object.entries(p.routes)) addTraffic((out.routes[k] ??= trafficCounts()), v);
    for (const [k, v] of Object.entries(p.upstreams)) addTraffic((out.upstreams[k] ??= trafficCounts()), v);
    for (const [k, v] of Object.entries(p.mirror)) addMirror((out.mirror[k] ??= mirrorCounts()), v);
  }
  return out;
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(s: EdgeStats): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string): void => { lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`); };
  family('autoinfra_edge_route_table_version', 'gauge', 'Version of the route table in use.');
  lines.push(`autoinfra_edge_route_table_version ${s.version}`);
  family('autoinfra_edge_unrouted_requests_total', 'counter', 'Requests no route matched (404).');
  lines.push(`autoinfra_edge_unrouted_requests_total ${s.unrouted}`);
  family('autoinfra_edge_own_answers_total', 'counter', 'Answers the edge gave itself before routing, by reason.');
  for (const [reason, n] of Object.entries(s.edgeAnswers)) lines.push(`autoinfra_edge_own_answers_total{reason="${reason}"} ${n}`);
  family('autoinfra_edge_tunnels_open', 'gauge', 'Upgraded connections open (each holds 2 file descriptors).');
  lines.push(`autoinfra_edge_tunnels_open ${s.tunnels.open}`);
  family('autoinfra_edge_tunnels_refused_total', 'counter', 'Upgrades refused (503) over the per-edge or per-client tunnel cap.');
  lines.push(`autoinfra_edge_tunnels_refused_total ${s.tunnels.refused}`);
  family('autoinfra_edge_tunnels_idle_closed_total', 'counter', 'Tunnels closed after tunnelIdleTimeoutMs without a byte either way.');
  lines.push(`autoinfra_edge_tunnels_idle_closed_total ${s.tunnels.idleClosed}`);
  for (const [label, map] of [['route', s.routes], ['upstream', s.upstreams]] as const) {
    const n = `autoinfra_edge_${label}`;
    family(`${n}_requests_total`, 'counter', `Requests by ${label} and status class.`);
    for (const [k, v] of Object.entries(map)) for (const c of CLASSES) lines.push(`${n}_requests_total{${label}="${esc(k)}",class="${c}"} ${v.status[c]}`);
    family(`${n}_upstream_errors_total`, 'counter', `Upstream errors by ${label} and kind.`);
    for (const [k, v] of Object.entries(map)) for (const [kind, n2] of Object.entries(v.upstreamErrors)) lines.push(`${n}_upstream_errors_total{${label}="${esc(k)}",kind="${kind}"} ${n2}`);
    family(`${n}_own_answers_total`, 'counter', `Answers the edge gave itself by ${label} and reason (upstreamFailed is the upstream's failure).`);
    for (const [k, v] of Object.entries(map)) for (const [reason, n2] of Object.entries(v.edgeAnswers)) lines.push(`${n}_own_answers_total{${label}="${esc(k)}",reason="${reason}"} ${n2}`);
    family(`${n}_client_aborted_total`, 'counter', `Requests the client broke off, by ${label}.`);
    for (const [k, v] of Object.entries(map)) lines.push(`${n}_client_aborted_total{${label}="${esc(k)}"} ${v.clientAborted}`);
    family(`${n}_in_flight`, 'gauge', `Requests in flight by ${label}.`);
    for (const [k, v] of Object.entries(map)) lines.push(`${n}_in_flight{${label}="${esc(k)}"} ${v.inFlight}`);
    family(`${n}_tunnels`, 'gauge', `Open upgraded connections by ${label}.`);
    for (const [k, v] of Object.entries(map)) lines.push(`${n}_tunnels{${label}="${esc(k)}"} ${v.tunnels}`);
    family(`${n}_request_duration_seconds`, 'histogram', `Request latency by ${label}.`);
    for (const [k, v] of Object.entries(map)) histogramLines(lines, `${n}_request_duration_seconds`, `${label}="${esc(k)}"`, v.latency);
  }
  const m = 'autoinfra_edge_mirror';
  family(`${m}_requests_total`, 'counter', 'Mirror requests by route and outcome (sampled, sent, dropped, error, agree, disagree).');
  for (const [k, v] of Object.entries(s.mirror)) {
    for (const [outcome, n] of [['sampled', v.sampled], ['sent', v.sent], ['dropped', v.dropped], ['error', v.errors], ['agree', v.agree], ['disagree', v.disagree]] as const) {
      lines.push(`${m}_requests_total{route="${esc(k)}",outcome="${outcome}"} ${n}`);
    }
  }
  family(`${m}_in_flight`, 'gauge', 'Mirror requests in flight by route.');
  for (const [k, v] of Object.entries(s.mirror)) lines.push(`${m}_in_flight{route="${esc(k)}"} ${v.inFlight}`);
  family(`${m}_request_duration_seconds`, 'histogram', 'Mirror target latency by route.');
  for (const [k, v] of Object.entries(s.mirror)) histogramLines(lines, `${m}_request_duration_seconds`, `route="${esc(k)}"`, v.latency);
  return lines.join('\n') + '\n';
}

function histogramLines(lines: string[], name: string, labels: string, h: Histogram): void {
  let cumulative = 0;
  for (let i = 0; i < h.counts.length; i++) {
    cumulative += h.counts[i];
    const le = i < h.bucketsMs.length ? String(h.bucketsMs[i] / 1000) : '+Inf';
    lines.push(`${name}_bucket{${labels},le="${le}"} ${cumulative}`);
  }
  lines.push(`${name}_sum{${labels}} ${h.sumMs / 1000}`, `${name}_count{${labels}} ${h.count}`);
}
