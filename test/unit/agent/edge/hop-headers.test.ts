import t from 'tap';
import { clientResponseHeaders, upstreamRequestHeaders } from '../../../../agent/edge/hop-headers.js';

t.test('request: hop-by-hop and Connection-listed headers removed, X-Forwarded-* set', async (t) => {
  const out = upstreamRequestHeaders(
    ['Host', 'a.test', 'Connection', 'keep-alive, X-Secret', 'X-Secret', '1', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Transfer-Encoding', 'chunked',
      'X-Forwarded-For', '10.0.0.1', 'X-Forwarded-Proto', 'https', 'Expect', '100-continue', 'Accept', '*/*'],
    { remoteAddress: '127.0.0.1', proto: 'http', host: 'a.test' });
  t.same(out, ['Host', 'a.test', 'Accept', '*/*', 'x-forwarded-for', '10.0.0.1, 127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'a.test']);
});

t.test('upgrade handshake keeps Connection and Upgrade', async (t) => {
  const out = upstreamRequestHeaders(['Host', 'a', 'Connection', 'Upgrade', 'Upgrade', 'websocket'], { remoteAddress: '::1', proto: 'https', host: 'a' }, true);
  t.same(out, ['Host', 'a', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'x-forwarded-for', '::1', 'x-forwarded-proto', 'https', 'x-forwarded-host', 'a']);
});

t.test('response: hop-by-hop removed, the rest kept in order (Set-Cookie twice)', async (t) => {
  const raw = ['Content-Type', 'text/plain', 'Connection', 'close, X-Hop', 'X-Hop', 'a', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'].map((s) => Buffer.from(s));
  t.same(clientResponseHeaders(raw), ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
});

t.test('request: client-sent X-Autoinfra-* headers are dropped (only the edge sets them), on upgrades too', async (t) => {
  const raw = ['Host', 'a', 'X-Autoinfra-Mirror', '1', 'x-autoinfra-anything', 'v', 'X-AUTOINFRA-MIRROR', '1', 'X-Autoinfrastructure', 'kept'];
  const fwd = { remoteAddress: '127.0.0.1', proto: 'http' as const, host: 'a' };
  t.same(upstreamRequestHeaders(raw, fwd).slice(0, 4), ['Host', 'a', 'X-Autoinfrastructure', 'kept']);
  t.same(upstreamRequestHeaders(raw, fwd, true).slice(0, 4), ['Host', 'a', 'X-Autoinfrastructure', 'kept']);
});
