// SOPS files whose data key is encrypted with age (`*.sops.yaml`, `*.sops.json`, `*.sops.env`),
// decrypted from the SOPS format: each value is `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`,
// AES-256-GCM with the 32-byte data key and the value's key path (`a:b:`) as additional data;
// the MAC is SHA-512 over the plaintext values in document order, itself encrypted with
// `lastmodified` as additional data. A file whose MAC does not match is refused.
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { parseDocument, stringify } from 'yaml';
import { AutoinfraError } from '../errors.js';
import { decryptAge, SecretDecryptError } from './age.js';

export class SopsError extends AutoinfraError {
  static readonly code = 'E_SOPS';
  constructor(file: string, reason: string) {
    super(SopsError.code, `cannot decrypt SOPS file ${file}: ${reason}`, { file, reason });
    this.name = 'SopsError';
  }
}

export type SopsFormat = 'yaml' | 'json' | 'dotenv';

export function sopsFormatOf(path: string): SopsFormat | undefined {
  const m = /\.sops\.(ya?ml|json|env)$/.exec(path);
  if (!m) return undefined;
  return m[1] === 'env' ? 'dotenv' : m[1] === 'json' ? 'json' : 'yaml';
}

type Tree = Record<string, unknown>;

interface Metadata {
  age: { recipient: string; enc: string }[];
  lastmodified: string;
  mac: string;
  unencrypted_suffix?: string;
  encrypted_suffix?: string;
  unencrypted_regex?: string;
  encrypted_regex?: string;
  mac_only_encrypted?: boolean;
}

// sops starts the MAC with these 32 bytes when only encrypted values are hashed, so that such a
// MAC can never equal one over all values (a format constant of sops).
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

const ENC = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:(str|int|float|bool|bytes|comment)\]$/;

/** Decrypts to the plain tree (without the `sops` block). */
export async function decryptSops(file: string, data: Uint8Array, identities: string[]): Promise<{ tree: Tree; format: SopsFormat }> {
  const format = sopsFormatOf(file) ?? 'yaml';
  const text = new TextDecoder().decode(data);
  const { tree, meta } = parseSops(file, text, format);
  const dataKey = await unwrapDataKey(file, meta, identities);
  const hash = createHash('sha512');
  if (meta.mac_only_encrypted === true) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const rules = encryptionRules(meta);
  const out = walk(file, tree, [], dataKey, rules, hash, meta.mac_only_encrypted === true) as Tree;
  const mac = decryptValue(file, meta.mac, dataKey, meta.lastmodified, 'sops.mac');
  const want = Buffer.from(String(mac), 'utf8');
  const got = Buffer.from(hash.digest('hex').toUpperCase(), 'utf8');
  if (want.length !== got.length || !timingSafeEqual(want, got)) throw new SopsError(file, 'MAC mismatch: the file was changed after it was encrypted (re-encrypt it with sops)');
  return { tree: out, format };
}

/** Variables of a decrypted SOPS file used as `env_file:` (its top-level scalars). */
export function sopsTreeToEnv(tree: Tree): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) if (v === null || typeof v !== 'object') out.set(k, v === null ? '' : String(v));
  return out;
}

/** A decrypted SOPS file as file content (for compose `secrets:`), in its own format. */
export function sopsTreeToText(tree: Tree, format: SopsFormat): string {
  if (format === 'json') return JSON.stringify(tree, null, 2) + '\n';
  if (format === 'dotenv') return [...sopsTreeToEnv(tree)].map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
  return stringify(tree);
}

function parseSops(file: string, text: string, format: SopsFormat): { tree: Tree; meta: Metadata } {
  let all: Tree;
  if (format === 'dotenv') all = parseSopsDotenv(text);
  else {
    try {
      all = (format === 'json' ? JSON.parse(text) : parseDocument(text).toJS()) as Tree;
    } catch {
      throw new SopsError(file, `not valid ${format.toUpperCase()}`);
    }
  }
  if (typeof all !== 'object' || all === null || typeof all.sops !== 'object' || all.sops === null) throw new SopsError(file, 'no sops metadata block (is this file encrypted with sops?)');
  const { sops, ...tree } = all;
  const meta = sops as Metadata;
  if (!Array.isArray(meta.age) || !meta.age.length) throw new SopsError(file, 'the data key is not encrypted to any age recipient (only age is supported)');
  if (typeof meta.mac !== 'string' || meta.lastmodified === undefined) throw new SopsError(file, 'metadata lacks mac or lastmodified');
  meta.lastmodified = String(meta.lastmodified);
  return { tree, meta };
}

// sops stores its metadata in dotenv files as flattened `sops_<key>` lines
// (`sops_age__list_0__map_recipient=…`, with newlines written as \n).
function parseSopsDotenv(text: string): Tree {
  const tree: Tree = {};
  const sops: Record<string, unknown> = {};
  const age: Record<number, Record<string, string>> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1).replace(/\\n/g, '\n');
    const ageKey = /^sops_age__list_(\d+)__map_(\w+)$/.exec(k);
    if (ageKey) (age[Number(ageKey[1])] ??= {})[ageKey[2]] = v;
    else if (k.startsWith('sops_')) sops[k.slice(5)] = k === 'sops_mac_only_encrypted' ? v === 'true' : v;
    else tree[k] = v;
  }
  if (Object.keys(sops).length) tree.sops = { ...sops, age: Object.keys(age).sort((a, b) => Number(a) - Number(b)).map((n) => age[Number(n)]) };
  return tree;
}

async function unwrapDataKey(file: string, meta: Metadata, identities: string[]): Promise<Buffer> {
  let last: unknown;
  for (const entry of meta.age) {
    try {
      const key = await decryptAge(file, new TextEncoder().encode(String(entry.enc)), identities);
      if (key.length !== 32) throw new SopsError(file, 'the age-encrypted data key is not 32 bytes');
      return Buffer.from(key);
    } catch (e) { last = e; }
  }
  if (last instanceof SecretDecryptError || last instanceof SopsError) throw last;
  throw new SopsError(file, "no age recipient of the file matches this host's identity");
}

type Rules = (path: string[]) => boolean;

/** Which values sops encrypted, from the file's own metadata (same rules as sops). */
function encryptionRules(m: Metadata): Rules {
  return (path) => {
    let enc = true;
    if (m.unencrypted_suffix) enc = !path.some((p) => p.endsWith(m.unencrypted_suffix as string));
    if (m.encrypted_suffix) enc = path.some((p) => p.endsWith(m.encrypted_suffix as string));
    if (m.unencrypted_regex) { const r = new RegExp(m.unencrypted_regex); if (path.some((p) => r.test(p))) enc = false; }
    if (m.encrypted_regex) { const r = new RegExp(m.encrypted_regex); enc = path.some((p) => r.test(p)); }
    return enc;
  };
}

function walk(file: string, v: unknown, path: string[], key: Buffer, rules: Rules, hash: ReturnType<typeof createHash>, macOnlyEncrypted: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => walk(file, x, path, key, rules, hash, macOnlyEncrypted));
  if (typeof v === 'object' && v !== null) {
    const out: Tree = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(file, x, [...path, k], key, rules, hash, macOnlyEncrypted);
    return out;
  }
  const encrypted = rules(path);
  let plain = v;
  if (encrypted && typeof v === 'string' && ENC.test(v)) plain = decryptValue(file, v, key, path.join(':') + ':', path.join('.'));
  if (!macOnlyEncrypted || encrypted) hash.update(toBytes(plain));
  return plain;
}

function decryptValue(file: string, value: string, key: Buffer, aad: string, where: string): unknown {
  const m = ENC.exec(value);
  if (!m) throw new SopsError(file, `${where} is not an ENC[AES256_GCM,…] value`);
  const [, data, iv, tag, type] = m;
  let plain: string;
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    plain = Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8');
  } catch {
    throw new SopsError(file, `${where} does not decrypt (tampered value, or moved to another key)`);
  }
  switch (type) {
    case 'int': return Number.parseInt(plain, 10);
    case 'float': return Number.parseFloat(plain);
    case 'bool': return plain.toLowerCase() === 'true';
    default: return plain;
  }
}

/** The bytes sops hashes for a value (Go's formatting of ints, floats and bools). */
function toBytes(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False'; // sops writes Python-style booleans
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : goFloat(v);
  return String(v);
}

function goFloat(n: number): string {
  // strconv.FormatFloat(f, 'f', -1, 64): shortest digits, never an exponent.
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/\.?0+$/, '');
}
