// Carries one environment from its live commit to a new one: pre-flight → start new → gate →
// switch → watch → drain. Forward-only: any failure leaves the environment entirely on its last
// live commit and records the new commit as failed. Persists a journal before every step so a
// restart after kill -9 converges (recover()).
import type { Stack, ServiceSpec } from '../../shared/stack/model.js';
import { AutoinfraError, describeError } from '../../shared/errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { healthGate, type HealthResult } from '../health/gate.js';
import { findDrift, isJob, plan, type Plan, type PlannedAction } from '../planner.js';
import { containerSpec, containerName, networkName, volumeName } from '../runtime/container-spec.js';
import { LABEL, type Colour, type LiveContainer, type Runtime } from '../runtime/types.js';
import type { RouteBook, RouteEntry } from '../routing.js';
import type { EnvState, LiveService } from '../state/env-state.js';
import { isFailed, withFailure } from '../state/env-state.js';
import type { StateStore } from '../state/store.js';
import { HealthGateError, PreflightError, WatchRevertError } from './errors.js';
import type { Recorder } from './recorder.js';
import type { SecretFiles } from './secret-files.js';
import { authFor, mergeCredentials, type RegistryCredentials } from '../registry/credentials.js';
import { parseImageRef, repoDigestOf } from '../registry/image-ref.js';
import { remoteDigest } from '../registry/remote-digest.js';
import { createHash } from 'node:crypto';

export interface ExecutorOptions {
  /** After a switch, watch the new colour this long before draining the old (default 120 s). */
  watchMs: number;
  watchPollMs: number;
  /** Revert when 5xx + connection errors reach this share of requests … */
  errorRate: number;
  /** … and at least this many errors. */
  minErrors: number;
  /** A crashed attempt at one commit is retried this many times before the commit is failed. */
  maxCrashAttempts: number;
  stopTimeoutS: number;
  /** Drift repair rate limit: at most this many repairs of one container per window. */
  maxRepairsPerWindow: number;
  repairWindowMs: number;
}

export const defaultExecutorOptions: Readonly<ExecutorOptions> = Object.freeze({
  watchMs: 120_000,
  watchPollMs: 250,
  errorRate: 0.05,
  minErrors: 10,
  maxCrashAttempts: 3,
  stopTimeoutS: 10,
  maxRepairsPerWindow: 5,
  repairWindowMs: 300_000,
});

export interface ExecutorDeps {
  runtime: Runtime;
  routes: RouteBook;
  recorder: Recorder;
  store: StateStore;
  clock: Clock;
  logger: Logger;
  host: string;
  /** Registry credentials from the agent's own file (the repo's, in the stack, win per registry). */
  registryCredentials?: RegistryCredentials;
  /** Compose secrets are materialised here (on a tmpfs) for bind mounts. */
  secretFiles?: SecretFiles;
  /** Files of the repo at the stack's commit under a prefix (build contexts). */
  readTree?: (commit: string, prefix: string) => Promise<Map<string, Uint8Array>>;
  options?: Partial<ExecutorOptions>;
}

export type DeployOutcome =
  | { result: 'live'; commit: string; plan: Plan; stack: Stack }
  | { result: 'unchanged'; commit: string; plan: Plan; stack: Stack }
  | { result: 'failed'; commit: string; reason: string; error: AutoinfraError | Error }
  | { result: 'skipped'; commit: string; reason: string };

interface Started { service: ServiceSpec; action: PlannedAction; container: LiveContainer; old?: LiveService }

export class Executor {
  private readonly opts: ExecutorOptions;
  constructor(private readonly deps: ExecutorDeps) {
    this.opts = { ...defaultExecutorOptions, ...deps.options };
  }

  private get log(): Logger { return this.deps.logger; }

  /** Deploys `stack` onto its environment. Never throws for a bad commit: returns `failed`. */
  async deploy(stack: Stack): Promise<DeployOutcome> {
    const { store, recorder } = this.deps;
    let state = await store.load(stack.env, stack.branch);
    const failedBefore = isFailed(state, stack.commit);
    if (failedBefore) return { result: 'skipped', commit: stack.commit, reason: `commit failed before: ${failedBefore.reason}` };

    const env = stack.env;
    const commit = stack.commit;
    // `pull_policy: always`: what the tag points at now is part of the service's identity, so a
    // moved tag redeploys and an unchanged one does not.
    try {
      stack = await this.withRemoteDigests(stack);
    } catch (e) {
      return this.fail(state, commit, e, 'preflight');
    }
    let p: Plan;
    const live = await this.deps.runtime.list(env); // the engine down is no fault of the commit: throws, retried
    try {
      p = plan(stack, live, state);
    } catch (e) {
      return this.fail(state, commit, e, 'plan');
    }
    // 1. Pre-flight: the images of what will start are present (pull/build); nothing live is touched.
    try {
      const starting = new Set(p.actions.filter((a) => a.action === 'create' || a.action === 'replace').map((a) => a.service));
      await this.preflight(stack, starting);
      await recorder.record({ env, commit, action: 'preflight', result: 'ok', detail: { services: [...starting] } });
    } catch (e) {
      return this.fail(state, commit, e, 'preflight');
    }
    if (!p.changes) {
      state = { ...state, live: { commit, since: state.live?.since ?? this.nowIso(), services: state.live?.services ?? {} } };
      await store.save(state);
      await recorder.record({ env, commit, action: 'live', result: 'ok', detail: { unchanged: true } });
      return { result: 'unchanged', commit, plan: p, stack };
    }

    // 2. Journal, networks, volumes.
    state = { ...state, operation: { commit, phase: 'starting', attempts: state.operation?.commit === commit ? state.operation.attempts : 0, startedAt: this.nowIso() } };
    await store.save(state);
    for (const o of p.orphans) await this.removeContainer(env, commit, o, 'orphan');
    await this.ensureNetworksAndVolumes(stack);

    // 3. Start the new containers in dependency order; each passes its gate before the next.
    const started: Started[] = [];
    try {
      for (const action of p.actions) {
        if (action.action !== 'create' && action.action !== 'replace') continue;
        const service = stack.services[action.service];
        const old = state.live?.services[action.service];
        if (action.strategy === 'recreate' && old) await this.deps.runtime.stop(old.container, this.opts.stopTimeoutS);
        const container = await this.startNew(stack, service, action.toColour!);
        started.push({ service, action, container, old });
        await this.gate(env, commit, service, container, action.toColour!, isJob(stack, service.name));
      }
    } catch (e) {
      // The engine went away mid-way: not the commit's fault. The journal stays; a retry or the
      // next start converges (orphans go) and deploys the commit again.
      if (isEngineUnreachable(e)) throw e;
      await this.undoStarted(stack, state, started);
      return this.fail(state, commit, e, 'start');
    }

    // 4. Switch: the new set becomes live in one route-table apply.
    const previous = state.live;
    const services: Record<string, LiveService> = {};
    for (const a of p.actions) {
      if (a.action === 'keep') services[a.service] = previous!.services[a.service];
    }
    for (const s of started) {
      const info = await this.deps.runtime.imageInfo(s.service.image).catch(() => undefined);
      services[s.service.name] = { colour: s.action.toColour!, hash: s.service.hash, container: s.container.name, image: s.service.image, digest: info && repoDigestOf(s.service.image, info.digests), ...(isJob(stack, s.service.name) ? { job: true } : {}) };
    }
    const newLive = { commit, since: this.nowIso(), services };
    try {
      await this.publishRoutes(stack, newLive, previous);
    } catch (e) {
      await this.undoStarted(stack, state, started);
      await this.publishRoutes(stack, previous, undefined).catch(() => undefined);
      return this.fail(state, commit, e, 'switch');
    }
    state = { ...state, live: newLive, operation: { ...state.operation!, phase: 'watching', previous } };
    await store.save(state);
    await recorder.record({ env, commit, action: 'switch', result: 'ok', detail: { services: started.map((s) => ({ service: s.service.name, colour: s.action.toColour, container: s.container.name })) } });

    // 5. Watch the new colour; errors send traffic back to the previous one (still running).
    const problem = await this.watch(stack, started);
    if (problem) {
      await recorder.record({ env, commit, action: 'watch-revert', result: 'failed', detail: { service: problem.service, reason: problem.reason } });
      await this.publishRoutes(stack, previous, undefined).catch((e) => this.log.error(`route revert failed: ${describeError(e)}`, { env }));
      const reverted = { ...state, live: previous };
      await this.undoStarted(stack, reverted, started);
      return this.fail(reverted, commit, new WatchRevertError(problem.service, problem.reason), 'watch');
    }

    // 6. Drain and remove what the new commit replaced or dropped.
    state = { ...state, operation: { ...state.operation!, phase: 'draining' } };
    await store.save(state);
    await this.publishRoutes(stack, newLive, undefined);
    await this.drainAndRemove(stack, started, p, previous);
    await this.deps.secretFiles?.prune(stack).catch((e) => this.log.warn(`secret files not pruned: ${describeError(e)}`));
    state = { ...state, operation: undefined };
    await store.save(state);
    await recorder.record({ env, commit, action: 'live', result: 'ok', detail: { services: Object.fromEntries(Object.entries(services).map(([k, v]) => [k, { colour: v.colour, image: v.image, digest: v.digest }])) } });
    this.log.info(`${env} is live at ${commit.slice(0, 12)}`, { env, commit });
    return { result: 'live', commit, plan: p, stack };
  }

  private credentials(stack: Stack): RegistryCredentials {
    return mergeCredentials(this.deps.registryCredentials, new Map(Object.entries(stack.registries ?? {})));
  }

  private async withRemoteDigests(stack: Stack): Promise<Stack> {
    const always = Object.values(stack.services).filter((s) => s.pullPolicy === 'always' && !s.build);
    if (!always.length) return stack;
    const creds = this.credentials(stack);
    const services = { ...stack.services };
    for (const svc of always) {
      const digest = await remoteDigest(svc.image, creds.get(parseImageRef(svc.image).registry)).catch((e) => { throw new PreflightError(svc.name, describeError(e), { image: svc.image }); });
      services[svc.name] = { ...svc, remoteDigest: digest, hash: createHash('sha256').update(`${svc.hash}\n${digest}`).digest('hex') };
    }
    return { ...stack, services };
  }

  /** Makes the images of `services` (default: all) present; throws PreflightError naming the service. */
  async preflight(stack: Stack, services?: Set<string>): Promise<void> {
    const { runtime } = this.deps;
    for (const svc of Object.values(stack.services)) {
      if (services && !services.has(svc.name)) continue;
      if (svc.build && (svc.pullPolicy === 'build' || !(await runtime.imageExists(svc.image)))) {
        if (!this.deps.readTree) throw new PreflightError(svc.name, 'build requested but no repository reader is configured');
        const prefix = svc.build.context.replace(/\/?$/, '/').replace(/^\.\//, '');
        const context = new Map<string, Uint8Array>();
        for (const [file, data] of await this.deps.readTree(stack.commit, prefix === '/' ? '' : prefix)) context.set(prefix === '/' ? file : file.slice(prefix.length), data);
        if (!context.has(svc.build.dockerfile)) throw new PreflightError(svc.name, `Dockerfile ${svc.build.dockerfile} not found in build context ${svc.build.context}`);
        const lines: string[] = [];
        try {
          await runtime.build({ tag: svc.image, context, dockerfile: svc.build.dockerfile, args: svc.build.args, target: svc.build.target, labels: { [LABEL.env]: stack.env, [LABEL.service]: svc.name, [LABEL.commit]: stack.commit } }, (l) => { lines.push(l); if (lines.length > 20) lines.shift(); });
        } catch (e) {
          throw new PreflightError(svc.name, `${describeError(e)}${lines.length ? ` (last build output: ${lines.slice(-3).join(' | ')})` : ''}`, { image: svc.image });
        }
        await this.deps.recorder.record({ env: stack.env, commit: stack.commit, action: 'build', result: 'ok', detail: { service: svc.name, image: svc.image } });
        continue;
      }
      const local = await runtime.imageInfo(svc.image);
      if (svc.pullPolicy === 'never') {
        if (!local) throw new PreflightError(svc.name, `image ${svc.image} is not on this host and pull_policy is never`, { image: svc.image });
        continue;
      }
      const ref = parseImageRef(svc.image);
      if (local && svc.pullPolicy !== 'always') continue;
      if (local && svc.remoteDigest && local.digests.some((d) => d.endsWith(`@${svc.remoteDigest}`))) continue; // tag unchanged: no pull
      let lastLog = 0;
      try {
        await runtime.pull(svc.image, {
          auth: authFor(this.credentials(stack), ref.registry),
          onProgress: (p) => {
            const now = this.deps.clock.now();
            if (now - lastLog < 2000) return;
            lastLog = now;
            this.log.info(`pulling ${p.image}: ${p.layersDone}/${p.layersTotal} layers, ${(p.bytesDone / 1e6).toFixed(1)}/${(p.bytesTotal / 1e6).toFixed(1)} MB`, { env: stack.env });
          },
        });
      } catch (e) {
        throw new PreflightError(svc.name, `pull of ${svc.image} from registry ${ref.registry} failed: ${pullFailure(describeError(e))}`, { image: svc.image, registry: ref.registry });
      }
      const info = await runtime.imageInfo(svc.image);
      await this.deps.recorder.record({ env: stack.env, commit: stack.commit, action: 'pull', result: 'ok', detail: { service: svc.name, image: svc.image, digest: info && repoDigestOf(svc.image, info.digests) } });
    }
  }

  private async ensureNetworksAndVolumes(stack: Stack): Promise<void> {
    const labels = { [LABEL.env]: stack.env, [LABEL.host]: this.deps.host };
    const nets = new Set<string>();
    for (const svc of Object.values(stack.services)) {
      const names = Object.keys(svc.networks).length ? Object.keys(svc.networks) : ['default'];
      for (const n of names) if (!stack.networks[n]?.external) nets.add(n);
    }
    for (const n of nets) await this.deps.runtime.ensureNetwork(networkName(stack.env, n), labels, { internal: stack.networks[n]?.internal });
    for (const [name, v] of Object.entries(stack.volumes)) if (!v.external) await this.deps.runtime.ensureVolume(volumeName(stack, name), labels);
  }

  private async startNew(stack: Stack, service: ServiceSpec, colour: Colour): Promise<LiveContainer> {
    const { runtime, recorder } = this.deps;
    // A container of that name left by an interrupted attempt is not live (the planner checked): replace it.
    const stale = await runtime.inspect(containerName(stack.env, service.name, colour));
    if (stale) await runtime.remove(stale.id);
    const secretFiles = await this.secretFilesFor(stack, service);
    const c = await runtime.create(containerSpec({ stack, service, colour, host: this.deps.host, secretFiles, job: isJob(stack, service.name) }));
    await runtime.start(c.id);
    await recorder.record({ env: stack.env, commit: stack.commit, action: 'start', result: 'ok', detail: { service: service.name, colour, container: c.name } });
    return (await runtime.inspect(c.id)) ?? c;
  }

  private async secretFilesFor(stack: Stack, service: ServiceSpec): Promise<Record<string, string>> {
    if (!service.secrets.length) return {};
    if (!this.deps.secretFiles) throw new PreflightError(service.name, 'uses compose secrets but the agent has no runtime directory for them');
    return this.deps.secretFiles.materialise(stack, service);
  }

  private async gate(env: string, commit: string, service: ServiceSpec, container: LiveContainer, colour: Colour, job: boolean): Promise<void> {
    const r = job ? await this.jobGate(container, service.x.health.deadlineMs) : await healthGate({ runtime: this.deps.runtime, container, spec: service.x.health, clock: this.deps.clock });
    await this.deps.recorder.record({ env, commit, action: 'health', result: r.status === 'healthy' ? 'ok' : 'failed', detail: { service: service.name, colour, attempts: r.attempts, ms: r.elapsedMs, message: r.message } });
    if (r.status !== 'healthy') throw new HealthGateError(service.name, colour, r.attempts, r.message);
  }

  /** A job passes when its container exits 0 within the deadline. */
  private async jobGate(container: LiveContainer, deadlineMs: number): Promise<HealthResult> {
    const { runtime, clock } = this.deps;
    const start = clock.now();
    for (let attempts = 1; ; attempts++) {
      const c = await runtime.inspect(container.id);
      if (!c) return { status: 'unhealthy', message: 'job container vanished', attempts, elapsedMs: clock.now() - start };
      if (c.state === 'exited' || c.state === 'dead') {
        if (c.exitCode === 0) return { status: 'healthy', message: 'job completed (exit 0)', attempts, elapsedMs: clock.now() - start };
        const tail = await runtime.logsTail(container.id, 5);
        return { status: 'unhealthy', message: `job exited with code ${c.exitCode ?? '?'}${tail ? `; last output: ${tail.replace(/\s+/g, ' ').slice(0, 300)}` : ''}`, attempts, elapsedMs: clock.now() - start };
      }
      if (clock.now() - start > deadlineMs) return { status: 'unhealthy', message: `job still running after ${deadlineMs} ms`, attempts, elapsedMs: clock.now() - start };
      await clock.sleep(100);
    }
  }

  /**
   * Removes the containers an attempt started and brings back the ones recreate stopped. A
   * restarted container gets a new ephemeral port: it is gated again and the routes re-published.
   */
  private async undoStarted(stack: Stack, state: EnvState, started: Started[]): Promise<void> {
    for (const s of [...started].reverse()) {
      await this.deps.runtime.remove(s.container.id).catch((e) => this.log.error(`cleanup of ${s.container.name} failed: ${describeError(e)}`));
    }
    let restarted = false;
    for (const [name, svc] of Object.entries(state.live?.services ?? {})) {
      if (svc.job) continue;
      const c = await this.deps.runtime.inspect(svc.container);
      if (!c || c.state === 'running') continue;
      try {
        await this.deps.runtime.start(c.id);
        restarted = true;
        const spec = stack.services[name]?.x.health;
        if (spec) await healthGate({ runtime: this.deps.runtime, container: c, spec, clock: this.deps.clock });
      } catch (e) {
        this.log.error(`restart of ${svc.container} failed: ${describeError(e)}`, { env: stack.env });
      }
    }
    if (restarted) await this.publishRoutes(stack, state.live, undefined).catch((e) => this.log.error(`routes not re-applied: ${describeError(e)}`, { env: stack.env }));
  }

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /**
   * Records `commit` as failed for its environment (state, deploy log, one warning); nothing live
   * changes. The agent also uses it for commits that fail before a stack exists (render).
   */
  async fail(state: EnvState, commit: string, e: unknown, stage: string): Promise<DeployOutcome> {
    const reason = describeError(e);
    const next = withFailure(state, commit, reason, this.nowIso());
    await this.deps.store.save(next);
    await this.deps.recorder.record({ env: state.env, commit, action: 'failed', result: 'failed', detail: { stage, reason, code: e instanceof AutoinfraError ? e.code : undefined } });
    this.log.warn(`${state.env}: commit ${commit.slice(0, 12)} failed at ${stage}: ${reason}; ${state.live ? `still serving ${state.live.commit.slice(0, 12)}` : 'nothing was live'}`, { env: state.env, commit });
    return { result: 'failed', commit, reason, error: e instanceof Error ? e : new Error(reason) };
  }

  /** Routes of one environment from its live services (upstream = the container's 127.0.0.1 port). */
  async routesFor(stack: Stack, live: EnvState['live'], previous: EnvState['live']): Promise<RouteEntry[]> {
    if (!live) return [];
    const out: RouteEntry[] = [];
    for (const [name, svc] of Object.entries(live.services)) {
      const route = stack.services[name]?.x.route;
      if (!route) continue;
      const upstream = await this.upstreamOf(svc.container, route.port);
      if (!upstream) continue;
      const prevSvc = previous?.services[name];
      const prevUpstream = prevSvc && prevSvc.container !== svc.container ? await this.upstreamOf(prevSvc.container, route.port) : undefined;
      out.push({ id: `${stack.env}/${name}`, hosts: route.hosts, pathPrefix: route.pathPrefix, upstream, previous: prevUpstream });
    }
    return out;
  }

  private async upstreamOf(container: string, port: number): Promise<string | undefined> {
    const c = await this.deps.runtime.inspect(container);
    const hostPort = c?.ports[port];
    return hostPort ? `127.0.0.1:${hostPort}` : undefined;
  }

  private async publishRoutes(stack: Stack, live: EnvState['live'], previous: EnvState['live']): Promise<void> {
    await this.deps.routes.publish(stack.env, await this.routesFor(stack, live, previous));
  }

  private async watch(stack: Stack, started: Started[]): Promise<{ service: string; reason: string } | undefined> {
    if (this.opts.watchMs <= 0 || !started.length) return undefined;
    const edge = this.deps.routes.control;
    const end = this.deps.clock.now() + this.opts.watchMs;
    const upstreams = new Map<string, string>();
    for (const s of started) {
      const route = s.service.x.route;
      if (route && s.container.ports[route.port]) upstreams.set(s.service.name, `127.0.0.1:${s.container.ports[route.port]}`);
    }
    while (this.deps.clock.now() < end) {
      for (const s of started) {
        if (isJob(stack, s.service.name)) continue;
        const c = await this.deps.runtime.inspect(s.container.id);
        if (!c || c.state === 'exited' || c.state === 'dead') return { service: s.service.name, reason: `container ${c ? `exited (code ${c.exitCode ?? '?'})` : 'vanished'}` };
        if (c.health === 'unhealthy') return { service: s.service.name, reason: 'container turned unhealthy' };
        const upstream = upstreams.get(s.service.name);
        const counters = upstream && edge.upstreamCounters ? await edge.upstreamCounters(upstream).catch(() => undefined) : undefined;
        if (counters) {
          const errors = counters.errors5xx + counters.connectErrors;
          if (errors >= this.opts.minErrors && errors / Math.max(1, counters.requests) >= this.opts.errorRate) {
            return { service: s.service.name, reason: `${errors} errors in ${counters.requests} requests (5xx ${counters.errors5xx}, connection ${counters.connectErrors})` };
          }
        }
      }
      await this.deps.clock.sleep(Math.min(this.opts.watchPollMs, Math.max(0, end - this.deps.clock.now())));
    }
    return undefined;
  }

  private async drainAndRemove(stack: Stack, started: Started[], p: Plan, previous: EnvState['live']): Promise<void> {
    const edge = this.deps.routes.control;
    for (const s of started) {
      if (!s.old) continue;
      const route = s.service.x.route;
      const oldUpstream = route ? await this.upstreamOf(s.old.container, route.port) : undefined;
      if (oldUpstream && edge.waitDrained) {
        const drained = await edge.waitDrained(oldUpstream, { timeoutMs: s.service.x.drainMs }).catch(() => false);
        await this.deps.recorder.record({ env: stack.env, commit: stack.commit, action: 'drain', result: drained ? 'ok' : 'info', detail: { service: s.service.name, container: s.old.container, drained } });
      } else if (route) {
        // Without in-flight counts, give in-flight requests the drain window.
        await this.deps.clock.sleep(Math.min(s.service.x.drainMs, 2000));
      }
      const c = await this.deps.runtime.inspect(s.old.container);
      if (c) await this.removeContainer(stack.env, stack.commit, c, 'replaced');
    }
    for (const a of p.actions) {
      if (a.action !== 'remove') continue;
      const old = previous?.services[a.service];
      const c = old ? await this.deps.runtime.inspect(old.container) : undefined;
      if (c) {
        await this.deps.runtime.stop(c.id, this.opts.stopTimeoutS);
        await this.removeContainer(stack.env, stack.commit, c, 'pruned');
      }
    }
  }

  private async removeContainer(env: string, commit: string, c: LiveContainer, why: 'replaced' | 'pruned' | 'orphan'): Promise<void> {
    await this.deps.runtime.remove(c.id);
    await this.deps.recorder.record({ env, commit, action: why === 'pruned' ? 'prune' : 'remove', result: 'ok', detail: { service: c.service, container: c.name, why } });
  }

  /**
   * After a restart: finish or undo the operation a crash interrupted, remove orphans, and put
   * the live routes back. The live set in the state file is the truth; anything else of this env goes.
   */
  async recover(stack: Stack | undefined, env: string, branch: string): Promise<EnvState> {
    const { store, runtime, recorder } = this.deps;
    let state = await store.load(env, branch);
    const op = state.operation;
    if (op) {
      if (op.phase === 'watching' || op.phase === 'switched') {
        // The new set had not finished its watch: go back to the previous set, retry later.
        state = { ...state, live: op.previous };
      }
      if (op.phase === 'draining') {
        state = { ...state, operation: undefined };
      } else if (op.attempts + 1 >= this.opts.maxCrashAttempts) {
        state = withFailure(state, op.commit, `the agent stopped ${op.attempts + 1} times while deploying this commit`, this.nowIso());
      } else {
        state = { ...state, operation: { ...op, attempts: op.attempts + 1, phase: 'preflight' } };
      }
      await store.save(state);
      this.log.warn(`${env}: recovering from an interrupted deploy of ${op.commit.slice(0, 12)} (phase ${op.phase})`, { env });
    }
    const live = await runtime.list(env);
    if (op?.phase === 'draining' && stack) await this.finishDrain(stack, live, state);
    const wanted = new Set(Object.values(state.live?.services ?? {}).map((s) => s.container));
    const jobs = new Set(Object.values(state.live?.services ?? {}).filter((s) => s.job).map((s) => s.container));
    for (const c of live) {
      if (c.labels[LABEL.host] && c.labels[LABEL.host] !== this.deps.host) continue;
      if (!wanted.has(c.name)) {
        await runtime.remove(c.id);
        await recorder.record({ env, commit: c.commit, action: 'remove', result: 'ok', detail: { service: c.service, container: c.name, why: 'orphan' } });
      } else if (c.state !== 'running' && !jobs.has(c.name)) {
        await runtime.start(c.id).catch((e) => this.log.error(`restart of ${c.name} failed: ${describeError(e)}`));
      }
    }
    if (stack && state.live) await this.publishRoutes(stack, state.live, undefined).catch((e) => this.log.warn(`routes not applied: ${describeError(e)}`, { env }));
    return state;
  }

  /** Repairs of one container in the last window (a crash loop is not restarted forever at full speed). */
  private readonly repairs = new Map<string, number[]>();

  private repairAllowed(container: string): boolean {
    const now = this.deps.clock.now();
    const recent = (this.repairs.get(container) ?? []).filter((t) => now - t < this.opts.repairWindowMs);
    if (recent.length >= this.opts.maxRepairsPerWindow) {
      if (recent.length === this.opts.maxRepairsPerWindow) {
        this.log.warn(`${container} keeps failing: ${recent.length} repairs in ${Math.round(this.opts.repairWindowMs / 1000)} s; next attempt when the window has passed (a new commit is the fix)`);
        recent.push(now); // marks the warning as given
        this.repairs.set(container, recent);
      }
      return false;
    }
    recent.push(now);
    this.repairs.set(container, recent);
    return true;
  }

  /** A crash during the drain: the old colours still get their drain window before they go. */
  private async finishDrain(stack: Stack, live: LiveContainer[], state: EnvState): Promise<void> {
    const edge = this.deps.routes.control;
    if (!edge.waitDrained) return;
    const wanted = new Set(Object.values(state.live?.services ?? {}).map((s) => s.container));
    for (const c of live) {
      const svc = stack.services[c.service];
      const port = svc?.x.route ? c.ports[svc.x.route.port] : undefined;
      if (wanted.has(c.name) || !port) continue;
      const drained = await edge.waitDrained(`127.0.0.1:${port}`, { timeoutMs: svc.x.drainMs }).catch(() => false);
      await this.deps.recorder.record({ env: stack.env, commit: state.live?.commit, action: 'drain', result: drained ? 'ok' : 'info', detail: { service: c.service, container: c.name, drained, after: 'restart' } });
    }
  }

  /**
   * Drift repair: a live container that died, vanished or was changed by hand is restored to the
   * live commit's definition (`liveStack` is the stack rendered at the live commit).
   */
  async repairDrift(liveStack: Stack): Promise<number> {
    const { runtime, store, recorder } = this.deps;
    const state = await store.load(liveStack.env, liveStack.branch);
    if (!state.live || state.operation) return 0;
    const drift = findDrift(state, await runtime.list(liveStack.env));
    let repaired = 0;
    for (const d of drift) {
      const svc = liveStack.services[d.service];
      const liveSvc = state.live.services[d.service];
      if (!svc || svc.hash !== liveSvc.hash) continue;
      if (!this.repairAllowed(d.container)) continue;
      try {
        let target = await runtime.inspect(d.container);
        if (d.kind === 'stopped' && target) {
          await runtime.start(target.id);
        } else {
          if (target) await runtime.remove(target.id);
          await this.ensureNetworksAndVolumes(liveStack);
          target = await runtime.create(containerSpec({ stack: liveStack, service: svc, colour: liveSvc.colour, host: this.deps.host, secretFiles: await this.secretFilesFor(liveStack, svc) }));
          await runtime.start(target.id);
        }
        // Route to it only once it answers again (its 127.0.0.1 port changed with the restart).
        const health = await healthGate({ runtime, container: target, spec: svc.x.health, clock: this.deps.clock });
        if (health.status !== 'healthy') throw new HealthGateError(svc.name, liveSvc.colour, health.attempts, health.message);
        repaired++;
        await recorder.record({ env: liveStack.env, commit: liveStack.commit, action: 'drift-repair', result: 'ok', detail: { service: d.service, container: d.container, kind: d.kind, detail: d.detail } });
        this.log.warn(`${liveStack.env}/${d.service}: repaired drift (${d.kind}: ${d.detail})`, { env: liveStack.env });
      } catch (e) {
        await recorder.record({ env: liveStack.env, commit: liveStack.commit, action: 'drift-repair', result: 'failed', detail: { service: d.service, kind: d.kind, reason: describeError(e) } });
      }
    }
    if (repaired) await this.publishRoutes(liveStack, state.live, undefined).catch(() => undefined);
    return repaired;
  }
}

/** The engine's pull errors, said the way an operator acts on them. */
export function pullFailure(message: string): string {
  const m = message.replace(/^image \S+: pull failed: /, '');
  if (/unauthorized|authentication required|no basic auth credentials|denied/i.test(m)) return `credentials missing or refused (${m})`;
  if (/manifest unknown|not found|does not exist/i.test(m)) return `tag or repository not found (${m})`;
  if (/no space left on device/i.test(m)) return `disk full on this host (${m})`;
  if (/connection refused|no such host|i\/o timeout|dial tcp|TLS handshake/i.test(m)) return `registry unreachable (${m})`;
  return m;
}

/** The Docker engine cannot be reached at all (socket gone, daemon down), as opposed to refusing. */
export function isEngineUnreachable(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const { code, syscall } = cur as { code?: unknown; syscall?: unknown };
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || (code === 'ENOENT' && syscall === 'connect')) return true;
    if (/connect (ENOENT|ECONNREFUSED)/.test(String((cur as Error).message ?? ''))) return true;
  }
  return false;
}
