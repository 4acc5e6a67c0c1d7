// The agent daemon: source → render → plan/execute, per environment, forever. Wires the parts
// once (no singletons) and keeps going whatever a commit does: a bad commit is recorded and skipped.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeError, AutoinfraError } from '../shared/errors.js';
import type { Stack } from '../shared/stack/model.js';
import { parseIdentityFile } from '../shared/secrets/age.js';
import type { AgentConfig } from './config/schema.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { EdgeClient } from './edge/client.js';
import { edgeControl } from './edge-control.js';
import { Executor } from './executor/executor.js';
import type { ExecutorOptions } from './deploy/options.js';
import { environmentFor, type Environment } from './environment.js';
import { DeployEvents, type DeployEvent } from './events.js';
import { LOG_ACTIONS, type LogAction, type LogEntryInput } from '../shared/log/entry.js';
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
import { GitHttp } from './source/git-http.js';
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
}

export class KeyFileError extends AutoinfraError {
  static readonly code = 'E_KEY_FILE';
  constructor(file: string, reason: string) {
    super(KeyFileError.code, `key file ${file}: ${reason} (run \`autoinfra keygen\` to create the host keys)`, { file, reason });
    this.name = 'KeyFileError';
  }
}

/** Environment name of a tracked branch. */
export function envOf(kind: 'production' | 'master' | 'preview', branch: string): string {
  if (kind !== 'preview') return kind;
  return `preview-${branch.replace(/^preview\//, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)}`;
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
  /** Latest head wanted per env (a newer head supersedes a queued one). */
  private readonly wanted = new Map<string, { branch: string; commit: string }>();
  /** Stack rendered at each env's live commit (drift repair restores to it). */
  private readonly liveStacks = new Map<string, Stack>();
  private driftTimer?: NodeJS.Timeout;
  private stopEvents?: () => void;
  /** Wait before retrying a deploy that an outside failure (Docker down) interrupted. */
  private readonly retryMs = 30_000;
  private readonly eventCheck = new Map<string, NodeJS.Timeout>();
  private stopping = false;

  constructor(private readonly opts: AgentOptions) {
    this.config = opts.config;
    this.log = opts.logger;
    this.clock = opts.clock;
    this.store = new StateStore(opts.config.stateDir);
  }

  async start(): Promise<void> {
    const c = this.config;
    await mkdir(c.stateDir, { recursive: true, mode: 0o750 });
    const signingKey = await readKey(c.keys.signing);
    const ageIdentities = parseIdentityFile(c.keys.age, await readKey(c.keys.age));
    const logDirs = logPaths(c.stateDir);
    this.deployLog = await DeployLog.open({ dir: logDirs.queue, host: c.host, signingKey, clock: this.clock, logger: this.log });
    const creds = new Credentials(c.repo.auth);
    // Its own transport with timeouts: a hung git host must not stall the publisher.
    this.publisher = new LogPublisher({ log: this.deployLog, url: c.repo.url, headers: await creds.headers(), dir: logDirs.store, host: c.host, clock: this.clock, logger: this.log, http: new GitHttp({ timeoutMs: 30_000 }) });
    const events = new DeployEvents();
    events.subscribe(async (e) => { const line = logLineOf(e); if (line) await this.deployLog!.append(line); });

    const runtime = this.opts.runtime ?? new DockerRuntime({ socketPath: c.docker.socket });
    const edge = this.opts.edge ?? edgeControl(new EdgeClient({ controlSocket: c.edge.controlSocket, routesFile: c.edge.routesFile }));
    const routes = new RouteBook(edge, this.log);
    this.source = gitSourceFor(c, this.clock, this.log);
    const registryCredentials = c.registries.authFile ? await loadDockerConfigFile(c.registries.authFile) : undefined;
    for (const cred of registryCredentials?.values() ?? []) this.deployLog.addSecret(cred.password);
    this.render = { source: this.source, host: c.host, ageIdentities, addSecret: (v) => this.deployLog!.addSecret(v) };
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
    for (const state of await this.store.list()) {
      let stack: Stack | undefined;
      if (state.live) stack = await renderAt(this.render, state.env, state.branch, state.live.commit).catch((e) => { this.log.error(`${state.env}: cannot render live commit ${state.live!.commit.slice(0, 12)}: ${describeError(e)}`); return undefined; });
      if (stack) this.liveStacks.set(state.env, stack);
      await this.executor.recover(this.environment(state.branch), stack);
    }
    await routes.applyAll().catch((e) => this.log.warn(`edge not reachable yet: ${describeError(e)}; routes are in ${c.edge.routesFile}`));

    // Heads the source already knew (restart): deploy whatever is not live yet.
    for (const [branch, commit] of this.source.heads()) this.onHead(branch, commit);
    this.source.start((e) => this.onSourceEvent(e));
    const every = this.opts.driftIntervalMs ?? 30_000;
    this.driftTimer = setInterval(() => void this.checkDrift(), every);
    this.driftTimer.unref();
    // A container of a live environment that dies or vanishes is repaired at once (debounced and
    // rate-limited to one check per environment per second), not only at the next interval.
    this.stopEvents = runtime.watchEvents?.((e) => {
      if (!this.liveStacks.has(e.env) || this.eventCheck.has(e.env)) return;
      const timer = setTimeout(() => { this.eventCheck.delete(e.env); void this.checkDrift(e.env); }, 1000);
      timer.unref();
      this.eventCheck.set(e.env, timer);
    });
    this.log.info(`agent ${c.host} watching ${c.repo.url} (${c.branches.production}, ${c.branches.master})`);
  }

  /** Environments, live and failed commits, per-service colour; and the source's health. */
  async status(): Promise<{ host: string; source: unknown; log: unknown; environments: unknown[] }> {
    return { host: this.config.host, source: this.source?.status(), log: this.publisher?.status(), environments: await this.store.list() };
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
    if (this.driftTimer) clearInterval(this.driftTimer);
    this.stopEvents?.();
    for (const t of this.eventCheck.values()) clearTimeout(t);
    await this.source?.stop();
    await this.idle();
    await this.deployLog?.append({ env: '-', action: 'agent-stop', result: 'info' }).catch(() => undefined);
    await this.publisher?.flush().catch((e) => this.log.warn(`deploy log not pushed: ${describeError(e)}; it stays queued`));
    await this.publisher?.stop();
    await this.deployLog?.close();
  }

  private environment(branch: string): Environment {
    return environmentFor({ branch, ref: `refs/heads/${branch}`, kind: this.kindOf(branch) }, this.config.host);
  }

  private kindOf(branch: string): 'production' | 'master' | 'preview' {
    if (branch === this.config.branches.production) return 'production';
    if (branch === this.config.branches.master) return 'master';
    return 'preview';
  }

  private async onSourceEvent(e: SourceEvent): Promise<void> {
    if (e.type === 'branch-deleted') {
      if (e.kind === 'preview') this.log.info(`preview branch ${e.branch} deleted (preview environments are not built yet)`);
      else this.log.warn(`branch ${e.branch} was deleted on the remote; ${envOf(e.kind, e.branch)} keeps running ${e.old.slice(0, 12)}`);
      return;
    }
    await this.deployLog?.append({ env: envOf(e.kind, e.branch), commit: e.new, action: 'head-seen', result: 'info', detail: { branch: e.branch, old: e.old } });
    this.onHead(e.branch, e.new);
  }

  private onHead(branch: string, commit: string): void {
    const kind = this.kindOf(branch);
    if (kind === 'preview') {
      this.log.debug(`preview branch ${branch} at ${commit.slice(0, 12)}: preview environments are not built yet`);
      return;
    }
    const env = envOf(kind, branch);
    this.wanted.set(env, { branch, commit });
    this.enqueue(env, () => this.deployWanted(env), (e) => {
      // Not the commit's fault (Docker or the disk failed under us): try the same head again later.
      this.log.error(`${env}: deploy of ${commit.slice(0, 12)} interrupted: ${describeError(e)}; retrying in ${Math.round(this.retryMs / 1000)} s`);
      const timer = setTimeout(() => { if (!this.stopping && this.wanted.get(env)?.commit === commit) this.onHead(branch, commit); }, this.retryMs);
      timer.unref();
    });
  }

  /** Runs `work` after whatever the environment is doing now: one operation at a time per env. */
  private enqueue(env: string, work: () => Promise<unknown>, onError: (e: unknown) => void): void {
    const prev = this.queues.get(env) ?? Promise.resolve();
    const next: Promise<void> = prev.then(work).then(() => undefined, onError).finally(() => {
      if (this.queues.get(env) === next) this.queues.delete(env);
    });
    this.queues.set(env, next);
  }

  private async deployWanted(env: string): Promise<void> {
    const want = this.wanted.get(env);
    if (!want || this.stopping) return;
    const state = await this.store.load(env, want.branch);
    if (state.live?.commit === want.commit && !state.operation) return;
    if (isFailed(state, want.commit)) return;
    let stack: Stack;
    try {
      stack = await renderAt(this.render!, env, want.branch, want.commit);
    } catch (e) {
      await this.deployLog!.append({ env, commit: want.commit, action: 'preflight', result: 'failed', detail: { stage: 'render', reason: describeError(e), code: e instanceof AutoinfraError ? e.code : undefined } });
      await this.executor!.fail(this.environment(want.branch), state, want.commit, e, 'render');
      return;
    }
    const outcome = await this.executor!.deploy(this.environment(want.branch), stack);
    if (outcome.result === 'live' || outcome.result === 'unchanged') this.liveStacks.set(env, outcome.stack);
  }

  /** Drift repair, at most once per interval per environment, never during an operation. */
  private async checkDrift(only?: string): Promise<void> {
    for (const [env, stack] of this.liveStacks) {
      if ((only && env !== only) || this.queues.has(env) || this.stopping) continue;
      this.enqueue(env, () => this.executor!.repairDrift(this.environment(stack.branch), stack), (e) => this.log.error(`${env}: drift repair failed: ${describeError(e)}`));
    }
  }
}

async function readKey(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new KeyFileError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : describeError(e));
  }
}

/** Temporary: the deploy-log line of an executor event, until the event-log subscriber lands. */
function logLineOf(e: DeployEvent): LogEntryInput | undefined {
  const perService = e.type === 'failed' && e.service !== undefined ? (e.stage === 'gate' ? 'health' : e.stage === 'drift' ? 'drift-repair' : undefined) : undefined;
  const action = perService ?? ({ pulled: 'pull', built: 'build', started: 'start', gated: 'health', switched: 'switch', unchanged: 'live', drained: 'drain', removed: e.detail?.why === 'pruned' ? 'prune' : 'remove', reverted: 'watch-revert', 'drift-repaired': 'drift-repair' } as Record<string, string>)[e.type] ?? e.type;
  if (!(LOG_ACTIONS as readonly string[]).includes(action)) return undefined;
  const detail = { ...(e.service ? { service: e.service } : {}), ...(e.stage ? { stage: e.stage } : {}), ...(e.reason !== undefined ? { reason: e.reason } : {}), ...(e.code ? { code: e.code } : {}), ...e.detail, ...(e.type === 'unchanged' ? { unchanged: true } : {}) };
  return { env: e.env.name, ...(e.commit ? { commit: e.commit } : {}), action: action as LogAction, result: e.type === 'failed' || e.type === 'reverted' ? 'failed' : 'ok', detail };
}
