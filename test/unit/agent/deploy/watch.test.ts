// The watch's error decision (watchVerdict): what the upstream did, never what the edge refused itself.
import t from 'tap';
import { watchVerdict } from '../../../../agent/deploy/watch.js';
import { upstreamCounters } from '../../../../agent/edge-control.js';
import { trafficCounts } from '../../../../agent/edge/stats.js';

const opts = { minErrors: 10, errorRate: 0.05 };

t.test('the upstream failing: its own 5xx and its connect/timeout/reset failures count', async (t) => {
  t.equal(watchVerdict({ requests: 100, errors5xx: 4, connectErrors: 5, inFlight: 0 }, opts), undefined, '9 errors: under minErrors');
  t.match(watchVerdict({ requests: 100, errors5xx: 5, connectErrors: 5, inFlight: 0 }, opts), /10 errors in 100 requests \(5xx 5, connection 5\)/);
  t.equal(watchVerdict({ requests: 1000, errors5xx: 20, connectErrors: 0, inFlight: 0 }, opts), undefined, '2 %: under the rate');
  t.match(watchVerdict({ requests: 0, errors5xx: 0, connectErrors: 12, inFlight: 0 }, opts), /12 errors/, 'nothing answered at all');
});

t.test('counters → what the upstream did: the edge\'s own answers for client reasons are left out', async (t) => {
  const c = trafficCounts();
  // 30 requests the edge refused itself (invalid for undici, over the in-flight cap, over the tunnel
  // cap), 10 the client broke off, 5 the upstream refused (502 by the edge), 3 answered 500, 52 fine.
  c.requests = 100;
  c.status['4xx'] = 10; c.edgeAnswers.badRequest = 10;
  c.status['5xx'] = 20 + 5 + 3; c.edgeAnswers.overloaded = 15; c.edgeAnswers.tunnelLimit = 5; c.edgeAnswers.upstreamFailed = 5;
  c.upstreamErrors.connect = 4; c.upstreamErrors.timeout = 1;
  c.clientAborted = 10;
  c.status['2xx'] = 52;
  const u = upstreamCounters(c);
  t.same(u, { requests: 60, errors5xx: 3, connectErrors: 5, inFlight: 0 });
  t.equal(watchVerdict(u, opts), undefined, '8 upstream errors: no revert, however many the client caused');
  c.edgeAnswers.badRequest += 1000; c.requests += 1000; c.status['4xx'] += 1000;
  t.same(upstreamCounters(c), u, 'a flood of refused requests neither adds errors nor dilutes the rate');
});

t.test('a response cut after its headers is the upstream failing (other)', async (t) => {
  const c = trafficCounts();
  c.requests = 10; c.status['2xx'] = 10; c.upstreamErrors.other = 10;
  t.match(watchVerdict(upstreamCounters(c), opts), /10 errors in 10 requests/);
});
