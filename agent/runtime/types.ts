// What the reconcile loop knows about containers: our own types, so nothing outside
// agent/runtime/docker.ts sees dockerode's, and pure code (planner) builds plain objects in tests.

export type Colour = 'blue' | 'green';

export const LABEL = {
  env: 'autoinfra.env',
  service: 'autoinfra.service',
  commit: 'autoinfra.commit',
  hash: 'autoinfra.hash',
  colour: 'autoinfra.colour',
  host: 'autoinfra.host',
} as const;

export interface LiveContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  env: string;
  service: string;
  colour?: Colour;
  commit?: string;
  hash?: string;
  state: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  image: string;
  /** container port → 127.0.0.1 host port */
  ports: Record<number, number>;
  /** Exit code of the last run while the container is not running (exited, or restarting after a crash). */
  exitCode?: number;
  /** How many times Docker restarted it under its restart policy (a crash loop counts up). */
  restartCount?: number;
}

export interface Mount {
  type: 'volume' | 'bind' | 'tmpfs';
  source?: string;
  target: string;
  readOnly?: boolean;
}

/** A container to create, fully resolved (names prefixed, labels set). Built by container-spec.ts. */
export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  cmd?: string[];
  entrypoint?: string[];
  /** Container ports published on 127.0.0.1 with an ephemeral host port (routes, http health). */
  loopbackPorts: number[];
  /** Fixed publications from compose `ports:`. */
  publish: { target: number; published?: string; hostIp?: string; protocol: 'tcp' | 'udp' }[];
  mounts: Mount[];
  /** network name → aliases */
  networks: Record<string, string[]>;
  restart?: string;
  user?: string;
  workingDir?: string;
  hostname?: string;
  stopSignal?: string;
  stopTimeoutS?: number;
  healthcheck?: { test: string[]; intervalMs?: number; timeoutMs?: number; retries?: number; startPeriodMs?: number };
  /** Docker HostConfig fields translated from compose options (CapAdd, Tmpfs, Memory, ...). */
  hostConfig: Record<string, unknown>;
}

export interface ContainerEvent { action: string; id: string; name: string; env: string; service: string }

export interface PullProgress { image: string; layersDone: number; layersTotal: number; bytesDone: number; bytesTotal: number }

export interface RegistryAuth { username: string; password: string; serveraddress: string }

export interface BuildRequest {
  tag: string;
  /** Files of the build context, path relative to the context → bytes. */
  context: Map<string, Uint8Array>;
  /** Context files that are executable (git mode 100755); the rest are 0644. */
  executable?: Set<string>;
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
}

/** The Docker engine as the reconcile loop uses it. One implementation: DockerRuntime. */
export interface Runtime {
  /** autoinfra-managed containers (those with an `autoinfra.env` label), optionally of one env. */
  list(env?: string): Promise<LiveContainer[]>;
  inspect(idOrName: string): Promise<LiveContainer | undefined>;
  imageExists(ref: string): Promise<boolean>;
  /** Image id and repo digests of a local image. */
  imageInfo(ref: string): Promise<{ id: string; digests: string[] } | undefined>;
  pull(ref: string, opts?: { auth?: RegistryAuth; onProgress?: (p: PullProgress) => void }): Promise<void>;
  build(req: BuildRequest, onLine?: (line: string) => void): Promise<void>;
  ensureNetwork(name: string, labels: Record<string, string>, opts?: { internal?: boolean }): Promise<void>;
  ensureVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** Names of the networks and volumes carrying all of `labels` (an environment's own objects on this host). */
  labelledObjects(labels: Record<string, string>): Promise<{ networks: string[]; volumes: string[] }>;
  /** Removes a network or a volume; one that is already gone is not an error. */
  removeNetwork(name: string): Promise<void>;
  removeVolume(name: string): Promise<void>;
  create(spec: ContainerSpec): Promise<LiveContainer>;
  start(id: string): Promise<void>;
  stop(id: string, timeoutS?: number): Promise<void>;
  remove(id: string): Promise<void>;
  exec(id: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  logsTail(id: string, lines: number): Promise<string>;
  /**
   * Lifecycle events of autoinfra containers (die, stop, destroy, health changes), as they happen.
   * Returns a function that unsubscribes. The stream reconnects after the engine restarts.
   */
  watchEvents?(onEvent: (e: ContainerEvent) => void): () => void;
  /** Count of Engine API calls made (benchmarks: a no-op reconcile makes 0 writes). */
  readonly calls: { reads: number; writes: number };
}
