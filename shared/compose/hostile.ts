// Options that hand a container the host are refused unless production's repo policy
// (infra/autoinfra.yml `allow:` on the production branch) names them: a commit to the deployment
// repo must not be enough to take over every host that runs the agent. Each rule is an allowlist:
// bind mounts only of the project directory's own files (read-only) or of host paths the policy
// names; only Docker's default capabilities; host namespaces, devices and sandbox switches only
// when allowed. Anything not recognised is refused, never passed through or dropped.
import path from 'node:path/posix';
import type { KeyPath } from '../yaml/located.js';
import type { BindMountAllowance, PolicyAllow } from '../policy/policy.js';
import { isPlainObject } from './tags.js';

export interface HostileProblem { path: KeyPath; reason: string }

/** Docker's default capability set: adding one of these changes nothing. Any other needs policy. */
const DEFAULT_CAPS = new Set(['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE']);
/** Only for wording: why a refused path is dangerous. The rule itself is the allowlist. */
const KNOWN_SENSITIVE = ['/etc', '/proc', '/sys', '/dev', '/boot', '/root', '/home', '/usr', '/lib', '/lib64', '/bin', '/sbin', '/opt/autoinfra',
  '/var/run/docker.sock', '/run/docker.sock', '/var/run', '/run/docker', '/run/containerd', '/run/dbus', '/run/systemd', '/run/autoinfra', '/run/autoinfra-agent',
  '/var/lib/docker', '/var/lib/containerd', '/var/lib/autoinfra', '/var/spool/cron', '/etc/autoinfra', '/run', '/var', '/srv', '/mnt', '/media', '/tmp'];
type Namespace = 'network' | 'pid' | 'ipc' | 'uts' | 'userns' | 'cgroup';
/** Per key: the namespace `host` joins, and the other values that are supported (mapped by the runtime). */
const NAMESPACE_KEYS: [string, Namespace, string[]][] = [
  ['network_mode', 'network', ['none']], ['pid', 'pid', []], ['ipc', 'ipc', ['private', 'shareable', 'none']],
  ['uts', 'uts', []], ['userns_mode', 'userns', []], ['cgroup', 'cgroup', ['private']],
];
const VOLUME_TYPES = new Set(['bind', 'volume', 'tmpfs']);

const hint = (key: string): string => `; if this host really needs it, allow it in infra/autoinfra.yml on production under allow.${key}`;
const normCap = (c: string): string => c.toUpperCase().replace(/^CAP_/, '');

export interface HostileContext {
  allow: PolicyAllow;
  /** The compose project directory (`infra` in a repo render): relative bind sources must stay inside it. */
  projectDir: string;
}

/** `svc` is one normalised service (long-syntax volumes, bind sources resolved by resolvePath). */
export function hostileOptions(name: string, svc: Record<string, unknown>, ctx: HostileContext): HostileProblem[] {
  const { allow } = ctx;
  const at = (...p: KeyPath): KeyPath => ['services', name, ...p];
  const out: HostileProblem[] = [];
  if (svc.privileged === true && !allow.privileged) out.push({ path: at('privileged'), reason: `privileged mode gives the container the whole host${hint('privileged')}` });
  for (const [key, ns, supported] of NAMESPACE_KEYS) {
    const v = svc[key];
    if (v === undefined || v === null) continue;
    const s = String(v);
    if (s === 'host') {
      if (!allow.host_namespaces?.includes(ns)) out.push({ path: at(key), reason: `${key}: host shares the host's ${ns} namespace${hint(`host_namespaces: [${ns}]`)}` });
    } else if (!supported.includes(s)) {
      out.push({ path: at(key), reason: `${key}: ${s} is not supported (${[...supported, 'host (with policy)'].join(', ')}): joining another container's or a spelling Docker would not take is refused` });
    }
  }
  if (svc.network_mode !== undefined && isPlainObject(svc['x-autoinfra']) && (svc['x-autoinfra'].route !== undefined || (isPlainObject(svc['x-autoinfra'].health) && svc['x-autoinfra'].health.http !== undefined))) {
    out.push({ path: at('network_mode'), reason: 'a routed or http-probed service needs its own network: the edge and the probe reach it through a published 127.0.0.1 port' });
  }
  const caps = Array.isArray(svc.cap_add) ? svc.cap_add.map(String) : [];
  const allowedCaps = new Set((allow.capabilities ?? []).map(normCap));
  caps.forEach((c, i) => {
    const cap = normCap(c);
    if (!DEFAULT_CAPS.has(cap) && !allowedCaps.has(cap) && !allowedCaps.has('ALL')) out.push({ path: at('cap_add', i), reason: `capability ${cap} breaks container isolation${hint(`capabilities: [${cap}]`)}` });
  });
  const devices = Array.isArray(svc.devices) ? svc.devices : [];
  devices.forEach((d, i) => {
    const raw = isPlainObject(d) ? String(d.source ?? '') : String(d).split(':')[0];
    if (!raw.startsWith('/')) { out.push({ path: at('devices', i), reason: `device ${raw} is not supported: give a host device path such as /dev/ttyUSB0` }); return; }
    const hostPath = path.normalize(raw);
    const ok = allow.devices === true || (Array.isArray(allow.devices) && allow.devices.map((p) => path.normalize(p)).includes(hostPath));
    if (!ok) out.push({ path: at('devices', i), reason: `device ${hostPath} gives direct access to host hardware${hint(`devices: [${hostPath}]`)}` });
  });
  const secOpts = Array.isArray(svc.security_opt) ? svc.security_opt.map(String) : [];
  secOpts.forEach((o, i) => {
    if (/^no-new-privileges([:=](true|false))?$/.test(o)) return;
    if (/^(seccomp|apparmor|systempaths)[:=]unconfined$/.test(o) || /^label[:=]disable$/.test(o)) {
      if (!allow.unconfined) out.push({ path: at('security_opt', i), reason: `${o} turns off a kernel sandbox${hint('unconfined')}` });
      return;
    }
    out.push({ path: at('security_opt', i), reason: `security_opt ${o} is not supported (only no-new-privileges, and the unconfined switches with policy): custom profiles and SELinux labels are host files the repo does not control` });
  });
  const volumes = Array.isArray(svc.volumes) ? svc.volumes : [];
  volumes.forEach((v, i) => { const r = volumeProblem(v, ctx); if (r) out.push({ path: at('volumes', i), reason: r }); });
  return out;
}

/** Why one normalised service volume is refused, or undefined. */
function volumeProblem(v: unknown, ctx: HostileContext): string | undefined {
  if (!isPlainObject(v)) return undefined;
  if (!VOLUME_TYPES.has(String(v.type))) return `volume type ${String(v.type)} is not supported (bind, volume or tmpfs)`;
  if (v.type === 'volume' && isPlainObject(v.volume) && v.volume.subpath !== undefined) return 'volume.subpath is not supported: mount the whole volume';
  if (v.type !== 'bind') return undefined;
  if (typeof v.source !== 'string' || v.source === '') return 'a bind mount needs a source';
  if (isPlainObject(v.bind)) {
    const prop = v.bind.propagation;
    if (prop !== undefined && prop !== 'private' && prop !== 'rprivate') return `bind propagation ${String(prop)} is not supported: shared propagation lets the container's mounts reach the host`;
    if (v.bind.selinux !== undefined) return `SELinux relabelling (:${String(v.bind.selinux)}) is not supported: it rewrites the labels of host files`;
  }
  const src = v.source;
  const writable = v.read_only === false;
  if (src === '~' || src.startsWith('~/')) return `bind mount of ${src} exposes the agent user's home directory; use a path inside ${ctx.projectDir}/ or an absolute path allowed in infra/autoinfra.yml on production under allow.bind_mounts`;
  const project = ctx.projectDir.replace(/\/+$/, '');
  if (src === project || src.startsWith(project + '/')) {
    if (writable) return `bind mount of ${src} is read-only: it holds the commit's files, and what the container wrote would be lost at the next commit; use a named volume for data`;
    return undefined;
  }
  if (!src.startsWith('/')) return `bind mount source ${src} leaves the project directory ${project}/; use a path inside it or an absolute path allowed in infra/autoinfra.yml on production under allow.bind_mounts`;
  const normal = stripSlash(path.normalize(src));
  const entry = allowanceFor(normal, ctx.allow.bind_mounts ?? []);
  if (entry && !writable) return undefined;
  if (entry && writable) {
    if (entry.read_only !== false) return `bind mount of ${normal} is writable but allow.bind_mounts allows ${entry.path} read-only; drop :rw / read_only: false, or set read_only: false on the policy entry`;
    // Under a writable allowed path a container may have planted a symlink: only the path itself.
    if (normal !== entry.path) return `writable bind mount of ${normal} is below the allowed ${entry.path}: only the allowed path itself may be mounted writable (a container may have left a symlink below it)`;
    return undefined;
  }
  const sensitive = normal === '/' ? 'the root file system' : KNOWN_SENSITIVE.find((s) => normal === s || normal.startsWith(s + '/') || s.startsWith(normal + '/')) ?? 'a host path no policy allows';
  return `bind mount of ${normal} exposes the host (${sensitive}); bind mounts are allowed inside ${project}/ (read-only)${hint(`bind_mounts: [{path: ${normal}}]`)}`;
}

function stripSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** The policy entry that covers `src` (the path itself or a parent). Paths compare exactly: Linux is case-sensitive. */
export function allowanceFor(src: string, entries: BindMountAllowance[]): { path: string; read_only?: boolean } | undefined {
  let best: { path: string; read_only?: boolean } | undefined;
  for (const e of entries) {
    const a = typeof e === 'string' ? { path: e } : e;
    const p = stripSlash(path.normalize(a.path));
    if (src === p || src.startsWith(p === '/' ? '/' : p + '/')) if (!best || p.length > best.path.length) best = { ...a, path: p };
  }
  return best;
}
