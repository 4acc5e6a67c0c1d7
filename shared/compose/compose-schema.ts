// The subset of the Compose Specification's JSON schema that autoinfra accepts, written as data.
// Unknown keys are errors (with "did you mean"); `x-*` keys are allowed everywhere the spec allows
// them. Types follow the spec; values that came from interpolation are coerced (`"8080"` → 8080)
// before validation, as compose-go does.
import { duration as durationSchema } from './duration-schema.js';
import type { JsonSchema } from '../schema.js';
import { xAutoinfraServiceSchema, xAutoinfraTopSchema, xAutoinfraVolumeSchema } from './x-autoinfra-schema.js';

const str = { type: 'string' };
const strOrNum = { type: ['string', 'number'] };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
const num = { type: 'number' };
const strList = { type: 'array', items: str };
const stringOrList = { anyOf: [str, strList] };
const commandSchema = { description: 'a command as a string or a list of strings', anyOf: [{ type: 'null' }, str, strList] };
const listOrDict = {
  description: 'a mapping of KEY: value or a list of KEY=value',
  anyOf: [
    { type: 'object', patternProperties: { '.+': { type: ['string', 'number', 'boolean', 'null'] } }, additionalProperties: false },
    { type: 'array', items: str, uniqueItems: true },
  ],
};
const xKeys = { '^x-': {} };
const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): JsonSchema => ({
  type: 'object', properties, patternProperties: xKeys, additionalProperties: false, ...extra,
});
const looseObject = { type: 'object' };

const build = {
  anyOf: [str, obj({
    context: str, dockerfile: str, dockerfile_inline: str, args: listOrDict, ssh: { anyOf: [listOrDict, strList] },
    labels: listOrDict, cache_from: strList, cache_to: strList, no_cache: bool, additional_contexts: listOrDict,
    network: str, pull: bool, target: str, shm_size: strOrNum, extra_hosts: listOrDict, isolation: str,
    privileged: bool, secrets: { type: 'array' }, tags: strList, ulimits: looseObject, platforms: strList, entitlements: strList,
  })],
};

const port = {
  description: 'a port as "[[host_ip:]published:]target[/protocol]", a number, or a mapping {target, published, host_ip, protocol, mode}',
  anyOf: [num, { type: 'string', description: '"[[host_ip:]published:]target[/protocol]", e.g. "8080:80" or "127.0.0.1:53:53/udp"', pattern: '^(\\[?[0-9a-fA-F.:]*\\]?:)?([0-9]+(-[0-9]+)?:)?[0-9]+(-[0-9]+)?(/(tcp|udp|sctp))?$' }, obj({
    name: str, mode: str, host_ip: str, target: int, published: strOrNum, protocol: str, app_protocol: str,
  }, { required: ['target'] })],
};

const serviceVolume = {
  description: 'a volume as "source:target[:mode]" or a mapping {type, source, target, read_only, ...}',
  anyOf: [str, obj({
    type: { enum: ['bind', 'volume', 'tmpfs', 'cluster', 'npipe', 'image'] }, source: str, target: str, read_only: bool, consistency: str,
    bind: obj({ propagation: str, create_host_path: bool, selinux: { enum: ['z', 'Z'] } }),
    volume: obj({ nocopy: bool, subpath: str }), tmpfs: obj({ size: strOrNum, mode: num }), image: obj({ subpath: str }),
  }, { required: ['type'] })],
};

const fileRef = { anyOf: [str, obj({ source: str, target: str, uid: str, gid: str, mode: num })] };

const healthcheck = obj({
  disable: bool, interval: durationSchema, retries: num, test: { anyOf: [str, strList] }, timeout: durationSchema,
  start_period: durationSchema, start_interval: durationSchema,
});

const dependsOn = {
  anyOf: [strList, {
    type: 'object', additionalProperties: obj({
      condition: { enum: ['service_started', 'service_healthy', 'service_completed_successfully'] }, restart: bool, required: bool,
    }),
  }],
};

const serviceNetworks = {
  anyOf: [strList, {
    type: 'object', additionalProperties: {
      anyOf: [{ type: 'null' }, obj({
        aliases: strList, ipv4_address: str, ipv6_address: str, link_local_ips: strList, mac_address: str,
        driver_opts: looseObject, priority: num, gw_priority: num, interface_name: str,
      })],
    },
  }],
};

export const serviceSchema = obj({
  annotations: listOrDict, attach: bool, build, blkio_config: looseObject, cap_add: strList, cap_drop: strList,
  cgroup: { enum: ['host', 'private'] }, cgroup_parent: str, command: commandSchema, configs: { type: 'array', items: fileRef },
  container_name: str, cpu_count: num, cpu_percent: num, cpu_shares: strOrNum, cpu_quota: strOrNum, cpu_period: strOrNum,
  cpu_rt_period: strOrNum, cpu_rt_runtime: strOrNum, cpus: strOrNum, cpuset: str, credential_spec: looseObject,
  depends_on: dependsOn, deploy: looseObject, develop: looseObject, device_cgroup_rules: strList, devices: { type: 'array' },
  dns: stringOrList, dns_opt: strList, dns_search: stringOrList, domainname: str, entrypoint: commandSchema,
  env_file: { anyOf: [str, { type: 'array', items: { anyOf: [str, obj({ path: str, required: bool, format: str }, { required: ['path'] })] } }] },
  label_file: stringOrList, environment: listOrDict, expose: { type: 'array', items: strOrNum },
  extends: { anyOf: [str, obj({ service: str, file: str }, { required: ['service'] })] },
  external_links: strList, extra_hosts: listOrDict, gpus: {}, group_add: { type: 'array', items: strOrNum },
  healthcheck, hostname: str, image: str, init: bool, ipc: str, isolation: str, labels: listOrDict, links: strList,
  logging: obj({ driver: str, options: { type: 'object', additionalProperties: { type: ['string', 'number', 'null'] } } }),
  mac_address: str, mem_limit: strOrNum, mem_reservation: strOrNum, mem_swappiness: int, memswap_limit: strOrNum,
  network_mode: str, networks: serviceNetworks, oom_kill_disable: bool, oom_score_adj: int, pid: { type: ['string', 'null'] },
  pids_limit: strOrNum, platform: str, ports: { type: 'array', items: port }, post_start: { type: 'array' }, pre_stop: { type: 'array' },
  privileged: bool, profiles: strList, pull_policy: { enum: ['always', 'never', 'if_not_present', 'missing', 'build', 'daily', 'weekly'] },
  read_only: bool, restart: { type: 'string', pattern: '^(no|always|on-failure(:[0-9]+)?|unless-stopped)$', description: 'no, always, on-failure[:N] or unless-stopped' },
  runtime: str, scale: int, security_opt: strList, shm_size: strOrNum, secrets: { type: 'array', items: fileRef },
  sysctls: listOrDict, stdin_open: bool, stop_grace_period: durationSchema, stop_signal: str, storage_opt: looseObject,
  tmpfs: stringOrList, tty: bool, ulimits: { type: 'object', additionalProperties: { anyOf: [int, obj({ hard: int, soft: int }, { required: ['soft', 'hard'] })] } },
  user: str, uts: str, userns_mode: str, volumes: { type: 'array', items: serviceVolume }, volumes_from: strList, working_dir: str,
  'x-autoinfra': xAutoinfraServiceSchema,
});

const external = { anyOf: [bool, obj({ name: str })] };

/** Compose's own rule for the keys of services, networks, volumes, secrets and configs. Names end
 *  up in container, network and volume names on the host, so nothing else is accepted. */
export const NAME_PATTERN = '^[a-zA-Z0-9._-]+$';
const named = (item: unknown): JsonSchema => ({ type: 'object', patternProperties: { [NAME_PATTERN]: item }, additionalProperties: false });

export const composeSchema: JsonSchema = obj({
  version: { type: 'string', description: 'obsolete; ignored' },
  name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'lower-case letters, digits, - and _' },
  services: named({ anyOf: [serviceSchema, { type: 'null' }] }),
  networks: named({ anyOf: [{ type: 'null' }, obj({
    name: str, driver: str, driver_opts: looseObject, ipam: looseObject, external, internal: bool, enable_ipv4: bool, enable_ipv6: bool,
    attachable: bool, labels: listOrDict,
  })] }),
  volumes: named({ anyOf: [{ type: 'null' }, obj({
    name: str, driver: str, driver_opts: looseObject, external, labels: listOrDict, 'x-autoinfra': xAutoinfraVolumeSchema,
  })] }),
  secrets: named(obj({ name: str, file: str, environment: str, content: str, external, labels: listOrDict, driver: str, driver_opts: looseObject, template_driver: str })),
  configs: named(obj({ name: str, file: str, environment: str, content: str, external, labels: listOrDict, template_driver: str })),
  'x-autoinfra': xAutoinfraTopSchema,
});
