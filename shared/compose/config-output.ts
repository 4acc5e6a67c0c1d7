// What `compose config` prints: the loaded model with plain env_file entries folded into
// `environment` (encrypted ones are left as entries: the CLI holds no identity), as YAML or JSON.
import { stringify } from 'yaml';
import type { Problem } from '../errors.js';
import { ComposeError } from './compose-error.js';
import { resolveEnvFiles, type EnvFileContent } from './env-files.js';
import type { LoadedCompose } from './load.js';
import { locateInSources } from './load.js';
import { isPlainObject } from './tags.js';

type Obj = Record<string, unknown>;

export const isEncryptedPath = (p: string): boolean => /\.age$|\.sops\.(ya?ml|json|env)$/.test(p);

export async function inlineEnvFiles(loaded: LoadedCompose, read: (path: string) => Promise<string | undefined>): Promise<Obj> {
  const problems: Problem[] = [];
  const services: Obj = {};
  for (const [name, raw] of Object.entries(loaded.model.services as Obj)) {
    const svc = { ...(raw as Obj) };
    const entries = Array.isArray(svc.env_file) ? (svc.env_file as { path: string; required: boolean }[]) : [];
    if (entries.length) {
      const plain = entries.filter((e) => !isEncryptedPath(e.path));
      const kept = entries.filter((e) => isEncryptedPath(e.path));
      const env = await resolveEnvFiles(plain, async (p): Promise<EnvFileContent | undefined> => {
        const text = await read(p);
        return text === undefined ? undefined : { text, secret: false };
      }, loaded.lookup, (i, reason) => locateInSources(loaded.sources, ['services', name, 'env_file', entries.indexOf(plain[i])], reason));
      problems.push(...env.problems);
      const own = isPlainObject(svc.environment) ? svc.environment : {};
      const merged: Obj = { ...env.values };
      for (const [k, v] of Object.entries(own)) if (v !== null || !(k in merged)) merged[k] = v;
      svc.environment = merged;
      if (kept.length) svc.env_file = kept; else delete svc.env_file;
    }
    services[name] = svc;
  }
  if (problems.length) throw new ComposeError('invalid env files', problems);
  return { ...loaded.model, services };
}

/** Printed like `docker compose config`: a literal `$` as `$$`, so the output loads back to the same model. */
export function formatConfig(model: Obj, format: 'yaml' | 'json'): string {
  const escaped = escapeDollars(model);
  if (format === 'json') return JSON.stringify(escaped, null, 2) + '\n';
  return stringify(escaped, { lineWidth: 0, aliasDuplicateObjects: false });
}

function escapeDollars(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/\$/g, '$$$$');
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}
