// The request target as the edge routes it. Pure (no I/O). Path-prefix routing is only as good as
// the path it looks at: `/%61pi`, `//api` and `/x/../api` all mean `/api` to most applications, so
// a prefix must be matched against the path the upstream will understand — and the upstream is
// then given exactly that path, so the two can never disagree. This is what nginx (merge_slashes,
// dot-segment resolution, 400 above the root) and Traefik (sanitizePath, refused encoded slashes)
// do. Results are values, not exceptions: this runs once per request.

/** Why a target is refused (the edge answers 400). */
export type TargetRefusal =
  /** Not `/path`, `http(s)://authority/path` or (with OPTIONS) `*`. */
  | 'not-a-path'
  /** `%` not followed by two hex digits. */
  | 'bad-percent'
  /** `%00`: many applications end the string there. */
  | 'nul'
  /** `%2F` or `%5C`: a slash the router cannot see but the application may decode. */
  | 'encoded-slash'
  /** A literal `\`, which some servers treat as `/`. */
  | 'backslash'
  /** `..` above the root (`/../etc`). */
  | 'above-root'
  /** A fragment: never part of a request target. */
  | 'fragment'
  /** A space or control character. */
  | 'control'
  /** An absolute-form authority that is empty, malformed or carries userinfo. */
  | 'bad-authority'
  /** An absolute-form authority other than the Host header. */
  | 'host-mismatch';

export type RequestTarget =
  | { ok: true; form: 'asterisk' }
  | {
    ok: true;
    form: 'origin' | 'absolute';
    /** The authority to route by: the absolute-form's (RFC 9112 §3.2.2), else the Host header. */
    host: string | undefined;
    /** The normalised path (routing and the upstream both use it). */
    path: string;
    /** `?…` as sent, or ''. */
    query: string;
    /** `path + query`: the origin-form target sent to the upstream. */
    target: string;
  }
  | { ok: false; refusal: TargetRefusal };

const ABSOLUTE = /^(https?):\/\/([^/?#]*)(.*)$/is;
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;
const IPV6 = /^\[[0-9a-f:.]+\]$/i;
/** Anything that can make a path differ from its normal form; absent → the path is returned as is. */
const NEEDS_WORK = /[%\\#]|\/\/|\/\./;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

export function parseRequestTarget(method: string, raw: string, hostHeader: string | undefined): RequestTarget {
  if (raw === '*') return method === 'OPTIONS' ? { ok: true, form: 'asterisk' } : { ok: false, refusal: 'not-a-path' };
  if (raw.startsWith('/')) return withPath('origin', hostHeader, raw);
  const abs = ABSOLUTE.exec(raw);
  if (!abs) return { ok: false, refusal: 'not-a-path' };
  const [, scheme, authority, rest] = abs;
  const parsed = parseAuthority(authority, scheme.toLowerCase() === 'https' ? 443 : 80);
  if (!parsed) return { ok: false, refusal: 'bad-authority' };
  if (hostHeader !== undefined) {
    const other = parseAuthority(hostHeader, parsed.defaultPort);
    if (!other || other.name !== parsed.name || other.port !== parsed.port) return { ok: false, refusal: 'host-mismatch' };
  }
  return withPath('absolute', authority.toLowerCase(), rest.startsWith('/') ? rest : `/${rest}`);
}

function withPath(form: 'origin' | 'absolute', host: string | undefined, raw: string): RequestTarget {
  const q = raw.indexOf('?');
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  const query = q === -1 ? '' : raw.slice(q);
  for (let i = 0; i < query.length; i++) {
    const code = query.charCodeAt(i);
    if (code === 0x23 /* # */) return { ok: false, refusal: 'fragment' };
    if (isControl(code)) return { ok: false, refusal: 'control' };
  }
  const p = normalisePath(rawPath);
  if (typeof p !== 'string') return p;
  return { ok: true, form, host, path: p, query, target: p + query };
}

/** `rawPath` (starting with '/') in normal form, or why it is refused. */
export function normalisePath(rawPath: string): string | { ok: false; refusal: TargetRefusal } {
  if (!NEEDS_WORK.test(rawPath) && !hasControl(rawPath)) return rawPath;
  const decoded = decodeUnreserved(rawPath);
  if (typeof decoded !== 'string') return decoded;
  // RFC 3986 §5.2.4 on segments; empty segments (from `//`) are dropped, except a trailing one.
  const segments = decoded.split('/');
  const out: string[] = [];
  let trailing = false;
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    trailing = last && (seg === '' || seg === '.' || seg === '..');
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!out.length) return { ok: false, refusal: 'above-root' };
      out.pop();
      continue;
    }
    out.push(seg);
  }
  if (!out.length) return '/';
  return `/${out.join('/')}${trailing ? '/' : ''}`;
}

/** Decodes %XX of unreserved characters, upper-cases the hex of the rest, refuses what must not pass. */
function decodeUnreserved(s: string): string | { ok: false; refusal: TargetRefusal } {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    if (ch === '\\') return { ok: false, refusal: 'backslash' };
    if (ch === '#') return { ok: false, refusal: 'fragment' };
    if (isControl(code)) return { ok: false, refusal: 'control' };
    if (ch !== '%') { out += ch; continue; }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { ok: false, refusal: 'bad-percent' };
    const byte = parseInt(hex, 16);
    if (byte === 0) return { ok: false, refusal: 'nul' };
    if (byte === 0x2f || byte === 0x5c) return { ok: false, refusal: 'encoded-slash' };
    const c = String.fromCharCode(byte);
    out += UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/** Space and control characters (Node's parser refuses most already; this does not rely on it). */
function isControl(code: number): boolean { return code <= 0x20 || code === 0x7f; }
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isControl(s.charCodeAt(i))) return true;
  return false;
}

interface Authority { name: string; port: number; defaultPort: number }

/** 'Web.Test.:80' → {name 'web.test', port 80}; undefined when malformed or with userinfo. */
function parseAuthority(a: string, defaultPort: number): Authority | undefined {
  if (a.includes('@')) return undefined;
  let name = a;
  let port = defaultPort;
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(a);
  if (m && (m[1].startsWith('[') ? m[1].endsWith(']') : true)) {
    name = m[1];
    if (m[2] !== undefined) port = Number(m[2]);
  }
  if (port < 1 || port > 65535) return undefined;
  if (!(HOST_NAME.test(name) || IPV6.test(name))) return undefined;
  name = name.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  return { name, port, defaultPort };
}
