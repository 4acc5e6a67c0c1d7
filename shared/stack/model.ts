// The stack: the merged, interpolated, validated compose model of one environment at one commit,
// normalised to plain data, with a content hash per service. This is the contract between
// render (shared/compose) and reconcile (agent/planner, agent/executor, agent/runtime).
// Fields may be added; existing ones keep their meaning.

export type Strategy = 'bluegreen' | 'recreate' | 'start-first';

export interface HealthSpec {
  /** http: GET path on the container port via its published 127.0.0.1 port; command: run in the
   *  container; docker: wait for the compose healthcheck's Docker health status; none: running = healthy. */
  kind: 'http' | 'command' | 'docker' | 'none';
  path?: string;
  /** Container port probed by `http` (defaults to the route port). */
  port?: number;
  command?: string[];
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive successes needed. */
  successes: number;
  /** Failures during this period after start do not count. */
  startPeriodMs: number;
  /** The whole gate must pass within this long. */
  deadlineMs: number;
}

export interface RouteSpec {
  hosts: string[];
  /** Container port the edge sends traffic to. */
  port: number;
  pathPrefix?: string;
}

export interface MirrorSpec {
  enabled: boolean;
  methods: string[];
  /** 0..1 */
  sampleRate: number;
}

/** Our extension, per service (`x-autoinfra:`), with defaults applied. */
export interface ServiceExtension {
  route?: RouteSpec;
  health: HealthSpec;
  strategy: Strategy;
  /** Host names this service runs on; undefined = every host. */
  hosts?: string[];
  mirror?: MirrorSpec;
  /** Seconds an old colour keeps serving in-flight requests after a switch. */
  drainMs: number;
}

export interface PortSpec { target: number; published?: string; host_ip?: string; protocol: 'tcp' | 'udp' }

export interface VolumeMount {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name as written in compose (un-prefixed), or host path for bind. */
  source?: string;
  target: string;
  read_only?: boolean;
  /** For a bind of a repo path: the hash of that path's files at the commit (key in `Stack.repoTrees`). */
  repoTree?: string;
}

/** A repo path's files at one commit, bind-mounted read-only from a copy the agent places on the host. */
export interface RepoTree {
  /** Repo path as mounted (`infra/conf`). */
  source: string;
  kind: 'file' | 'dir';
  /** Path relative to `source` → bytes ('' for a single file). */
  files: Record<string, Uint8Array>;
  /** sha256 over kind, relative paths and bytes. */
  hash: string;
}

export interface SecretMount {
  /** Name in the top-level `secrets:`. */
  source: string;
  /** Path inside the container (default /run/secrets/<source>). */
  target: string;
  mode?: number;
}

export interface BuildSpec {
  /** Directory relative to the repository root (compose contexts are relative to infra/). */
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
}

export interface ServiceSpec {
  name: string;
  /** Image reference. For a service with `build` and no image, the agent's own tag. */
  image: string;
  build?: BuildSpec;
  pullPolicy: 'always' | 'missing' | 'never' | 'build';
  command?: string[];
  entrypoint?: string[];
  /** Final environment (env_file entries, decrypted secrets included, then `environment:`). */
  environment: Record<string, string>;
  /** Names in `environment` whose values came from encrypted files: never printed or logged. */
  secretEnvironment: string[];
  labels: Record<string, string>;
  ports: PortSpec[];
  volumes: VolumeMount[];
  secrets: SecretMount[];
  /** Compose healthcheck, normalised (durations in ms). */
  healthcheck?: { test: string[]; intervalMs?: number; timeoutMs?: number; retries?: number; startPeriodMs?: number; disable?: boolean };
  dependsOn: Record<string, { condition: 'service_started' | 'service_healthy' | 'service_completed_successfully'; restart?: boolean; required?: boolean }>;
  /** Network names (un-prefixed) → aliases. */
  networks: Record<string, { aliases: string[] }>;
  restart?: string;
  user?: string;
  workingDir?: string;
  hostname?: string;
  stopGracePeriodMs?: number;
  stopSignal?: string;
  /** Anything else compose allows that maps 1:1 to container settings (cap_add, tmpfs, ulimits, ...). */
  extra: Record<string, unknown>;
  x: ServiceExtension;
  /** sha256 over the normalised definition + image reference + secret content hashes
   *  (+ the registry digest of the tag, for `pull_policy: always`). */
  hash: string;
  /** For `pull_policy: always`: the digest the tag pointed at when the commit was deployed. */
  remoteDigest?: string;
}

export interface VolumeSpec { name: string; external: boolean; driver?: string; labels: Record<string, string>; seed?: 'production' }
export interface NetworkSpec { name: string; external: boolean; internal: boolean; labels: Record<string, string> }
export interface SecretSpec {
  name: string;
  /** Decrypted bytes, in memory only. Never logged, never written except to the runtime tmpfs. */
  content: Uint8Array;
  /** sha256 of the content (safe to show). */
  hash: string;
}

export interface Stack {
  /** Environment: `production`, `master`, `preview-<slug>`. */
  env: string;
  branch: string;
  commit: string;
  /** Compose project name (= env; used as prefix for networks and volumes). */
  project: string;
  services: Record<string, ServiceSpec>;
  volumes: Record<string, VolumeSpec>;
  networks: Record<string, NetworkSpec>;
  secrets: Record<string, SecretSpec>;
  /** Repo paths bind-mounted by services, by content hash (absent when none). */
  repoTrees?: Record<string, RepoTree>;
  /** Registry host → credentials from the repo's encrypted infra/secrets/registries.* (in memory only). */
  registries?: Record<string, { username: string; password: string }>;
  /** Non-fatal notes from rendering (e.g. `The "X" variable is not set. Defaulting to a blank string.`); never secret values. */
  warnings?: string[];
}
