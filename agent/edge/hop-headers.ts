// Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection only: a proxy removes them, and any
// header named in `Connection`. The edge also sets X-Forwarded-* itself, and drops any
// client-sent X-Autoinfra-* (headers only the edge may set).

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'http2-settings']);

export interface ForwardInfo { remoteAddress: string; proto: 'http' | 'https'; host: string | undefined }

/**
 * Request headers for the upstream, as a flat [name, value, …] list: hop-by-hop removed,
 * X-Forwarded-For appended to, X-Forwarded-Proto/-Host set. `Expect` is dropped because Node
 * already answered `100 Continue` to the client. With `keepUpgrade`, `Connection`/`Upgrade` stay
 * (a WebSocket handshake needs them).
 */
export function upstreamRequestHeaders(raw: string[], fwd: ForwardInfo, keepUpgrade = false): string[] {
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (lower === 'connection') {
      for (const t of raw[i + 1].split(',')) { const tok = t.trim().toLowerCase(); if (tok && tok !== 'upgrade' && tok !== 'close' && tok !== 'keep-alive') (listed ??= new Set()).add(tok); }
      if (keepUpgrade) out.push(raw[i], raw[i + 1]);
      continue;
    }
    if (lower === 'upgrade' && keepUpgrade) { out.push(raw[i], raw[i + 1]); continue; }
    if (HOP_BY_HOP.has(lower) || lower === 'expect') continue;
    if (lower === 'x-forwarded-for') { forwardedFor = forwardedFor ? `${forwardedFor}, ${raw[i + 1]}` : raw[i + 1]; continue; }
    if (lower === 'x-forwarded-proto' || lower === 'x-forwarded-host') continue;
    // X-Autoinfra-* are the edge's own (X-Autoinfra-Mirror marks a copy): a client must not forge them.
    if (lower.startsWith('x-autoinfra-')) continue;
    out.push(raw[i], raw[i + 1]);
  }
  const filtered = listed ? dropListed(out, listed) : out;
  filtered.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${fwd.remoteAddress}` : fwd.remoteAddress, 'x-forwarded-proto', fwd.proto);
  if (fwd.host !== undefined) filtered.push('x-forwarded-host', fwd.host);
  return filtered;
}

/** Response headers for the client (from undici's raw Buffer list): hop-by-hop removed. */
export function clientResponseHeaders(raw: Buffer[]): string[] {
  const out: string[] = [];
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'connection') {
      for (const t of raw[i + 1].toString('latin1').split(',')) { const tok = t.trim().toLowerCase(); if (tok && tok !== 'close' && tok !== 'keep-alive') (listed ??= new Set()).add(tok); }
      continue;
    }
    if (HOP_BY_HOP.has(lower)) continue;
    out.push(name, raw[i + 1].toString('latin1'));
  }
  return listed ? dropListed(out, listed) : out;
}

function dropListed(flat: string[], listed: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (!listed.has(flat[i].toLowerCase())) out.push(flat[i], flat[i + 1]);
  return out;
}
