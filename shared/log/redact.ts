// Keeps secrets out of the public log and the journal. Pure: drops keys whose name says they hold
// a credential, replaces every occurrence of a value the caller marks secret, anywhere in the
// detail, and hides URL credentials.
import { redactUrlCredentials } from '../url-credentials.js';

const SECRET_KEY = /pass(word|wd|phrase)?|token|secret|authorization|credential|api[-_]?key|private[-_]?key|cookie/i;
export const REDACTED = '[redacted]';

/** True when an object key's name says its value is a credential. */
export function isSecretKeyName(name: string): boolean {
  return SECRET_KEY.test(name);
}

/**
 * A copy of `detail` safe to publish: secret-named keys dropped, every secret value (at least 4
 * characters long; shorter ones would scrub ordinary words) replaced by `[redacted]` inside any
 * string, key names included. Non-JSON values (functions, symbols) are dropped; errors become messages.
 */
export function redactDetail(detail: Record<string, unknown> | undefined, secrets: readonly string[] = []): Record<string, unknown> | undefined {
  if (detail === undefined) return undefined;
  const needles = [...new Set(secrets.filter((s) => typeof s === 'string' && s.length >= 4))].sort((a, b) => b.length - a.length);
  const scrub = (s: string): string => {
    let out = redactUrlCredentials(s);
    for (const n of needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out;
  };
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrub(v);
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'boolean' || v === null) return v;
    if (typeof v === 'bigint') return scrub(v.toString());
    if (v instanceof Error) return scrub(v.message);
    if (v instanceof Date) return v.toISOString();
    if (typeof v !== 'object') return undefined;
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    if (Array.isArray(v)) return v.map((x) => { const w = walk(x); return w === undefined ? null : w; });
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (isSecretKeyName(k)) continue;
      const w = walk(x);
      if (w !== undefined) out[scrub(k)] = w;
    }
    return out;
  };
  return walk(detail) as Record<string, unknown>;
}
