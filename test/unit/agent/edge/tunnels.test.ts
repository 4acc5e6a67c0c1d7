// Tunnel slots (agent/edge/tunnels.ts): caps per edge and per client, each slot given back once.
import t from 'tap';
import { clientKey, TunnelSlots } from '../../../../agent/edge/tunnels.js';
import { emptyStats, mergeStats, renderPrometheus } from '../../../../agent/edge/stats.js';

t.test('caps per client address and per edge; refusals counted; release is idempotent', async (t) => {
  const s = emptyStats();
  const slots = new TunnelSlots({ maxTunnels: 3, maxTunnelsPerClient: 2 }, s.tunnels);
  const a1 = slots.take('10.0.0.1'); const a2 = slots.take('10.0.0.1');
  t.ok(a1 && a2);
  t.equal(slots.take('10.0.0.1'), undefined, 'third from one address');
  const b1 = slots.take('10.0.0.2');
  t.ok(b1);
  t.equal(slots.take('10.0.0.3'), undefined, 'edge-wide cap');
  t.same(s.tunnels, { open: 3, refused: 2, idleClosed: 0 });
  a1!.release(); a1!.release();
  t.equal(s.tunnels.open, 2, 'released once');
  t.ok(slots.take('10.0.0.1'), 'the address has a slot again');
  slots.idleClosed();
  const m = mergeStats([s, s]);
  t.same(m.tunnels, { open: 6, refused: 4, idleClosed: 2 });
  const text = renderPrometheus(m);
  t.match(text, /^autoinfra_edge_tunnels_open 6$/m);
  t.match(text, /^autoinfra_edge_tunnels_refused_total 4$/m);
  t.match(text, /^autoinfra_edge_tunnels_idle_closed_total 2$/m);
});

t.test('client keys: an IPv4 address (also IPv4-mapped), an IPv6 /64 (one host usually holds a whole /64)', async (t) => {
  t.equal(clientKey('203.0.113.7'), '203.0.113.7');
  t.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
  t.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64', 'the same /64');
  t.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(clientKey('2001:DB8:0:0:1::'), '2001:db8:0:0::/64');
  t.equal(clientKey('::1'), '0:0:0:0::/64');
  t.equal(clientKey(''), '');
  const s = emptyStats();
  const slots = new TunnelSlots({ maxTunnels: 10, maxTunnelsPerClient: 1 }, s.tunnels);
  t.ok(slots.take('2001:db8:1:2::a'));
  t.equal(slots.take('2001:db8:1:2::b'), undefined, 'another address of the same /64 shares the cap');
  t.ok(slots.take('2001:db8:1:3::a'));
});
