// `extends:` — a service starts from another service (same file, or another file relative to
// this one) and the extending service is merged onto it with the ordinary merge rules.
import path from 'node:path/posix';
import type { KeyPath } from '../yaml/located.js';
import { mergeAt } from './merge.js';
import { isPlainObject } from './tags.js';

export interface ExtendsProblem { file: string; path: KeyPath; reason: string }

/** Loads (parses and interpolates) another compose file named by `extends.file`; undefined when absent or invalid. */
export type LoadOther = (file: string) => Record<string, unknown> | undefined;

/**
 * Resolves every `extends` in one file's services. `file` is the file's repo path, `projectDir`
 * the directory relative paths are resolved against; paths coming from a file in another
 * directory are rebased so they still point at the same place.
 */
export function applyExtends(model: Record<string, unknown>, file: string, projectDir: string, loadOther: LoadOther, problems: ExtendsProblem[]): Record<string, unknown> {
  const services = model.services;
  if (!isPlainObject(services)) return model;
  const out: Record<string, unknown> = {};
  const resolved = new Map<string, unknown>();
  for (const name of Object.keys(services)) out[name] = resolveService(file, services, name, [], resolved, projectDir, loadOther, problems, file);
  return { ...model, services: out };
}

function resolveService(file: string, services: Record<string, unknown>, name: string, chain: string[], cache: Map<string, unknown>, projectDir: string, loadOther: LoadOther, problems: ExtendsProblem[], reportFile: string): unknown {
  const key = `${file}#${name}`;
  if (cache.has(key)) return cache.get(key);
  const svc = services[name];
  if (!isPlainObject(svc) || svc.extends === undefined) { cache.set(key, svc); return svc; }
  const ext = svc.extends;
  const baseName = typeof ext === 'string' ? ext : isPlainObject(ext) ? String(ext.service ?? '') : '';
  const otherFile = isPlainObject(ext) && typeof ext.file === 'string' ? path.join(path.dirname(file), ext.file) : undefined;
  const { extends: _drop, ...own } = svc;
  const at: KeyPath = ['services', name, 'extends'];
  if (chain.includes(key)) {
    problems.push({ file: reportFile, path: at, reason: `extends cycle: ${[...chain, key].map((k) => k.split('#')[1]).join(' → ')}` });
    cache.set(key, own);
    return own;
  }
  let base: unknown;
  if (otherFile) {
    const other = loadOther(otherFile);
    if (!other) { problems.push({ file: reportFile, path: at, reason: `extends file ${otherFile} is missing or invalid` }); cache.set(key, own); return own; }
    const otherServices = isPlainObject(other.services) ? other.services : {};
    if (!isPlainObject(otherServices[baseName])) { problems.push({ file: reportFile, path: at, reason: `service "${baseName}" not found in ${otherFile}` }); cache.set(key, own); return own; }
    base = resolveService(otherFile, otherServices, baseName, [...chain, key], cache, projectDir, loadOther, problems, reportFile);
    base = rebase(base, path.dirname(otherFile), projectDir);
  } else {
    if (!isPlainObject(services[baseName])) { problems.push({ file: reportFile, path: at, reason: `extends names service "${baseName}", which is not defined in this file` }); cache.set(key, own); return own; }
    base = resolveService(file, services, baseName, [...chain, key], cache, projectDir, loadOther, problems, reportFile);
  }
  const merged = mergeAt(base, own, ['services', name]);
  cache.set(key, merged);
  return merged;
}

/** Relative paths in a service from `fromDir` rewritten relative to `projectDir`. */
function rebase(svc: unknown, fromDir: string, projectDir: string): unknown {
  if (!isPlainObject(svc) || path.normalize(fromDir) === path.normalize(projectDir)) return svc;
  const fix = (p: string): string => (p.startsWith('/') || p.startsWith('~') ? p : './' + path.relative(projectDir, path.join(fromDir, p)));
  const out: Record<string, unknown> = { ...svc };
  if (typeof out.build === 'string') out.build = fix(out.build);
  else if (isPlainObject(out.build) && typeof out.build.context === 'string') out.build = { ...out.build, context: fix(out.build.context) };
  if (typeof out.env_file === 'string') out.env_file = fix(out.env_file);
  else if (Array.isArray(out.env_file)) out.env_file = out.env_file.map((e) => (typeof e === 'string' ? fix(e) : isPlainObject(e) && typeof e.path === 'string' ? { ...e, path: fix(e.path) } : e));
  if (Array.isArray(out.volumes)) {
    out.volumes = out.volumes.map((v) => {
      if (typeof v === 'string') {
        const parts = v.split(':');
        if (parts.length > 1 && (parts[0].startsWith('.'))) parts[0] = fix(parts[0]);
        return parts.join(':');
      }
      if (isPlainObject(v) && v.type === 'bind' && typeof v.source === 'string' && v.source.startsWith('.')) return { ...v, source: fix(v.source) };
      return v;
    });
  }
  return out;
}
