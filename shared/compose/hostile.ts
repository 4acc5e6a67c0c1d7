// Options that hand a container the host (privileged mode, host namespaces, dangerous
// capabilities, devices, bind mounts of sensitive host paths) are refused unless the repo policy
// (infra/autoinfra.yml `allow:`) names them: a commit to the deployment repo must not be enough
// to take over every host that runs the agent.
import path from 'node:path/posix';
import type { KeyPath } from '../yaml/located.js';
import type { PolicyAllow } from '../policy/policy.js';
import { isPlainObject } from './tags.js';

export interface HostileProblem { path: KeyPath; reason: string }

const DANGEROUS_CAPS = new Set(['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_BOOT', 'SYS_TIME', 'NET_ADMIN', 'DAC_READ_SEARCH', 'MAC_ADMIN', 'MAC_OVERRIDE', 'BPF', 'PERFMON']);
const SENSITIVE_PATHS = ['/etc', '/proc', '/sys', '/dev', '/boot', '/root', '/var/run/docker.sock', '/run/docker.sock', '/var/lib/docker', '/run/containerd', '/var/lib/autoinfra', '/etc/autoinfra'];
const NAMESPACE_KEYS: [string, 'network' | 'pid' | 'ipc' | 'uts' | 'userns' | 'cgroup'][] = [
  ['network_mode', 'network'], ['pid', 'pid'], ['ipc', 'ipc'], ['uts', 'uts'], ['userns_mode', 'userns'], ['cgroup', 'cgroup'],
];

const hint = (key: string): string => `; if this host really needs it, allow it in infra/autoinfra.yml under allow.${key}`;

/** `svc` is one normalised service (long-syntax volumes). */
export function hostileOptions(name: string, svc: Record<string, unknown>, allow: PolicyAllow): HostileProblem[] {
  const at = (...p: KeyPath): KeyPath => ['services', name, ...p];
  const out: HostileProblem[] = [];
  if (svc.privileged === true && !allow.privileged) out.push({ path: at('privileged'), reason: `privileged mode gives the container the whole host${hint('privileged')}` });
  for (const [key, ns] of NAMESPACE_KEYS) {
    if (svc[key] === 'host' && !allow.host_namespaces?.includes(ns)) out.push({ path: at(key), reason: `${key}: host shares the host's ${ns} namespace${hint(`host_namespaces: [${ns}]`)}` });
  }
  const caps = Array.isArray(svc.cap_add) ? svc.cap_add.map(String) : [];
  caps.forEach((c, i) => {
    const cap = c.toUpperCase().replace(/^CAP_/, '');
    if (DANGEROUS_CAPS.has(cap) && !allow.capabilities?.map((x) => x.toUpperCase().replace(/^CAP_/, '')).includes(cap)) out.push({ path: at('cap_add', i), reason: `capability ${cap} breaks container isolation${hint(`capabilities: [${cap}]`)}` });
  });
  const devices = Array.isArray(svc.devices) ? svc.devices : [];
  devices.forEach((d, i) => {
    const hostPath = isPlainObject(d) ? String(d.source ?? '') : String(d).split(':')[0];
    const ok = allow.devices === true || (Array.isArray(allow.devices) && allow.devices.includes(hostPath));
    if (!ok) out.push({ path: at('devices', i), reason: `device ${hostPath} gives direct access to host hardware${hint(`devices: [${hostPath}]`)}` });
  });
  const secOpts = Array.isArray(svc.security_opt) ? svc.security_opt.map(String) : [];
  secOpts.forEach((o, i) => {
    if (/unconfined/.test(o) && !allow.unconfined) out.push({ path: at('security_opt', i), reason: `${o} turns off a kernel sandbox${hint('unconfined')}` });
  });
  const volumes = Array.isArray(svc.volumes) ? svc.volumes : [];
  volumes.forEach((v, i) => {
    if (!isPlainObject(v) || v.type !== 'bind' || typeof v.source !== 'string') return;
    // Relative sources resolve against the repo checkout on the host: they must stay inside it.
    if (v.source === '~' || v.source.startsWith('~/')) { out.push({ path: at('volumes', i), reason: `bind mount of ${v.source} exposes the agent user's home directory; use a path inside the repository or an absolute path allowed in infra/autoinfra.yml under allow.bind_mounts` }); return; }
    if (v.source === '..' || v.source.startsWith('../')) { out.push({ path: at('volumes', i), reason: `bind mount source ${v.source} leaves the repository checkout; use a path inside it or an absolute path allowed in infra/autoinfra.yml under allow.bind_mounts` }); return; }
    if (!v.source.startsWith('/')) return;
    const src = path.normalize(v.source);
    const sensitive = src === '/' ? '/' : SENSITIVE_PATHS.find((s) => src === s || src.startsWith(s + '/') || s.startsWith(src + '/'));
    if (!sensitive) return;
    const allowed = (allow.bind_mounts ?? []).some((a) => src === path.normalize(a) || src.startsWith(path.normalize(a).replace(/\/$/, '') + '/'));
    if (!allowed) out.push({ path: at('volumes', i), reason: `bind mount of ${src} exposes the host (${sensitive === '/' ? 'the root file system' : sensitive})${hint(`bind_mounts: [${src}]`)}` });
  });
  return out;
}
