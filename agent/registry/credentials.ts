// Registry credentials: from a Docker config.json file named in agent.yml (reuse `docker login`
// output) and from an encrypted file in the repo (infra/secrets/registries.*). Values never leave
// memory except as the X-Registry-Auth of a pull.
import { readConfiguredFile } from '../config/configured-file.js';
import { AutoinfraError } from '../../shared/errors.js';
import { jsonSyntaxProblem } from '../../shared/secrets/json-syntax.js';
import type { RegistryAuth } from '../runtime/types.js';

export type RegistryCredentials = Map<string, { username: string; password: string }>;

export class RegistryCredentialsError extends AutoinfraError {
  static readonly code = 'E_REGISTRY_CREDENTIALS';
  constructor(file: string, reason: string) {
    super(RegistryCredentialsError.code, `registry credentials ${file}: ${reason}`, { file, reason });
    this.name = 'RegistryCredentialsError';
  }
}

/** Parses Docker's config.json shape: `{"auths": {"host": {"auth": base64(user:pass)} | {"username","password"}}}`. */
export function parseDockerConfig(file: string, text: string): RegistryCredentials {
  let doc: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    // Never the parser's message: it quotes the content, i.e. part of a password.
    throw new RegistryCredentialsError(file, jsonSyntaxProblem(e, text));
  }
  if (!doc || typeof doc !== 'object' || typeof doc.auths !== 'object') throw new RegistryCredentialsError(file, 'expected {"auths": {"<registry host>": {"auth": "<base64 user:password>"}}} (the format of ~/.docker/config.json)');
  const out: RegistryCredentials = new Map();
  for (const [key, v] of Object.entries(doc.auths ?? {})) {
    const host = normaliseRegistryKey(key);
    if (v.auth) {
      const decoded = Buffer.from(v.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i < 0) throw new RegistryCredentialsError(file, `auths["${key}"].auth is not base64 of user:password`);
      out.set(host, { username: decoded.slice(0, i), password: decoded.slice(i + 1) });
    } else if (v.username && v.password) {
      out.set(host, { username: v.username, password: v.password });
    } else {
      throw new RegistryCredentialsError(file, `auths["${key}"] has neither "auth" nor "username" and "password"`);
    }
  }
  return out;
}

export async function loadDockerConfigFile(file: string): Promise<RegistryCredentials> {
  return parseDockerConfig(file, await readConfiguredFile(file, (reason) => new RegistryCredentialsError(file, reason)));
}

/** `https://index.docker.io/v1/` and friends → `docker.io`; `https://host:5000` → `host:5000`. */
export function normaliseRegistryKey(key: string): string {
  const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return /^(index\.)?docker\.io$|^registry-1\.docker\.io$/.test(host) ? 'docker.io' : host;
}

/** Later sources win for the same registry. */
export function mergeCredentials(...sources: (RegistryCredentials | undefined)[]): RegistryCredentials {
  const out: RegistryCredentials = new Map();
  for (const s of sources) for (const [k, v] of s ?? []) out.set(k, v);
  return out;
}

export function authFor(creds: RegistryCredentials, registry: string): RegistryAuth | undefined {
  const c = creds.get(registry);
  return c ? { username: c.username, password: c.password, serveraddress: registry } : undefined;
}
