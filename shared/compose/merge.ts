// Merging compose files the way compose-go (the reference implementation) does:
// mappings merge key by key; sequences append, then entries with the same unique key (port,
// mount target, env name, ...) collapse with the later one winning in the earlier's place;
// `command`, `entrypoint`, `healthcheck.test` replace; environment/labels/... merge as maps whether
// written as lists or maps; `!reset` removes, `!override` replaces.
import { Override, RESET, isPlainObject } from './tags.js';

type Path = string[];
type Merger = (base: unknown, over: unknown, path: Path) => unknown;

/** Glob patterns over the key path (`*` = any one key) → the rule applied there. */
const SPECIAL: [string, Merger][] = [
  ['services.*.command', (_b, o) => o],
  ['services.*.entrypoint', (_b, o) => o],
  ['services.*.healthcheck.test', (_b, o) => o],
  ['services.*.environment', mergeAsMap],
  ['services.*.labels', mergeAsMap],
  ['services.*.annotations', mergeAsMap],
  ['services.*.sysctls', mergeAsMap],
  ['services.*.extra_hosts', mergeExtraHosts],
  ['services.*.build', mergeBuild],
  ['services.*.build.args', mergeAsMap],
  ['services.*.build.labels', mergeAsMap],
  ['services.*.build.additional_contexts', mergeAsMap],
  ['services.*.build.extra_hosts', mergeExtraHosts],
  ['services.*.deploy.labels', mergeAsMap],
  ['services.*.depends_on', mergeDependsOn],
  ['services.*.networks', mergeNetworks],
  ['services.*.logging', mergeLogging],
  ['services.*.ulimits.*', mergeUlimit],
  ['services.*.env_file', (b, o, p) => unique(appendSeq(asList(b), asList(o)), p)],
  // Our extension: a later file's list replaces (a preview must not add the production host names).
  ['services.*.x-autoinfra.route.hosts', (_b, o) => o],
  ['services.*.x-autoinfra.hosts', (_b, o) => o],
  ['services.*.x-autoinfra.mirror.methods', (_b, o) => o],
  ['services.*.x-autoinfra.health.command', (_b, o) => o],
  ['networks.*.labels', mergeAsMap],
  ['volumes.*.labels', mergeAsMap],
];

/** Sequences whose entries are identified by a key: the later entry replaces the earlier. */
const UNIQUE: [string, (v: unknown) => string][] = [
  ['services.*.ports', portKey],
  ['services.*.volumes', mountTargetKey],
  ['services.*.devices', mountTargetKey],
  ['services.*.secrets', secretKey('/run/secrets/')],
  ['services.*.configs', secretKey('')],
  ['services.*.env_file', (v) => (isPlainObject(v) ? String(v.path) : String(v))],
  ['services.*.expose', (v) => String(v)],
  ['services.*.cap_add', (v) => String(v)],
  ['services.*.cap_drop', (v) => String(v)],
  ['services.*.dns', (v) => String(v)],
  ['services.*.dns_opt', (v) => String(v)],
  ['services.*.dns_search', (v) => String(v)],
  ['services.*.links', (v) => String(v)],
  ['services.*.profiles', (v) => String(v)],
  ['services.*.tmpfs', (v) => String(v)],
  ['services.*.networks.*.aliases', (v) => String(v)],
  ['services.*.networks.*.link_local_ips', (v) => String(v)],
  ['services.*.build.tags', (v) => String(v)],
  ['services.*.build.platforms', (v) => String(v)],
];

const globCache = new Map<string, string[]>();
function matches(glob: string, path: Path): boolean {
  let g = globCache.get(glob);
  if (!g) { g = glob.split('.'); globCache.set(glob, g); }
  if (g.length !== path.length) return false;
  for (let i = 0; i < g.length; i++) if (g[i] !== '*' && g[i] !== path[i]) return false;
  return true;
}

/** Merges `over` onto `base` (both plain compose models, markers allowed). Inputs are not changed. */
export function mergeModels(base: unknown, over: unknown): unknown {
  return mergeAt(base, over, []);
}

/** Merges at a key path (used by `extends`, which merges one service onto another). */
export function mergeAt(base: unknown, over: unknown, path: Path): unknown {
  if (over === RESET) return RESET;
  if (over instanceof Override) return over.value;
  if (base === undefined || base === RESET) return over;
  // Every rule is about services/networks/volumes at depth ≥ 3: skip the table above that.
  if (path.length >= 3) for (const [glob, fn] of SPECIAL) if (matches(glob, path)) return fn(base, over, path);
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const merged = mergeAt(base[k], v, [...path, k]);
      if (merged === RESET) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) return unique(appendSeq(base, over), path);
  return over;
}

function appendSeq(a: unknown[], b: unknown[]): unknown[] { return [...a, ...b]; }

/** Collapses entries with the same unique key: the later value takes the earlier one's place. */
export function unique(list: unknown[], path: Path): unknown[] {
  const rule = UNIQUE.find(([g]) => matches(g, path));
  if (!rule) return list;
  const out: unknown[] = [];
  const at = new Map<string, number>();
  for (const v of list) {
    const k = rule[1](v);
    const i = at.get(k);
    if (i === undefined) { at.set(k, out.length); out.push(v); } else out[i] = v;
  }
  return out;
}

function portKey(v: unknown): string {
  if (isPlainObject(v)) return `${v.host_ip ?? ''}:${v.published ?? ''}:${v.target}/${v.protocol ?? 'tcp'}`;
  return String(v);
}

function mountTargetKey(v: unknown): string {
  if (isPlainObject(v)) return String(v.target);
  const parts = splitVolumeString(String(v));
  return parts.length === 1 ? parts[0] : parts[1];
}

function secretKey(dir: string): (v: unknown) => string {
  return (v) => {
    if (isPlainObject(v)) return v.target !== undefined ? String(v.target) : dir + String(v.source);
    return dir + String(v);
  };
}

/** Splits `src:target:mode`, leaving Windows drive letters alone is not needed on Linux hosts. */
export function splitVolumeString(s: string): string[] {
  return s.split(':');
}

/** `[A=1, B]` or `{A: 1, B: null}` → Map. Values keep their type; `B` alone → null. */
export function listOrMapToMap(v: unknown, sep = '='): Record<string, unknown> {
  if (isPlainObject(v)) return { ...v };
  const out: Record<string, unknown> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  }
  return out;
}

function mergeAsMap(base: unknown, over: unknown): unknown {
  const out = listOrMapToMap(base);
  for (const [k, v] of Object.entries(listOrMapToMap(over))) {
    if (v === RESET) delete out[k];
    else out[k] = v instanceof Override ? v.value : v;
  }
  return out;
}

function extraHostsToMap(v: unknown): Record<string, unknown> {
  if (isPlainObject(v)) return { ...v };
  const out: Record<string, unknown> = {};
  for (const item of Array.isArray(v) ? v : []) {
    const s = String(item);
    const i = s.search(/[=:]/);
    if (i < 0) out[s] = null; else out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}
function mergeExtraHosts(base: unknown, over: unknown): unknown {
  return { ...extraHostsToMap(base), ...extraHostsToMap(over) };
}

function mergeBuild(base: unknown, over: unknown, path: Path): unknown {
  const b = typeof base === 'string' ? { context: base } : base;
  const o = typeof over === 'string' ? { context: over } : over;
  if (!isPlainObject(b) || !isPlainObject(o)) return over;
  const out: Record<string, unknown> = { ...b };
  for (const [k, v] of Object.entries(o)) {
    const m = mergeAt(b[k], v, [...path, k]);
    if (m === RESET) delete out[k]; else out[k] = m;
  }
  return out;
}

export function dependsOnToMap(v: unknown): Record<string, unknown> {
  if (isPlainObject(v)) return { ...v };
  const out: Record<string, unknown> = {};
  for (const s of Array.isArray(v) ? v : []) out[String(s)] = { condition: 'service_started', required: true };
  return out;
}
function mergeDependsOn(base: unknown, over: unknown, path: Path): unknown {
  return mergeAt(dependsOnToMap(base), dependsOnToMap(over), [...path, '#map']);
}

export function networksToMap(v: unknown): Record<string, unknown> {
  if (isPlainObject(v)) return { ...v };
  const out: Record<string, unknown> = {};
  for (const s of Array.isArray(v) ? v : []) out[String(s)] = null;
  return out;
}
function mergeNetworks(base: unknown, over: unknown, path: Path): unknown {
  const b = networksToMap(base);
  const out: Record<string, unknown> = { ...b };
  for (const [k, v] of Object.entries(networksToMap(over))) {
    const m = v === null && b[k] !== undefined ? b[k] : mergeAt(b[k] ?? undefined, v, [...path, k]);
    if (m === RESET) delete out[k]; else out[k] = m;
  }
  return out;
}

function mergeLogging(base: unknown, over: unknown, path: Path): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  // A different driver means the old options do not apply.
  if (over.driver !== undefined && base.driver !== undefined && over.driver !== base.driver) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeAt(base[k], v, [...path, k]);
  return out;
}

function mergeUlimit(base: unknown, over: unknown, path: Path): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeAt(base[k], v, [...path, k]);
    return out;
  }
  return over;
}

function asList(v: unknown): unknown[] { return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]; }
