// Which compose service keys autoinfra carries out, and what happens to the rest. Every key the
// schema accepts is in exactly one list here (a test checks it against the schema and against the
// runtime's mapping): a key the runtime would silently drop is refused, or, where dropping it
// changes nothing that matters on one host, accepted with a warning that names it.
import type { KeyPath } from '../yaml/located.js';

/** Keys the Stack models itself (shared/compose/service-spec.ts) or render/merge consume. */
export const MODELLED_OPTIONS = ['image', 'build', 'pull_policy', 'command', 'entrypoint', 'environment', 'env_file', 'labels', 'ports', 'volumes', 'secrets',
  'healthcheck', 'depends_on', 'networks', 'restart', 'user', 'working_dir', 'hostname', 'stop_grace_period', 'stop_signal', 'extends', 'profiles', 'x-autoinfra'] as const;

/** Keys agent/runtime/container-spec.ts maps onto Docker's HostConfig (hostile.ts polices the dangerous ones). */
export const MAPPED_OPTIONS = ['cap_add', 'cap_drop', 'privileged', 'read_only', 'init', 'tmpfs', 'extra_hosts', 'dns', 'dns_opt', 'dns_search', 'security_opt',
  'sysctls', 'pids_limit', 'shm_size', 'mem_limit', 'mem_reservation', 'memswap_limit', 'mem_swappiness', 'cpus', 'cpu_shares', 'cpu_quota', 'cpu_period',
  'cpuset', 'oom_score_adj', 'group_add', 'ulimits', 'logging', 'devices', 'network_mode', 'pid', 'ipc', 'uts', 'userns_mode', 'cgroup'] as const;

/** Accepted and not carried out, with the warning that says so: nothing a commit could use against the host. */
export const IGNORED_OPTIONS: Record<string, string> = {
  container_name: 'autoinfra names containers itself (ai-<env>-<service>-<colour>)',
  expose: 'services on a network reach every port of each other anyway',
  links: 'services reach each other by service name on their networks',
  attach: 'the agent does not attach to container output',
  develop: 'watch mode is for `docker compose watch` on a workstation',
  tty: 'containers run without a terminal',
  stdin_open: 'containers run without stdin',
  deploy: 'swarm settings do not apply; set mem_limit, cpus and pids_limit on the service',
};

/** Accepted by compose, refused here: the container would run without them (or they reach outside it). */
export const REFUSED_OPTIONS: Record<string, string> = {
  volumes_from: "it shares another container's mounts, which may belong to another environment",
  device_cgroup_rules: 'it opens host devices to the container',
  runtime: 'another OCI runtime changes the sandbox',
  cgroup_parent: 'it places the container in a host cgroup outside Docker\'s',
  gpus: 'it opens host devices to the container',
  storage_opt: 'storage driver options are host settings',
  blkio_config: 'block I/O limits are not carried out',
  cpu_count: 'it applies to Windows containers only', cpu_percent: 'it applies to Windows containers only',
  cpu_rt_period: 'real-time scheduling is not carried out', cpu_rt_runtime: 'real-time scheduling is not carried out',
  oom_kill_disable: 'a container the OOM killer cannot stop can take the host down',
  credential_spec: 'it applies to Windows containers only', isolation: 'it applies to Windows containers only',
  configs: 'configs are not carried out; use a read-only bind mount of a file under infra/ or a secret',
  annotations: 'OCI annotations are not carried out', label_file: 'label files are not read; write labels: instead',
  external_links: 'it links to containers outside the project, which may belong to another environment',
  domainname: 'it is not carried out', mac_address: 'it is not carried out', platform: 'it is not carried out: pull or build the image for this host',
  post_start: 'lifecycle hooks are not carried out', pre_stop: 'lifecycle hooks are not carried out',
  scale: 'each service runs one container per colour',
};

export interface OptionFindings { problems: { path: KeyPath; reason: string }[]; warnings: string[] }

const known = new Set<string>([...MODELLED_OPTIONS, ...MAPPED_OPTIONS]);

/** Refusals and warnings for the keys of one service that autoinfra does not carry out. */
export function unsupportedOptions(name: string, svc: Record<string, unknown>): OptionFindings {
  const out: OptionFindings = { problems: [], warnings: [] };
  for (const [key, v] of Object.entries(svc)) {
    if (v === undefined || known.has(key) || key.startsWith('x-')) continue;
    if (IGNORED_OPTIONS[key]) out.warnings.push(`services.${name}.${key} is ignored: ${IGNORED_OPTIONS[key]}`);
    else out.problems.push({ path: ['services', name, key], reason: `${key} is not supported by autoinfra: ${REFUSED_OPTIONS[key] ?? 'it is not carried out'}` });
  }
  return out;
}
