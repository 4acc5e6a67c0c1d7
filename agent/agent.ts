// The agent daemon: source → render → plan/execute, per environment, forever. Wires the parts
// once (no singletons) and keeps going whatever a commit does: a bad commit is recorded and skipped.
import { SecretValues } from '../shared/log/secret-values.js';
import { loadFingerprintKey } from './state/fingerprint-key.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describeError, AutoinfraError } from '../shared/errors.js';
import type { Stack } from '../shared/stack/model.js';
import { parseIdentityFile } from '../shared/secrets/age.js';
import type { AgentConfig } from './config/schema.js';
import { readConfiguredFile } from './config/configured-file.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { EdgeClient } from './edge/client.js';
import { edgeControl } from './edge-control.js';
import { Executor } from './executor/executor.js';
import type { ExecutorOptions } from './deploy/options.js';
import type { Environment } from './environment.js';
import { DeployEvents } from './events.js';
import { subscribeDeployLog } from './log/event-log.js';
import { subscribeJournal } from './log/event-journal.js';
import { STATUS_SCHEMA, StatusModel, type AgentStatus } from './status/status-model.js';
import type { Timer } from './clock.js';
import { RepoFiles } from './executor/repo-files.js';
import { SecretFiles } from './executor/secret-files.js';
import { loadDockerConfigFile } from './registry/credentials.js';
import { DeployLog, logPaths } from './log/deploy-log.js';
import { LogPublisher } from './log/publisher.js';
import { RouteBook, type EdgeControl } from './routing.js';
import { DockerRuntime } from './runtime/docker.js';
import type { Runtime } from './runtime/types.js';
import type { GitSource, SourceEvent } from './source/git-source.js';
import { gitSourceFor } from './source/configured.js';
import { Credentials } from './source/credentials.js';
import { GitHttp } from './git/http-transport.js';
import { isFailed } from './state/env-state.js';
import { StateStore } from './state/store.js';
import { renderAt, type RenderContext } from './render.js';

export interface AgentOptions {
  config: AgentConfig;
  logger: Logger;
  clock: Clock;
  /** Overrides for tests (real parts pointed elsewhere): extra container labels, executor timings. */
  runtime?: Runtime;
  edge?: EdgeControl;
  executor?: Partial<ExecutorOptions>;
  /** How often live environments are checked for drift (default 30 s). */
  driftIntervalMs?: number;
  /** Secret values as they are read; shared with the logger so the journal is scrubbed like the deploy log. */
  secrets?: SecretValues;
}

export class KeyFileError extends AutoinfraError {
  static readonly code = 'E_KEY_FILE';
  constructor(file: string, reason: string) {
    super(KeyFileError.code, `key file ${file}: ${reason} (run \`autoinfra keygen\` to create the host keys)`, { file, reason });
    this.name = 'KeyFileError';
  }
}

export class Agent {
  private readonly config: AgentConfig;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly store: StateStore;
  private deployLog?: DeployLog;
  private publisher?: LogPublisher;
  private source?: GitSource;
  private executor?: Executor;
  private render?: RenderContext;
  /** One operation at a time per environment; environments are independent. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Latest head wanted per env (a newer head supersedes a queued one); `picked` once a deploy took it up. */
  private readonly wanted = new Map<string, { env: Environment; commit: string; picked: boolean }>();
  /** Stack rendered at each env's live commit (drift repair restores to it). */
  private readonly liveStacks = new Map<string, { env: Environment; stack: Stack }>();
  private readonly events = new DeployEvents();
  private readonly statusModel: StatusModel;
  private driftTimer?: Timer;
  private stopEvents?: () => void;
  /** Wait before retrying a deploy that an outside failure (Docker down) interrupted. */
  private readonly retryMs = 30_000;
  private readonly eventCheck = new Map<string, Timer>();
  private stopping = false;

  constructor(private readonly opts: AgentOptions) {
    this.config = opts.config;
    this.log = opts.logger;
    this.clock = opts.clock;
    this.store = new StateStore(opts.config.stateDir);
    this.statusModel = new StatusModel((env) => this.store.load(env.name, env.branch));
  }

  async start(): Promise<void> {
    const c = this.config;
    await mkdir(c.stateDir, { recursive: true, mode: 0o750 });
    const signingKey = await readKey(c.keys.signing);
    const ageIdentities = parseIdentityFile(c.keys.age, await readKey(c.keys.age));
    const logDirs = logPaths(c.stateDir);
    this.deployLog = await DeployLog.open({ dir: logDirs.queue, host: c.host, signingKey, clock: this.clock, logger: this.log, secrets: this.opts.secrets ?? new SecretValues() });
    const creds = new Credentials(c.repo.auth);
    // Its own transport with timeouts: a hung git host must not stall the publisher.
    this.publisher = new LogPublisher({ log: this.deployLog, url: c.repo.url, headers: await creds.headers(), dir: logDirs.store, host: c.host, clock: this.clock, logger: this.log, http: new GitHttp({ timeoutMs: 30_000 }) });
    // The deploy log first (durable before the next step), then the status model and the journal.
    const events = this.events;
    subscribeDeployLog(events, this.deployLog);
    events.subscribe((e) => this.statusModel.onEvent(e));
    subscribeJournal(events, this.log);

    const runtime = this.opts.runtime ?? new DockerRuntime({ socketPath: c.docker.socket });
    const edge = this.opts.edge ?? edgeControl(new EdgeClient({ controlSocket: c.edge.controlSocket, routesFile: c.edge.routesFile, clock: this.clock }));
    const routes = new RouteBook(edge, this.log);
    this.source = gitSourceFor(c, this.clock, this.log);
    const registryCredentials = c.registries.authFile ? await loadDockerConfigFile(c.registries.authFile) : undefined;
    for (const cred of registryCredentials?.values() ?? []) this.deployLog.addSecret(cred.password);
    this.render = { source: this.source, host: c.host, ageIdentities, fingerprintKey: await loadFingerprintKey(c.stateDir), addSecret: (v) => this.deployLog!.addSecret(v), productionHead: () => this.source?.heads().get(c.branches.production) };
    this.executor = new Executor({
      runtime, routes, events, store: this.store, clock: this.clock, logger: this.log, host: c.host,
      secretFiles: new SecretFiles(path.join(c.runtimeDir, 'secrets'), this.log),
      repoFiles: new RepoFiles(path.join(c.stateDir, 'repo-files')),
      registryCredentials,
      readTree: (commit, prefix) => this.source!.readTree(commit, prefix), options: this.opts.executor,
    });
    await this.deployLog.append({ env: '-', action: 'agent-start', result: 'info', detail: { version: process.env.npm_package_version } });
    this.publisher.start();

    // Converge what a previous run left, and put the live routes back.
    const heads = this.source.heads();
    for (const state of await this.store.list()) {
      const env = this.source.environmentOf(state.branch);
      let stack: Stack | undefined;
      if (state.live) stack = await renderAt(this.render, env, state.live.commit).catch((e) => { this.log.error(`${env.name}: cannot render live commit ${state.live!.commit.slice(0, 12)}: ${describeError(e)}`); return undefined; });
      if (stack) this.liveStacks.set(env.name, { env, stack });
      this.statusModel.seed(env, await this.executor.recover(env, stack), heads.get(state.branch));
    }
    await routes.applyAll().catch((e) => this.log.warn(`edge not reachable yet: ${describeError(e)}; routes are in ${c.edge.routesFile}`));

    // Heads the source already knew (restart): deploy whatever is not live yet.
    for (const [branch, commit] of heads) this.onHead(this.source.environmentOf(branch), commit);
    this.source.start((e) => this.onSourceEvent(e));
    const every = this.opts.driftIntervalMs ?? 30_000;
    this.driftTimer = this.clock.every(every, () => void this.checkDrift());
    // A container of a live environment that dies or vanishes is repaired at once (debounced and
    // rate-limited to one check per environment per second), not only at the next interval.
    this.stopEvents = runtime.watchEvents?.((e) => {
      if (!this.liveStacks.has(e.env) || this.eventCheck.has(e.env)) return;
      this.eventCheck.set(e.env, this.clock.after(1000, () => { this.eventCheck.delete(e.env); void this.checkDrift(e.env); }));
    });
    this.log.info(`agent ${c.host} watching ${c.repo.url} (${c.branches.production}, ${c.branches.master})`);
  }

  /** The status model (docs/status.md): what GET /status and `autoinfra status --json` return. */
  async status(): Promise<AgentStatus> {
    return { schema: STATUS_SCHEMA, host: this.config.host, at: new Date(this.clock.now()).toISOString(), source: this.source?.status(), log: this.publisher?.status(), environments: this.statusModel.snapshot() };
  }

  /** Every deploy event, in order (the local API's readers, `wait`, tests). Returns the unsubscribe. */
  subscribe(listener: Parameters<DeployEvents['subscribe']>[0]): () => void {
    return this.events.subscribe(listener);
  }

  /** Poll now (webhooks, `autoinfra trigger`). */
  trigger(branch?: string): void {
    this.source?.trigger(branch);
  }

  /** Resolves when every queued deploy has finished (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.queues.values()];
      if (!pending.length) return;
      await Promise.allSettled(pending);
      if ([...this.queues.values()].every((p) => pending.includes(p))) return;
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.driftTimer?.cancel();
    this.stopEvents?.();
    for (const t of this.eventCheck.values()) t.cancel();
    await this.source?.stop();
    await this.idle();
    await this.deployLog?.append({ env: '-', action: 'agent-stop', result: 'info' }).catch(() => undefined);
    await this.publisher?.flush().catch((e) => this.log.warn(`deploy log not pushed: ${describeError(e)}; it stays queued`));
    await this.publisher?.stop();
    await this.deployLog?.close();
  }

  private async onSourceEvent(e: SourceEvent): Promise<void> {
    if (e.type === 'branch-deleted') {
      // production keeps serving whatever happens to its branch (a deleted branch is far more often
      // a mistake than a decision to go dark); master and previews are copies and go with theirs.
      if (e.env.kind === 'production') this.log.warn(`branch ${e.env.branch} was deleted on the remote; ${e.env.name} keeps running ${e.old.slice(0, 12)}`);
      else this.tearDown(e.env, `branch ${e.env.branch} deleted`);
      return;
    }
    await this.events.emit({ type: 'detected', env: e.env, commit: e.new, at: this.clock.now(), detail: { old: e.old } });
    this.onHead(e.env, e.new);
  }

  private onHead(env: Environment, commit: string): void {
    if (env.kind === 'preview') {
      this.log.debug(`preview branch ${env.branch} at ${commit.slice(0, 12)}: preview environments are not built yet`);
      return;
    }
    // A head still waiting in the queue is replaced, never deployed: say so (wait exits 4 on it).
    const prev = this.wanted.get(env.name);
    if (prev && !prev.picked && prev.commit !== commit) void this.events.emit({ type: 'superseded', env, commit: prev.commit, at: this.clock.now(), reason: `a newer head ${commit.slice(0, 12)} came before it was deployed`, detail: { by: commit } }).catch(() => undefined);
    this.wanted.set(env.name, { env, commit, picked: false });
    this.enqueue(env.name, () => this.deployWanted(env.name), (e) => {
      // Not the commit's fault (Docker or the disk failed under us): try the same head again later.
      this.log.error(`${env.name}: deploy of ${commit.slice(0, 12)} interrupted: ${describeError(e)}; retrying in ${Math.round(this.retryMs / 1000)} s`);
      void this.events.emit({ type: 'interrupted', env, commit, at: this.clock.now(), reason: describeError(e) }).catch(() => undefined);
      this.clock.after(this.retryMs, () => { if (!this.stopping && this.wanted.get(env.name)?.commit === commit) this.onHead(env, commit); });
    });
  }

  /** Queues the environment's teardown after whatever it is doing; a queued deploy of it is dropped. */
  private tearDown(env: Environment, reason: string): void {
    this.wanted.delete(env.name);
    this.enqueue(env.name, async () => {
      this.liveStacks.delete(env.name);
      await this.executor!.teardown(env, reason);
    }, (err) => this.log.error(`${env.name}: teardown failed: ${describeError(err)}; objects may be left, the next start retries`));
  }

  /** Runs `work` after whatever the environment is doing now: one operation at a time per env. */
  private enqueue(env: string, work: () => Promise<unknown>, onError: (e: unknown) => void): void {
    const prev = this.queues.get(env) ?? Promise.resolve();
    const next: Promise<void> = prev.then(work).then(() => undefined, onError).finally(() => {
      if (this.queues.get(env) === next) this.queues.delete(env);
    });
    this.queues.set(env, next);
  }

  private async deployWanted(name: string): Promise<void> {
    const want = this.wanted.get(name);
    if (!want || this.stopping) return;
    const { env, commit } = want;
    want.picked = true;
    if (env.kind === 'master' && (await this.productionLiveCommit()) === commit) {
      // master is production: nothing to compare, its copies go (issue 15's "both run" only when they differ).
      this.liveStacks.delete(name);
      await this.executor!.teardown(env, `master is at production's live commit ${commit.slice(0, 12)}`);
      return;
    }
    const state = await this.store.load(env.name, env.branch);
    if (state.live?.commit === commit && !state.operation) return;
    const failedBefore = isFailed(state, commit);
    if (failedBefore) {
      await this.events.emit({ type: 'skipped', env, commit, at: this.clock.now(), reason: `failed before (${failedBefore.at}): ${failedBefore.reason.split('\n')[0]}; skipped until the branch moves` });
      return;
    }
    let stack: Stack;
    try {
      stack = await renderAt(this.render!, env, commit);
    } catch (e) {
      // One `failed` event (stage render): the deploy log, status and readers all see it there.
      await this.executor!.fail(env, state, commit, e, 'render');
      return;
    }
    const outcome = await this.executor!.deploy(env, stack);
    if (outcome.result === 'live' || outcome.result === 'unchanged') {
      this.liveStacks.set(name, { env, stack: outcome.stack });
      // production caught up with master: master's copies are torn down.
      const master = [...this.wanted.values()].find((w) => w.env.kind === 'master');
      if (env.kind === 'production' && master?.commit === commit) this.enqueue(master.env.name, () => this.deployWanted(master.env.name), (e) => this.log.error(`${master.env.name}: ${describeError(e)}`));
    }
  }

  private async productionLiveCommit(): Promise<string | undefined> {
    const production = this.source!.environmentOf(this.config.branches.production);
    return (await this.store.load(production.name, production.branch)).live?.commit;
  }

  /** Drift repair, at most once per interval per environment, never during an operation. */
  private async checkDrift(only?: string): Promise<void> {
    for (const [name, { env, stack }] of this.liveStacks) {
      if ((only && name !== only) || this.queues.has(name) || this.stopping) continue;
      this.enqueue(name, () => this.executor!.repairDrift(env, stack), (e) => this.log.error(`${name}: drift repair failed: ${describeError(e)}`));
    }
  }
}

function readKey(file: string): Promise<string> {
  return readConfiguredFile(file, (reason) => new KeyFileError(file, reason));
}
