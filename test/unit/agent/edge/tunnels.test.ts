// Tunnel slots (agent/edge/tunnels.ts): caps per edge and per client, each slot given back once.
import t from 'tap';
import { TunnelSlots } from '../../../../agent/edge/tunnels.js';
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
