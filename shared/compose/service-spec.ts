// A normalised compose service → the Stack's ServiceSpec (environment, secrets and hash are
// filled in by render).
import { parseDuration } from '../duration.js';
import type { BuildSpec, PortSpec, SecretMount, ServiceSpec, VolumeMount } from '../stack/model.js';
import { isPlainObject } from './tags.js';

type Obj = Record<string, unknown>;

/** Keys the ServiceSpec models itself; everything else (but x-*) goes to `extra`. */
const MODELLED = new Set(['image', 'build', 'pull_policy', 'command', 'entrypoint', 'environment', 'env_file', 'labels', 'ports', 'volumes', 'secrets',
  'healthcheck', 'depends_on', 'networks', 'restart', 'user', 'working_dir', 'hostname', 'stop_grace_period', 'stop_signal', 'extends']);

export type BaseServiceSpec = Omit<ServiceSpec, 'hash' | 'environment' | 'secretEnvironment' | 'x' | 'image'> & { image?: string };

export function toServiceSpec(name: string, s: Obj, included: Set<string>): BaseServiceSpec {
  const spec: BaseServiceSpec = {
    name,
    pullPolicy: pullPolicy(s),
    labels: (s.labels as Record<string, string>) ?? {},
    ports: (Array.isArray(s.ports) ? s.ports : []).map(toPort),
    volumes: (Array.isArray(s.volumes) ? s.volumes : []).map(toVolume),
    secrets: (Array.isArray(s.secrets) ? s.secrets : []).map(toSecretMount),
    dependsOn: {},
    networks: {},
    extra: {},
  };
  if (typeof s.image === 'string') spec.image = s.image;
  if (isPlainObject(s.build)) spec.build = toBuild(s.build);
  if (Array.isArray(s.command)) spec.command = s.command.map(String);
  if (Array.isArray(s.entrypoint)) spec.entrypoint = s.entrypoint.map(String);
  if (isPlainObject(s.healthcheck)) spec.healthcheck = toHealthcheck(s.healthcheck);
  for (const [dep, v] of Object.entries(isPlainObject(s.depends_on) ? s.depends_on : {})) {
    if (!included.has(dep)) continue; // placed on another host: nothing to wait for here
    const d = v as Obj;
    spec.dependsOn[dep] = { condition: (d.condition as ServiceSpec['dependsOn'][string]['condition']) ?? 'service_started', ...(d.restart !== undefined ? { restart: Boolean(d.restart) } : {}), ...(d.required !== undefined ? { required: Boolean(d.required) } : {}) };
  }
  for (const [net, v] of Object.entries(isPlainObject(s.networks) ? s.networks : {})) {
    spec.networks[net] = { aliases: isPlainObject(v) && Array.isArray(v.aliases) ? v.aliases.map(String) : [] };
  }
  if (typeof s.restart === 'string') spec.restart = s.restart;
  if (s.user !== undefined) spec.user = String(s.user);
  if (typeof s.working_dir === 'string') spec.workingDir = s.working_dir;
  if (typeof s.hostname === 'string') spec.hostname = s.hostname;
  if (s.stop_grace_period !== undefined) spec.stopGracePeriodMs = parseDuration(s.stop_grace_period as string);
  if (typeof s.stop_signal === 'string') spec.stopSignal = s.stop_signal;
  for (const [k, v] of Object.entries(s)) if (!MODELLED.has(k) && !k.startsWith('x-')) spec.extra[k] = v;
  return spec;
}

function pullPolicy(s: Obj): ServiceSpec['pullPolicy'] {
  const p = s.pull_policy;
  if (p === 'always' || p === 'never' || p === 'build' || p === 'missing') return p;
  if (s.image === undefined && s.build !== undefined) return 'build';
  return 'missing';
}

function toBuild(b: Obj): BuildSpec {
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(isPlainObject(b.args) ? b.args : {})) if (v !== null && v !== undefined) args[k] = String(v);
  return { context: String(b.context), dockerfile: String(b.dockerfile ?? 'Dockerfile'), args, ...(typeof b.target === 'string' ? { target: b.target } : {}) };
}

function toPort(p: unknown): PortSpec {
  const o = p as Obj;
  return { target: Number(o.target), ...(o.published !== undefined ? { published: String(o.published) } : {}), ...(o.host_ip ? { host_ip: String(o.host_ip) } : {}), protocol: o.protocol === 'udp' ? 'udp' : 'tcp' };
}

function toVolume(v: unknown): VolumeMount {
  const o = v as Obj;
  const type = o.type === 'bind' || o.type === 'tmpfs' ? o.type : 'volume';
  // Bind mounts are read-only unless the file says otherwise (`:rw`, `read_only: false`), which
  // hostile.ts allows only where the policy does.
  const readOnly = type === 'bind' ? o.read_only !== false : o.read_only === true;
  return { type, ...(o.source !== undefined ? { source: String(o.source) } : {}), target: String(o.target), ...(readOnly ? { read_only: true } : {}) };
}

function toSecretMount(v: unknown): SecretMount {
  const o = v as Obj;
  const source = String(o.source);
  const target = typeof o.target === 'string' ? (o.target.startsWith('/') ? o.target : `/run/secrets/${o.target}`) : `/run/secrets/${source}`;
  return { source, target, ...(o.mode !== undefined ? { mode: Number(o.mode) } : {}) };
}

function toHealthcheck(h: Obj): NonNullable<ServiceSpec['healthcheck']> {
  const test = Array.isArray(h.test) ? h.test.map(String) : [];
  const out: NonNullable<ServiceSpec['healthcheck']> = { test };
  const d = (k: string): number | undefined => (h[k] === undefined ? undefined : parseDuration(h[k] as string));
  if (d('interval') !== undefined) out.intervalMs = d('interval');
  if (d('timeout') !== undefined) out.timeoutMs = d('timeout');
  if (typeof h.retries === 'number') out.retries = h.retries;
  if (d('start_period') !== undefined) out.startPeriodMs = d('start_period');
  if (h.disable === true || test[0] === 'NONE') out.disable = true;
  return out;
}
