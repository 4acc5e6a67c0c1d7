// Pinned agent keys: from infra/autoinfra.yml (`agents: {<host>: {signing_key: 'ed25519:…'}}`)
// or a plain list of `host key [since=…] [until=…]` lines (`#` comments allowed). Pure: takes the
// file's text. A key may carry a validity window (`since`/`until`, each a seq or an ISO time,
// inclusive) so that a retired key cannot re-sign history: see keyWindowProblem.
import { parse } from 'yaml';
import { InvalidInputError, type Problem } from '../errors.js';
import { isKeyId } from './keys.js';

export class PinnedKeysError extends InvalidInputError {
  static readonly code = 'E_LOG_PINNED_KEYS';
  constructor(file: string, problems: Problem[]) {
    super(PinnedKeysError.code, `invalid pinned keys ${file}`, problems);
    this.name = 'PinnedKeysError';
  }
}

/** A bound of a key's validity: a line's seq, or its time. */
export type KeyBound = { seq: number } | { time: string };

export interface PinnedKey {
  key: string;
  /** First line (seq or time, inclusive) this key may sign. */
  since?: KeyBound;
  /** Last line (seq or time, inclusive) this key may sign. */
  until?: KeyBound;
}

export type PinnedKeys = Map<string, PinnedKey[]>;

function add(map: PinnedKeys, host: string, key: PinnedKey): void {
  const list = map.get(host) ?? [];
  if (!list.some((k) => k.key === key.key)) list.push(key);
  map.set(host, list);
}

/** `120` or `"120"` → seq; an ISO-8601 time → time; anything else → undefined. */
export function parseKeyBound(v: unknown): KeyBound | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 1 ? { seq: v } : undefined;
  if (typeof v !== 'string') return undefined;
  if (/^[1-9][0-9]*$/.test(v)) return parseKeyBound(Number(v));
  return /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v)) ? { time: v } : undefined;
}

const BOUND_REASON = 'expected a seq (integer ≥ 1) or an ISO-8601 time such as 2026-12-01T00:00:00Z';

/** Why a line (seq, time) may not be signed by this pinned key, or undefined when it may. */
export function keyWindowProblem(k: PinnedKey, seq: number, time: string): string | undefined {
  const t = Date.parse(time);
  const before = (b: KeyBound): boolean => ('seq' in b ? seq < b.seq : t < Date.parse(b.time));
  const after = (b: KeyBound): boolean => ('seq' in b ? seq > b.seq : t > Date.parse(b.time));
  const show = (b: KeyBound): string => ('seq' in b ? `seq ${b.seq}` : b.time);
  if (k.since && before(k.since)) return `signed by ${k.key}, which is pinned only since ${show(k.since)}`;
  if (k.until && after(k.until)) return `signed by ${k.key}, which was retired after ${show(k.until)}`;
  return undefined;
}

/** True when every key of a host only becomes valid at a time after `now` (a host not started yet). */
export function notYetValid(keys: readonly PinnedKey[], now: number): boolean {
  return keys.length > 0 && keys.every((k) => k.since !== undefined && 'time' in k.since && Date.parse(k.since.time) > now);
}

export function parsePinnedKeys(file: string, text: string): PinnedKeys {
  const map: PinnedKeys = new Map();
  const problems: Problem[] = [];
  const plain = text.split('\n').every((l) => /^\s*(#.*)?$/.test(l) || /^\s*\S+\s+ed25519:\S+(\s+(since|until)=\S+)*\s*$/.test(l));
  if (plain) {
    text.split('\n').forEach((l, i) => {
      const m = /^\s*(\S+)\s+(ed25519:\S+)((?:\s+(?:since|until)=\S+)*)\s*$/.exec(l);
      if (!m || l.trim().startsWith('#')) return;
      if (!isKeyId(m[2])) { problems.push({ file, line: i + 1, reason: `"${m[2]}" is not an Ed25519 key id` }); return; }
      const k: PinnedKey = { key: m[2] };
      for (const opt of m[3].trim().split(/\s+/).filter(Boolean)) {
        const [name, value] = opt.split('=') as ['since' | 'until', string];
        const b = parseKeyBound(value);
        if (!b) problems.push({ file, line: i + 1, reason: `${name}=${value}: ${BOUND_REASON}` });
        else k[name] = b;
      }
      add(map, m[1], k);
    });
  } else {
    let doc: unknown;
    try { doc = parse(text); } catch (e) { throw new PinnedKeysError(file, [{ file, reason: `not YAML: ${(e as Error).message}` }]); }
    const agents = (doc as { agents?: unknown } | null)?.agents;
    if (typeof agents !== 'object' || agents === null || Array.isArray(agents)) {
      throw new PinnedKeysError(file, [{ file, path: 'agents', reason: 'expected a mapping of host name → { signing_key }' }]);
    }
    for (const [host, v] of Object.entries(agents as Record<string, unknown>)) {
      const one = (v as { signing_key?: unknown } | null)?.signing_key;
      const many = (v as { signing_keys?: unknown } | null)?.signing_keys;
      const keys: [string, unknown][] = [
        ...(one !== undefined ? [[`agents.${host}.signing_key`, one] as [string, unknown]] : []),
        ...(Array.isArray(many) ? many.map((k, i) => [`agents.${host}.signing_keys[${i}]`, k] as [string, unknown]) : []),
      ];
      if (keys.length === 0) problems.push({ file, path: `agents.${host}`, reason: 'no signing_key' });
      for (const [where, k] of keys) {
        const entry = typeof k === 'object' && k !== null && !Array.isArray(k) ? (k as Record<string, unknown>) : { key: k };
        if (typeof entry.key !== 'string' || !isKeyId(entry.key)) {
          problems.push({ file, path: typeof k === 'string' ? where : `${where}.key`, reason: `${JSON.stringify(entry.key)} is not an Ed25519 key id (ed25519:<base64>)` });
          continue;
        }
        const unknown = Object.keys(entry).filter((f) => !['key', 'since', 'until'].includes(f));
        if (unknown.length) problems.push({ file, path: `${where}.${unknown[0]}`, reason: 'unknown field (expected key, since, until)' });
        const pk: PinnedKey = { key: entry.key };
        for (const name of ['since', 'until'] as const) {
          if (entry[name] === undefined) continue;
          const b = parseKeyBound(entry[name]);
          if (!b) problems.push({ file, path: `${where}.${name}`, reason: `${JSON.stringify(entry[name])}: ${BOUND_REASON}` });
          else pk[name] = b;
        }
        add(map, host, pk);
      }
    }
  }
  if (problems.length) throw new PinnedKeysError(file, problems);
  return map;
}
