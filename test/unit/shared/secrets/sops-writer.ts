// Writes SOPS files (age recipients) for tests: the inverse of shared/secrets/sops.ts, built from
// the SOPS format. Files written by the real sops tool are checked in
// test/integration/compose/sops-reference.test.ts.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { encryptAge } from '../../../../shared/secrets/age.js';

type Tree = Record<string, unknown>;

const toBytes = (v: unknown): string => (typeof v === 'boolean' ? (v ? 'True' : 'False') : v === null ? '' : String(v));

function encryptValue(v: unknown, key: Buffer, aad: string): string {
  const type = typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : 'str';
  const iv = randomBytes(32);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const data = Buffer.concat([c.update(toBytes(v), 'utf8'), c.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${c.getAuthTag().toString('base64')},type:${type}]`;
}

export async function writeSops(tree: Tree, format: 'yaml' | 'json' | 'dotenv', recipients: string[], opts: { lastmodified?: string; unencryptedSuffix?: string } = {}): Promise<string> {
  const key = randomBytes(32);
  const suffix = opts.unencryptedSuffix ?? '_unencrypted';
  const hash = createHash('sha512');
  const walk = (v: unknown, path: string[]): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, path));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    hash.update(toBytes(v));
    if (v === null || v === '' || path.some((p) => p.endsWith(suffix))) return v;
    return encryptValue(v, key, path.join(':') + ':');
  };
  const enc = walk(tree, []) as Tree;
  const lastmodified = opts.lastmodified ?? '2026-11-25T12:00:00Z';
  const mac = encryptValue(hash.digest('hex').toUpperCase(), key, lastmodified);
  const age = [];
  for (const r of recipients) age.push({ recipient: r, enc: new TextDecoder().decode(await encryptAge(key, [r], { armored: true })) });
  const sops = { age, lastmodified, mac, unencrypted_suffix: suffix, version: '3.9.0' };
  if (format === 'json') return JSON.stringify({ ...enc, sops }, null, 4);
  if (format === 'yaml') return stringify({ ...enc, sops });
  const lines = Object.entries(enc).map(([k, v]) => `${k}=${String(v)}`);
  age.forEach((a, i) => { lines.push(`sops_age__list_${i}__map_enc=${a.enc.replace(/\n/g, '\\n')}`, `sops_age__list_${i}__map_recipient=${a.recipient}`); });
  lines.push(`sops_lastmodified=${lastmodified}`, `sops_mac=${mac}`, `sops_unencrypted_suffix=${suffix}`, 'sops_version=3.9.0');
  return lines.join('\n') + '\n';
}
