// The content hash of a service: sha256 over its canonical (RFC 8785) definition, the image
// reference, and the fingerprints of the secrets it uses. Secret values enter only as keyed
// fingerprints (shared/secrets/fingerprint.ts), so the hash is safe to publish — it is no offline
// oracle for a weak secret — and a secret change redeploys exactly the services that use it.
import { createHash, type Hash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { ServiceSpec } from '../stack/model.js';
import { secretFingerprint } from '../secrets/fingerprint.js';

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function serviceHash(spec: Omit<ServiceSpec, 'hash'>, secretHashes: Record<string, string>, fingerprintKey: Uint8Array): string {
  const secretNames = new Set(spec.secretEnvironment);
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.environment)) environment[k] = secretNames.has(k) ? `hmac:${secretFingerprint(fingerprintKey, v)}` : v;
  const used: Record<string, string> = {};
  for (const m of spec.secrets) if (secretHashes[m.source]) used[m.source] = secretHashes[m.source];
  const { hash: _h, ...rest } = spec as ServiceSpec;
  const doc = canonicalize({ ...rest, environment, secretContents: used }) ?? '';
  return sha256Hex(doc);
}

/** Hash of a build: every file under the context (path relative to it + bytes) and the build options. */
export function buildHash(files: Map<string, Uint8Array>, context: string, options: unknown): string {
  const h = createHash('sha256');
  hashFilesUnder(h, files, context);
  h.update(canonicalize(options) ?? '');
  return h.digest('hex');
}

/** Repo paths under `dir` (repo-relative, `.` or '' = the root), sorted. */
export function filesUnder(files: Map<string, Uint8Array>, dir: string): string[] {
  const prefix = dir === '.' || dir === '' ? '' : dir.replace(/\/$/, '') + '/';
  return [...files.keys()].filter((p) => p.startsWith(prefix)).sort();
}

/** Feeds every file under `dir` (path relative to it, length, bytes) into `h`. */
export function hashFilesUnder(h: Hash, files: Map<string, Uint8Array>, dir: string): void {
  const prefix = dir === '.' || dir === '' ? '' : dir.replace(/\/$/, '') + '/';
  for (const p of filesUnder(files, dir)) {
    const bytes = files.get(p) as Uint8Array;
    h.update(`${p.slice(prefix.length)}\0${bytes.length}\0`);
    h.update(bytes);
  }
}
