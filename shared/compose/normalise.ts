// Canonical forms, as `docker compose config` prints them: environment/labels as maps, ports,
// volumes and secrets in long syntax, commands as word lists, depends_on and networks as maps,
// relative paths resolved against the project directory. Durations stay as written.
import path from 'node:path/posix';
import { dependsOnToMap, listOrMapToMap, networksToMap } from './merge.js';
import { splitShellWords } from './shell-words.js';
import { isPlainObject } from './tags.js';

type Obj = Record<string, unknown>;

export interface NormaliseContext {
  /** Directory relative paths are resolved against (`infra` in a repo, an absolute dir in the CLI). */
  projectDir: string;
  /** Values for bare `environment: [NAME]` entries. */
  lookup: (name: string) => string | undefined;
}

export function resolvePath(projectDir: string, p: string): string {
  if (p.startsWith('/')) return path.normalize(p);
  // `~` is the agent user's home: kept as written (and refused as a bind source by hostile.ts).
  if (p === '~' || p.startsWith('~/')) return p;
  return path.normalize(path.join(projectDir, p));
}

const asString = (v: unknown): string => (typeof v === 'string' ? v : String(v));

function stringMap(v: unknown, keepNull = false): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, x] of Object.entries(listOrMapToMap(v))) {
    if (x === null || x === undefined) { if (keepNull) out[k] = null; else out[k] = ''; }
    else out[k] = asString(x);
  }
  return out;
}

export function normaliseModel(model: Obj, ctx: NormaliseContext): Obj {
  const out: Obj = {};
  if (model.name !== undefined) out.name = model.name;
  const services: Obj = {};
  const svcIn = isPlainObject(model.services) ? model.services : {};
  for (const name of Object.keys(svcIn).sort()) services[name] = normaliseService(isPlainObject(svcIn[name]) ? svcIn[name] : {}, ctx);
  out.services = services;
  const needsDefaultNetwork = Object.values(services).some((s) => isPlainObject((s as Obj).networks) && 'default' in ((s as Obj).networks as Obj));
  const networks: Obj = {};
  for (const [k, v] of Object.entries(isPlainObject(model.networks) ? model.networks : {})) networks[k] = normaliseTopLevel(v, ctx, false);
  if (needsDefaultNetwork && !networks.default) networks.default = {};
  if (Object.keys(networks).length) out.networks = networks;
  for (const section of ['volumes', 'secrets', 'configs'] as const) {
    const m = isPlainObject(model[section]) ? (model[section] as Obj) : {};
    if (!Object.keys(m).length) continue;
    const sec: Obj = {};
    for (const [k, v] of Object.entries(m)) sec[k] = normaliseTopLevel(v, ctx, section !== 'volumes');
    out[section] = sec;
  }
  for (const [k, v] of Object.entries(model)) if (k.startsWith('x-')) out[k] = v;
  return out;
}

function normaliseTopLevel(v: unknown, ctx: NormaliseContext, hasFile: boolean): Obj {
  const o: Obj = isPlainObject(v) ? { ...v } : {};
  if (o.labels !== undefined) o.labels = stringMap(o.labels);
  if (isPlainObject(o.external)) { o.name = o.external.name ?? o.name; o.external = true; }
  if (hasFile && typeof o.file === 'string') o.file = resolvePath(ctx.projectDir, o.file);
  return o;
}

export function normaliseService(s: Obj, ctx: NormaliseContext): Obj {
  const o: Obj = { ...s };
  if (o.build !== undefined) {
    const b: Obj = typeof o.build === 'string' ? { context: o.build } : { ...(o.build as Obj) };
    b.context = resolvePath(ctx.projectDir, typeof b.context === 'string' ? b.context : '.');
    if (b.dockerfile === undefined && b.dockerfile_inline === undefined) b.dockerfile = 'Dockerfile';
    if (b.args !== undefined) b.args = stringMap(b.args, true);
    if (b.labels !== undefined) b.labels = stringMap(b.labels);
    o.build = b;
  }
  for (const k of ['command', 'entrypoint'] as const) {
    if (typeof o[k] === 'string') o[k] = splitShellWords(o[k] as string) ?? [o[k]];
  }
  if (o.environment !== undefined) {
    const env = stringMap(o.environment, true);
    for (const [k, v] of Object.entries(env)) if (v === null) { const l = ctx.lookup(k); env[k] = l ?? null; }
    o.environment = env;
  }
  for (const k of ['labels', 'annotations', 'sysctls'] as const) if (o[k] !== undefined) o[k] = stringMap(o[k]);
  if (o.extra_hosts !== undefined) {
    const m = isPlainObject(o.extra_hosts) ? o.extra_hosts : listOrMapToMap(o.extra_hosts);
    o.extra_hosts = Object.entries(m).map(([h, ip]) => `${h}=${asString(ip)}`);
  }
  if (typeof o.env_file === 'string') o.env_file = [o.env_file];
  if (Array.isArray(o.env_file)) {
    o.env_file = o.env_file.map((e) => (isPlainObject(e)
      ? { path: resolvePath(ctx.projectDir, String(e.path)), required: e.required !== false }
      : { path: resolvePath(ctx.projectDir, String(e)), required: true }));
  }
  if (Array.isArray(o.ports)) o.ports = o.ports.flatMap(normalisePort);
  if (Array.isArray(o.expose)) o.expose = o.expose.map(asString);
  if (Array.isArray(o.volumes)) o.volumes = o.volumes.map((v) => normaliseVolume(v, ctx));
  for (const k of ['secrets', 'configs'] as const) {
    if (Array.isArray(o[k])) o[k] = (o[k] as unknown[]).map((v) => (isPlainObject(v) ? { ...v } : { source: asString(v) }));
  }
  if (o.depends_on !== undefined) {
    const d = dependsOnToMap(o.depends_on);
    for (const [k, v] of Object.entries(d)) d[k] = { condition: 'service_started', required: true, ...(isPlainObject(v) ? v : {}) };
    o.depends_on = d;
  }
  if (o.network_mode === undefined) {
    const nets = o.networks === undefined ? { default: null } : networksToMap(o.networks);
    o.networks = nets;
  }
  if (isPlainObject(o.healthcheck) && typeof o.healthcheck.test === 'string') {
    o.healthcheck = { ...o.healthcheck, test: ['CMD-SHELL', o.healthcheck.test] };
  }
  if (typeof o.dns === 'string') o.dns = [o.dns];
  if (typeof o.dns_search === 'string') o.dns_search = [o.dns_search];
  if (typeof o.tmpfs === 'string') o.tmpfs = [o.tmpfs];
  if (o.pull_policy === 'if_not_present') o.pull_policy = 'missing';
  return o;
}

/** `"127.0.0.1:8080-8081:80-81/udp"` → one long-syntax entry per port. */
export function normalisePort(p: unknown): Obj[] {
  if (isPlainObject(p)) {
    const o: Obj = { mode: p.mode ?? 'ingress', ...p, protocol: p.protocol ?? 'tcp' };
    if (o.published !== undefined) o.published = asString(o.published);
    return [o];
  }
  if (typeof p === 'number') return [{ mode: 'ingress', target: p, protocol: 'tcp' }];
  let s = String(p);
  let protocol = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) { protocol = s.slice(slash + 1); s = s.slice(0, slash); }
  let hostIp: string | undefined;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(s);
  if (bracket) { hostIp = bracket[1]; s = bracket[2]; }
  const parts = s.split(':');
  if (!bracket && parts.length === 3) hostIp = parts.shift();
  else if (!bracket && parts.length > 3) { const tail = parts.splice(-2); hostIp = parts.join(':'); parts.push(...tail); }
  const target = parts[parts.length - 1];
  const published = parts.length > 1 ? parts[0] : undefined;
  const [t0, t1] = target.split('-').map(Number);
  const count = t1 !== undefined ? t1 - t0 + 1 : 1;
  const pubRange = published ? published.split('-').map(Number) : [];
  const out: Obj[] = [];
  for (let i = 0; i < count; i++) {
    const o: Obj = { mode: 'ingress', target: t0 + i, protocol };
    if (hostIp) o.host_ip = hostIp;
    if (published !== undefined && published !== '') {
      o.published = pubRange.length === 2 && count > 1 ? String(pubRange[0] + i) : published;
    }
    out.push(o);
  }
  return out;
}


/** `"./data:/data:ro"` → `{type: bind, source: <projectDir>/data, target: /data, read_only: true, bind: {create_host_path: true}}`. */
export function normaliseVolume(v: unknown, ctx: NormaliseContext): Obj {
  if (isPlainObject(v)) {
    const o: Obj = { ...v };
    if (o.type === 'bind' && typeof o.source === 'string') o.source = resolvePath(ctx.projectDir, o.source);
    return o;
  }
  const parts = String(v).split(':');
  if (parts.length === 1) return { type: 'volume', target: parts[0] };
  const [source, target, modeStr] = parts;
  const modes = (modeStr ?? '').split(',').filter(Boolean);
  const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
  const o: Obj = isPath
    ? { type: 'bind', source: resolvePath(ctx.projectDir, source), target, bind: { create_host_path: true } }
    : { type: 'volume', source, target, volume: {} };
  if (modes.includes('ro')) o.read_only = true;
  else if (modes.includes('rw')) o.read_only = false; // said explicitly: binds are read-only otherwise
  if (modes.includes('z') || modes.includes('Z')) o.bind = { ...(o.bind as Obj), selinux: modes.includes('z') ? 'z' : 'Z' };
  if (modes.includes('nocopy')) o.volume = { nocopy: true };
  const prop = modes.find((m) => /^r?(shared|slave|private)$/.test(m));
  if (prop) o.bind = { ...(o.bind as Obj), propagation: prop };
  return o;
}
