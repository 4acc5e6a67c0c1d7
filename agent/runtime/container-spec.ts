// Pure: how a service of a stack becomes a container on this host (names, labels, ports, mounts).
// The one place that knows our naming scheme on the host.
import type { ServiceSpec, Stack } from '../../shared/stack/model.js';
import type { MAPPED_OPTIONS } from '../../shared/compose/service-options.js';
import { LABEL, type Colour, type ContainerSpec } from './types.js';

type MappedOption = (typeof MAPPED_OPTIONS)[number];

export function containerName(env: string, service: string, colour: Colour): string {
  return `ai-${env}-${service}-${colour}`;
}

export function networkName(env: string, network: string): string {
  return `ai-${env}_${network}`;
}

export function volumeName(stack: Stack, volume: string): string {
  const v = stack.volumes[volume];
  if (v?.external) return v.name;
  return `ai-${stack.env}_${volume}`;
}

export function otherColour(c: Colour | undefined): Colour {
  return c === 'blue' ? 'green' : 'blue';
}

/** Container ports that must be reachable on 127.0.0.1: the route port and the http health port. */
export function loopbackPorts(svc: ServiceSpec): number[] {
  const ports = new Set<number>();
  if (svc.x.route) ports.add(svc.x.route.port);
  if (svc.x.health.kind === 'http') {
    const p = svc.x.health.port ?? svc.x.route?.port;
    if (p !== undefined) ports.add(p);
  }
  return [...ports];
}

export interface ContainerSpecInput {
  stack: Stack;
  service: ServiceSpec;
  colour: Colour;
  host: string;
  /** Host paths of materialised compose secrets (secret name → file on the runtime tmpfs). */
  secretFiles?: Record<string, string>;
  /** Host paths of the placed copies of repo paths the service bind-mounts (tree hash → path). */
  repoFiles?: Record<string, string>;
  /** One-shot job: never restarted by Docker. */
  job?: boolean;
}

export function containerSpec({ stack, service: svc, colour, host, secretFiles = {}, repoFiles = {}, job = false }: ContainerSpecInput): ContainerSpec {
  const networks: Record<string, string[]> = {};
  // network_mode (none, or host where policy allows it) replaces the project networks.
  const svcNetworks = svc.extra.network_mode !== undefined ? {} : Object.keys(svc.networks).length ? svc.networks : { default: { aliases: [] } };
  for (const [net, { aliases }] of Object.entries(svcNetworks)) {
    const external = stack.networks[net]?.external;
    networks[external ? stack.networks[net].name : networkName(stack.env, net)] = [svc.name, ...aliases];
  }
  return {
    name: containerName(stack.env, svc.name, colour),
    image: svc.image,
    labels: {
      ...svc.labels,
      [LABEL.env]: stack.env,
      [LABEL.service]: svc.name,
      [LABEL.commit]: stack.commit,
      [LABEL.hash]: svc.hash,
      [LABEL.colour]: colour,
      [LABEL.host]: host,
    },
    env: { ...svc.environment },
    cmd: svc.command,
    entrypoint: svc.entrypoint,
    loopbackPorts: job ? [] : loopbackPorts(svc),
    publish: svc.ports.filter((p) => !(svc.x.route && p.target === svc.x.route.port && !p.published)).map((p) => ({ target: p.target, published: p.published, hostIp: p.host_ip, protocol: p.protocol })),
    mounts: [
      ...svc.volumes.map((v) => ({
        type: v.type,
        source: v.type === 'volume' && v.source ? volumeName(stack, v.source) : v.repoTree ? repoFiles[v.repoTree] : v.source,
        target: v.target,
        readOnly: v.read_only,
      })),
      ...svc.secrets.filter((s) => secretFiles[s.source]).map((s) => ({ type: 'bind' as const, source: secretFiles[s.source], target: s.target, readOnly: true })),
    ],
    networks,
    restart: job ? 'no' : svc.restart,
    user: svc.user,
    workingDir: svc.workingDir,
    hostname: svc.hostname,
    stopSignal: svc.stopSignal,
    stopTimeoutS: svc.stopGracePeriodMs !== undefined ? Math.ceil(svc.stopGracePeriodMs / 1000) : undefined,
    healthcheck: svc.healthcheck && !svc.healthcheck.disable ? svc.healthcheck : undefined,
    hostConfig: hostConfig(svc.extra),
  };
}

/** Whether a service publishes fixed host ports (two colours cannot run at once then). */
export function hasFixedHostPorts(svc: ServiceSpec): boolean {
  return svc.ports.some((p) => p.published !== undefined && p.published !== '' && p.published !== '0');
}

/** Compose service options that map onto Docker's HostConfig: exactly MAPPED_OPTIONS (render refuses
 *  or warns about every other key, so nothing in `extra` is dropped unannounced). */
const HOST_CONFIG: Record<MappedOption, (v: unknown) => Record<string, unknown>> = {
  cap_add: (v) => ({ CapAdd: v }),
  cap_drop: (v) => ({ CapDrop: v }),
  privileged: (v) => ({ Privileged: v }),
  read_only: (v) => ({ ReadonlyRootfs: v }),
  init: (v) => ({ Init: v }),
  tmpfs: (v) => ({ Tmpfs: Object.fromEntries((Array.isArray(v) ? v : [v]).map((t: string) => { const [p, o] = String(t).split(':'); return [p, o ?? '']; })) }),
  extra_hosts: (v) => ({ ExtraHosts: Array.isArray(v) ? v : Object.entries(v as Record<string, string>).map(([h, ip]) => `${h}:${ip}`) }),
  dns: (v) => ({ Dns: Array.isArray(v) ? v : [v] }),
  security_opt: (v) => ({ SecurityOpt: v }),
  sysctls: (v) => ({ Sysctls: Array.isArray(v) ? Object.fromEntries(v.map((s: string) => s.split('='))) : v }),
  pids_limit: (v) => ({ PidsLimit: v }),
  shm_size: (v) => ({ ShmSize: bytes(v) }),
  mem_limit: (v) => ({ Memory: bytes(v) }),
  mem_reservation: (v) => ({ MemoryReservation: bytes(v) }),
  cpus: (v) => ({ NanoCpus: Math.round(Number(v) * 1e9) }),
  ulimits: (v) => ({ Ulimits: Object.entries(v as Record<string, number | { soft: number; hard: number }>).map(([Name, l]) => (typeof l === 'number' ? { Name, Soft: l, Hard: l } : { Name, Soft: l.soft, Hard: l.hard })) }),
  dns_opt: (v) => ({ DnsOptions: v }),
  dns_search: (v) => ({ DnsSearch: Array.isArray(v) ? v : [v] }),
  memswap_limit: (v) => ({ MemorySwap: Number(v) === -1 ? -1 : bytes(v) }),
  mem_swappiness: (v) => ({ MemorySwappiness: v }),
  cpu_shares: (v) => ({ CpuShares: Number(v) }),
  cpu_quota: (v) => ({ CpuQuota: Number(v) }),
  cpu_period: (v) => ({ CpuPeriod: Number(v) }),
  cpuset: (v) => ({ CpusetCpus: String(v) }),
  oom_score_adj: (v) => ({ OomScoreAdj: v }),
  group_add: (v) => ({ GroupAdd: (v as unknown[]).map(String) }),
  devices: (v) => ({ Devices: (v as unknown[]).map(device) }),
  network_mode: (v) => ({ NetworkMode: v }),
  pid: (v) => (v === null ? {} : { PidMode: v }),
  ipc: (v) => ({ IpcMode: v }),
  uts: (v) => ({ UTSMode: v }),
  userns_mode: (v) => ({ UsernsMode: v }),
  cgroup: (v) => ({ CgroupnsMode: v }),
  logging: (v) => ({ LogConfig: { Type: (v as { driver?: string }).driver ?? 'json-file', Config: (v as { options?: Record<string, string> }).options ?? {} } }),
};

export function hostConfig(extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(extra)) if (k in HOST_CONFIG && v !== undefined) Object.assign(out, HOST_CONFIG[k as MappedOption](v));
  return out;
}

/** `/dev/x[:/dev/y[:rwm]]` or `{source, target, permissions}` → Docker's device mapping. */
function device(d: unknown): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  if (typeof d === 'object' && d !== null) {
    const o = d as { source?: string; target?: string; permissions?: string };
    return { PathOnHost: String(o.source), PathInContainer: String(o.target ?? o.source), CgroupPermissions: o.permissions ?? 'rwm' };
  }
  const [host, container, perms] = String(d).split(':');
  return { PathOnHost: host, PathInContainer: container ?? host, CgroupPermissions: perms ?? 'rwm' };
}

function bytes(v: unknown): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(String(v).trim());
  if (!m) return 0;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}
