import t from 'tap';
import { StatsRecorder, mergeStats, observe, renderPrometheus, statusClass, trafficCounts } from '../../../../agent/edge/stats.js';

t.test('status classes and histogram buckets', async (t) => {
  t.same([101, 200, 204, 301, 404, 499, 500, 504].map(statusClass), ['1xx', '2xx', '2xx', '3xx', '4xx', '4xx', '5xx', '5xx']);
  const c = trafficCounts();
  for (const ms of [0.5, 1, 1.5, 30, 99_999]) observe(c.latency, ms);
  t.equal(c.latency.counts[0], 2, '≤1 ms');
  t.equal(c.latency.counts[1], 1, '≤2 ms');
  t.equal(c.latency.counts[5], 1, '≤50 ms');
  t.equal(c.latency.counts[c.latency.counts.length - 1], 1, '+Inf');
  t.equal(c.latency.count, 5);
});

t.test('workers are summed; version is the lowest one live', async (t) => {
  const a = new StatsRecorder(); const b = new StatsRecorder();
  a.upstream('127.0.0.1:1').status['5xx'] = 3; a.upstream('127.0.0.1:1').inFlight = 1;
  b.upstream('127.0.0.1:1').status['5xx'] = 4; b.route('p/web').requests = 2; b.mirror('p/web').dropped = 5;
  b.stats.unrouted = 7;
  const m = mergeStats([a.snapshot(4), b.snapshot(3)]);
  t.equal(m.version, 3);
  t.equal(m.workers, 2);
  t.equal(m.upstreams['127.0.0.1:1'].status['5xx'], 7);
  t.equal(m.upstreams['127.0.0.1:1'].inFlight, 1);
  t.equal(m.routes['p/web'].requests, 2);
  t.equal(m.mirror['p/web'].dropped, 5);
  t.equal(m.unrouted, 7);
});

t.test('Prometheus text: counters, gauges, cumulative histogram', async (t) => {
  const s = new StatsRecorder();
  const u = s.upstream('127.0.0.1:8001');
  u.status['2xx'] = 10; u.upstreamErrors.connect = 2;
  observe(u.latency, 3); observe(u.latency, 3000);
  s.mirror('p/"web"').agree = 1;
  const text = renderPrometheus(s.snapshot(9));
  t.match(text, /^autoinfra_edge_route_table_version 9$/m);
  t.match(text, /^autoinfra_edge_upstream_requests_total\{upstream="127.0.0.1:8001",class="2xx"\} 10$/m);
  t.match(text, /^autoinfra_edge_upstream_upstream_errors_total\{upstream="127.0.0.1:8001",kind="connect"\} 2$/m);
  t.match(text, /^autoinfra_edge_upstream_request_duration_seconds_bucket\{upstream="127.0.0.1:8001",le="0.005"\} 1$/m);
  t.match(text, /^autoinfra_edge_upstream_request_duration_seconds_bucket\{upstream="127.0.0.1:8001",le="\+Inf"\} 2$/m);
  t.match(text, /^autoinfra_edge_mirror_requests_total\{route="p\/\\"web\\"",outcome="agree"\} 1$/m, 'label values escaped');
});

t.test('the edge\'s own answers: summed across workers and exposed as autoinfra_edge_own_answers_total', async (t) => {
  const a = new StatsRecorder(); const b = new StatsRecorder();
  a.stats.edgeAnswers.badRequest = 2; b.stats.edgeAnswers.badRequest = 3; b.stats.edgeAnswers.options = 1;
  a.upstream('127.0.0.1:1').edgeAnswers.upstreamFailed = 4; b.upstream('127.0.0.1:1').edgeAnswers.upstreamFailed = 1;
  b.upstream('127.0.0.1:1').clientAborted = 6;
  const m = mergeStats([a.snapshot(1), b.snapshot(1)]);
  t.same(m.edgeAnswers, { badRequest: 5, options: 1, tooLarge: 0, requestTimeout: 0 });
  t.equal(m.upstreams['127.0.0.1:1'].edgeAnswers.upstreamFailed, 5);
  t.equal(m.upstreams['127.0.0.1:1'].clientAborted, 6);
  const text = renderPrometheus(m);
  t.match(text, /^autoinfra_edge_own_answers_total\{reason="badRequest"\} 5$/m);
  t.match(text, /^autoinfra_edge_upstream_own_answers_total\{upstream="127.0.0.1:1",reason="upstreamFailed"\} 5$/m);
  t.match(text, /^autoinfra_edge_upstream_client_aborted_total\{upstream="127.0.0.1:1"\} 6$/m);
});
