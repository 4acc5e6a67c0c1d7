// Pinned agent keys: from infra/autoinfra.yml (`agents: {<host>: {signing_key: 'ed25519:…'}}`)
// or a plain list of `host key` lines (`#` comments allowed). Pure: takes the file's text.
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

export type PinnedKeys = Map<string, string[]>;

function add(map: PinnedKeys, host: string, key: string): void {
  const list = map.get(host) ?? [];
  if (!list.includes(key)) list.push(key);
  map.set(host, list);
}

export function parsePinnedKeys(file: string, text: string): PinnedKeys {
  const map: PinnedKeys = new Map();
  const problems: Problem[] = [];
  const plain = text.split('\n').every((l) => /^\s*(#.*)?$/.test(l) || /^\s*\S+\s+ed25519:\S+\s*$/.test(l));
  if (plain) {
    text.split('\n').forEach((l, i) => {
      const m = /^\s*(\S+)\s+(ed25519:\S+)\s*$/.exec(l);
      if (!m || l.trim().startsWith('#')) return;
      if (!isKeyId(m[2])) problems.push({ file, line: i + 1, reason: `"${m[2]}" is not an Ed25519 key id` });
      else add(map, m[1], m[2]);
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
      const keys = [...(one !== undefined ? [one] : []), ...(Array.isArray(many) ? many : [])];
      if (keys.length === 0) problems.push({ file, path: `agents.${host}`, reason: 'no signing_key' });
      for (const k of keys) {
        if (typeof k !== 'string' || !isKeyId(k)) problems.push({ file, path: `agents.${host}.signing_key`, reason: `${JSON.stringify(k)} is not an Ed25519 key id (ed25519:<base64>)` });
        else add(map, host, k);
      }
    }
  }
  if (problems.length) throw new PinnedKeysError(file, problems);
  return map;
}
