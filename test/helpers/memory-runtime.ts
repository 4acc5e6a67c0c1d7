// An in-memory Runtime (agent/runtime/types.ts) for fast unit tests of the deploy steps: containers
// with state, Docker health, exits and crash loops, logs, images, networks, volumes and lifecycle
// events. A real implementation of our interface, not a mock of Docker calls. What a container does
// once started is decided by `behave(spec)` (per test).
import type { BuildRequest, ContainerEvent, ContainerSpec, LiveContainer, PullProgress, RegistryAuth, Runtime } from '../../agent/runtime/types.js';
import { LABEL } from '../../agent/runtime/types.js';

export interface Behaviour {
  /** Docker health once running (default: none, or healthy when the spec has a healthcheck). */
  health?: LiveContainer['health'];
  /** Exits with this code right after start (a job, or a broken app). */
  exitCode?: number;
  /** With a restart policy: exits with `exitCode` and Docker restarts it, again and again. */
  crashLoop?: boolean;
  /** What `logsTail` returns. */
  output?: string;
}

interface Box { c: LiveContainer; spec: ContainerSpec; behaviour: Behaviour }

export class MemoryRuntime implements Runtime {
  readonly calls = { reads: 0, writes: 0 };
  readonly images = new Map<string, string[]>();
  readonly networks = new Set<string>();
  readonly volumes = new Set<string>();
  private readonly objectLabels = new Map<string, Record<string, string>>();
  readonly pulls: string[] = [];
  readonly builds: string[] = [];
  /** Image refs whose pull fails with this message. */
  readonly pullErrors = new Map<string, string>();
  behave: (spec: ContainerSpec) => Behaviour = () => ({});
  private readonly boxes = new Map<string, Box>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private nextId = 1;
  private nextPort = 40_000;

  constructor(images: string[] = []) {
    for (const i of images) this.images.set(i, []);
  }

  async list(env?: string): Promise<LiveContainer[]> {
    this.calls.reads++;
    return [...this.boxes.values()].map((b) => this.view(b)).filter((c) => c.labels[LABEL.env] && (!env || c.env === env));
  }

  async inspect(idOrName: string): Promise<LiveContainer | undefined> {
    this.calls.reads++;
    const b = this.find(idOrName);
    if (!b) return undefined;
    // A crash loop: every look finds it restarted once more (Docker's backoff, compressed).
    if (b.c.state === 'restarting') b.c.restartCount = (b.c.restartCount ?? 0) + 1;
    return this.view(b);
  }

  async imageExists(ref: string): Promise<boolean> {
    return this.images.has(ref);
  }

  async imageInfo(ref: string): Promise<{ id: string; digests: string[] } | undefined> {
    const d = this.images.get(ref);
    return d ? { id: `sha256:${ref}`, digests: d } : undefined;
  }

  async pull(ref: string, _opts?: { auth?: RegistryAuth; onProgress?: (p: PullProgress) => void }): Promise<void> {
    this.calls.writes++;
    const err = this.pullErrors.get(ref);
    if (err) throw new Error(`image ${ref}: pull failed: ${err}`);
    this.pulls.push(ref);
    this.images.set(ref, [`${ref.split(':')[0]}@sha256:${'0'.repeat(64)}`]);
  }

  async build(req: BuildRequest): Promise<void> {
    this.calls.writes++;
    this.builds.push(req.tag);
    this.images.set(req.tag, []);
  }

  async ensureNetwork(name: string, labels: Record<string, string> = {}): Promise<void> {
    this.networks.add(name);
    this.objectLabels.set(`network ${name}`, labels);
  }

  async ensureVolume(name: string, labels: Record<string, string> = {}): Promise<void> {
    this.volumes.add(name);
    this.objectLabels.set(`volume ${name}`, labels);
  }

  async labelledObjects(labels: Record<string, string>): Promise<{ networks: string[]; volumes: string[] }> {
    const has = (kind: string, name: string): boolean => Object.entries(labels).every(([k, v]) => this.objectLabels.get(`${kind} ${name}`)?.[k] === v);
    return { networks: [...this.networks].filter((n) => has('network', n)).sort(), volumes: [...this.volumes].filter((n) => has('volume', n)).sort() };
  }

  async removeNetwork(name: string): Promise<void> {
    this.calls.writes++;
    if ([...this.boxes.values()].some((b) => Object.keys(b.spec.networks ?? {}).includes(name))) throw new Error(`network ${name} has active endpoints`);
    this.networks.delete(name);
    this.objectLabels.delete(`network ${name}`);
  }

  async removeVolume(name: string): Promise<void> {
    this.calls.writes++;
    this.volumes.delete(name);
    this.objectLabels.delete(`volume ${name}`);
  }

  async create(spec: ContainerSpec): Promise<LiveContainer> {
    this.calls.writes++;
    if (this.find(spec.name)) throw new Error(`container name ${spec.name} is already in use`);
    if (!this.images.has(spec.image)) throw new Error(`no such image: ${spec.image}`);
    const labels = spec.labels;
    const colour = labels[LABEL.colour];
    const c: LiveContainer = {
      id: `mem${this.nextId++}`, name: spec.name, labels, env: labels[LABEL.env] ?? '', service: labels[LABEL.service] ?? '',
      colour: colour === 'blue' || colour === 'green' ? colour : undefined, commit: labels[LABEL.commit], hash: labels[LABEL.hash],
      state: 'created', health: 'none', image: spec.image, ports: {}, restartCount: 0,
    };
    this.boxes.set(c.id, { c, spec, behaviour: this.behave(spec) });
    return this.view(this.boxes.get(c.id)!);
  }

  async start(id: string): Promise<void> {
    this.calls.writes++;
    const b = this.must(id);
    const { behaviour: be, spec } = b;
    b.c.ports = Object.fromEntries(spec.loopbackPorts.map((p) => [p, this.nextPort++]));
    b.c.exitCode = undefined;
    if (be.exitCode !== undefined) {
      const restarts = be.crashLoop && spec.restart !== 'no';
      b.c.state = restarts ? 'restarting' : 'exited';
      b.c.exitCode = be.exitCode;
      b.c.ports = {};
      this.fire('die', b);
      return;
    }
    b.c.state = 'running';
    b.c.health = be.health ?? (spec.healthcheck ? 'healthy' : 'none');
  }

  async stop(id: string): Promise<void> {
    this.calls.writes++;
    const b = this.must(id);
    if (b.c.state !== 'running') return;
    b.c.state = 'exited';
    b.c.exitCode = 0;
    b.c.ports = {};
    this.fire('stop', b);
  }

  async remove(id: string): Promise<void> {
    this.calls.writes++;
    const b = this.must(id);
    this.boxes.delete(b.c.id);
    this.fire('destroy', b);
  }

  async exec(): Promise<{ exitCode: number; output: string }> {
    return { exitCode: 0, output: '' };
  }

  async logsTail(id: string, lines: number): Promise<string> {
    const b = this.find(id);
    return (b?.behaviour.output ?? '').split('\n').slice(-lines).join('\n');
  }

  watchEvents(onEvent: (e: ContainerEvent) => void): () => void {
    this.listeners.add(onEvent);
    return () => this.listeners.delete(onEvent);
  }

  /** Outside the agent: a container dies (a crash, `docker kill`). */
  kill(name: string, exitCode = 137): void {
    const b = this.must(name);
    b.c.state = 'exited';
    b.c.exitCode = exitCode;
    b.c.ports = {};
    this.fire('die', b);
  }

  /** Outside the agent: a container is removed by hand. */
  vanish(name: string): void {
    this.boxes.delete(this.must(name).c.id);
  }

  /** Changes what a running container does (it turns unhealthy, say). */
  set(name: string, change: Partial<Pick<LiveContainer, 'health' | 'state' | 'exitCode'>>): void {
    Object.assign(this.must(name).c, change);
  }

  names(): string[] {
    return [...this.boxes.values()].map((b) => b.c.name).sort();
  }

  private view(b: Box): LiveContainer {
    return structuredClone(b.c);
  }

  private find(idOrName: string): Box | undefined {
    return this.boxes.get(idOrName) ?? [...this.boxes.values()].find((b) => b.c.name === idOrName);
  }

  private must(idOrName: string): Box {
    const b = this.find(idOrName);
    if (!b) throw Object.assign(new Error(`no such container: ${idOrName}`), { statusCode: 404 });
    return b;
  }

  private fire(action: string, b: Box): void {
    for (const l of this.listeners) l({ action, id: b.c.id, name: b.c.name, env: b.c.env, service: b.c.service });
  }
}
