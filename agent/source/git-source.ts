// The git source: watches the production, master and preview branches of one repository and
// fetches what moved into a local bare object store.
//
// A poll is one GET of the ref advertisement for all branches; only branches whose head moved
// are fetched (full single-branch history, offering what we hold so only new objects come down).
// Errors back off exponentially and never forget the last good heads: nothing downstream is torn
// down because git is unreachable.
import { AutoinfraError, describeError } from '../../shared/errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { repoUrlProblem } from '../config/load.js';
import { backoffDelay, jittered } from './backoff.js';
import { Credentials, type AuthFiles } from './credentials.js';
import { SourceAuthError, SourceFetchError, SourceUnreachableError, SourceUrlError, SourceStoreError } from './errors.js';
import { GitHttp } from '../git/http-transport.js';
import { headsFilePath, loadHeads, saveHeads } from './heads-file.js';
import { ObjectStore, type AdvertisedRef } from './object-store.js';
import { refForBranch, trackedBranch, trackedRefs, type TrackedRef, type TrackingRules } from './tracked-refs.js';
import { byRank, environmentFor, type Environment } from '../environment.js';

export type { Clock } from '../clock.js';
export type { BranchKind } from './tracked-refs.js';

export interface GitSourceOptions {
  /** https://… (or http:// on loopback), without credentials. */
  url: string;
  auth?: AuthFiles;
  /** Bare object store, e.g. `<state_dir>/repo.git`. Created when missing. */
  dir: string;
  branches: { production: string; master: string };
  previews: { enabled: boolean; pattern: string; pullRequests: boolean };
  intervalMs: number;
  maxBackoffMs: number;
  clock: Clock;
  logger: Logger;
  /** [0, 1) source for the ±10 % jitter; Math.random by default. */
  random?: () => number;
  /** Bound on each HTTP request (headers, and each gap in a body). Default 30 s. */
  requestTimeoutMs?: number;
  /** This agent's host name: part of every Environment's object prefix. */
  host: string;
}

/** What the source saw move; `env` is the one Environment value for the branch (environment.ts). */
export type SourceEvent =
  | { type: 'head-changed'; env: Environment; old?: string; new: string }
  | { type: 'branch-deleted'; env: Environment; old: string };

export interface SourceStatus { healthy: boolean; lastError?: string; lastErrorCode?: string; lastPollAt?: number; consecutiveFailures: number }

export class GitSource {
  private readonly opts: GitSourceOptions;
  private readonly rules: TrackingRules;
  private readonly random: () => number;
  private readonly store: ObjectStore;
  private readonly creds: Credentials;
  private readonly headsFile: string;
  private http: GitHttp;
  /** Last good heads: branch → commit. */
  private known: Map<string, string>;
  /** Restored heads whose commit is not in the store (store wiped or crash mid-fetch): refetched silently. */
  private missing = new Set<string>();
  private prepared?: Promise<void>;
  private exclusive: Promise<unknown> = Promise.resolve();

  private failures = 0;
  private lastError?: AutoinfraError;
  private lastPollAt?: number;
  private outageSince?: number;

  private loop?: Promise<void>;
  private stopping = false;
  private pendingTrigger = false;
  private wake?: AbortController;

  constructor(opts: GitSourceOptions) {
    const problem = repoUrlProblem(opts.url);
    if (problem) throw new SourceUrlError(opts.url, problem);
    this.opts = opts;
    this.rules = { branches: opts.branches, previews: opts.previews };
    this.random = opts.random ?? Math.random;
    this.store = new ObjectStore(opts.dir);
    this.creds = new Credentials(opts.auth);
    this.http = this.newHttp();
    this.headsFile = headsFilePath(opts.dir);
    const restored = loadHeads(this.headsFile);
    if (restored.problem) opts.logger.warn(restored.problem);
    this.known = restored.heads;
  }

  /** The Environment of a tracked branch name (also of one no longer advertised: state restored after a restart). */
  environmentOf(branch: string): Environment {
    return environmentFor(trackedBranch(branch, this.rules), this.opts.host);
  }

  /** Last good heads (branch → commit), restored from the state dir at construction. */
  heads(): Map<string, string> {
    return new Map(this.known);
  }

  status(): SourceStatus {
    return {
      healthy: this.failures === 0,
      lastError: this.lastError?.message,
      lastErrorCode: this.lastError?.code,
      lastPollAt: this.lastPollAt,
      consecutiveFailures: this.failures,
    };
  }

  /** Starts the poll loop; each poll's events are delivered to onEvent one at a time, in order. */
  start(onEvent: (e: SourceEvent) => void | Promise<void>): void {
    if (this.loop) throw new Error('GitSource already started');
    this.stopping = false;
    this.loop = this.run(onEvent);
  }

  /** Stops the loop: cuts the wait, aborts requests in flight, waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.abort();
    const loop = this.loop;
    await this.http.close();
    await loop;
    this.loop = undefined;
    this.http = this.newHttp();
  }

  /**
   * Poll now, cutting the wait short. Triggers that arrive during a poll coalesce into one
   * follow-up poll. While access is refused (401/403) a trigger does not shorten the backoff.
   */
  trigger(branch?: string): void {
    this.pendingTrigger = true;
    if (this.lastError instanceof SourceAuthError) {
      this.opts.logger.debug('trigger deferred: git access is refused, waiting for the backoff', { branch });
      return;
    }
    this.wake?.abort();
  }

  /** One poll: list refs, fetch what moved, return what changed. Throws when refs cannot be listed. */
  pollOnce(): Promise<SourceEvent[]> {
    const run = this.exclusive.then(() => this.poll());
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  /** Files under `prefix` (default `infra/`) at `commit`, path from the repository root → bytes. */
  async readTree(commit: string, prefix = 'infra/'): Promise<Map<string, Uint8Array>> {
    await this.prepare();
    return this.store.readTree(commit, prefix);
  }

  // --- internals ---

  private newHttp(): GitHttp {
    return new GitHttp({ timeoutMs: this.opts.requestTimeoutMs ?? 30_000 });
  }

  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      await this.store.init();
      for (const [branch, commit] of this.known) if (!(await this.store.hasCommit(commit))) this.missing.add(branch);
    })().catch((e: unknown) => {
      this.prepared = undefined; // try again next time (e.g. the state dir was not writable yet)
      throw new SourceStoreError(this.opts.dir, e);
    });
    return this.prepared;
  }

  private async run(onEvent: (e: SourceEvent) => void | Promise<void>): Promise<void> {
    while (!this.stopping) {
      this.pendingTrigger = false; // this poll answers every trigger so far
      let events: SourceEvent[] = [];
      try {
        events = await this.pollOnce();
      } catch {
        // recorded in status() and logged once per outage by poll()
      }
      for (const e of events) {
        try {
          await onEvent(e);
        } catch (err) {
          this.opts.logger.error(`source event handler failed for ${e.type} ${e.env.branch}: ${describeError(err)}`, { branch: e.env.branch });
        }
      }
      if (this.stopping) break;
      if (this.pendingTrigger && !(this.lastError instanceof SourceAuthError)) continue;
      const delay = this.failures > 0
        ? backoffDelay(this.opts.intervalMs, this.opts.maxBackoffMs, this.failures, this.random)
        : jittered(this.opts.intervalMs, this.random);
      this.wake = new AbortController();
      await this.opts.clock.sleep(delay, this.wake.signal);
      this.wake = undefined;
    }
  }

  private async poll(): Promise<SourceEvent[]> {
    try {
      await this.prepare();
    } catch (e) {
      this.recordFailure(e as AutoinfraError);
      throw e;
    }
    this.http.beginReplay();
    try {
      let advertised: AdvertisedRef[];
      try {
        advertised = await this.listRefs();
      } catch (e) {
        this.recordFailure(this.toSourceError(e));
        throw this.lastError;
      }
      if (advertised.length === 0 && this.known.size > 0) {
        // A repository that lost every ref at once is far more likely a broken mirror or a
        // server hiccup than a real deletion: do not tear previews down on it.
        this.recordFailure(new SourceUnreachableError(this.opts.url, 'the server lists no refs at all; keeping the last known heads'));
        throw this.lastError;
      }
      const tracked = trackedRefs(advertised, this.rules);
      const events: SourceEvent[] = [];
      let fetchError: AutoinfraError | undefined;
      const ordered = [...tracked.values()].map((t) => ({ t, env: environmentFor(t, this.opts.host) })).sort((a, b) => byRank(a.env, b.env));
      for (const { t, env } of ordered) {
        const old = this.known.get(t.branch);
        if (old === t.commit && !this.missing.has(t.branch)) continue;
        try {
          const got = await this.fetch(t);
          this.known.set(t.branch, got);
          this.missing.delete(t.branch);
          if (old !== got) {
            events.push({ type: 'head-changed', env, ...(old ? { old } : {}), new: got });
            this.opts.logger.info(`${t.branch}: ${old ? old.slice(0, 10) : '(new)'} → ${got.slice(0, 10)}`, { branch: t.branch, kind: t.kind, commit: got });
          }
        } catch (e) {
          const err = this.toSourceError(e, t.branch);
          fetchError ??= err;
          this.opts.logger.debug(`fetch of ${t.branch} failed: ${err.message}`);
        }
      }
      for (const [branch, old] of [...this.known]) {
        if (tracked.has(branch)) continue;
        const env = this.environmentOf(branch);
        this.known.delete(branch);
        this.missing.delete(branch);
        await this.store.deleteRef(refForBranch(branch));
        if (env.kind !== 'preview') this.opts.logger.warn(`branch ${branch} (${env.kind}) was deleted on the server; what it deployed keeps running`, { branch, commit: old });
        events.push({ type: 'branch-deleted', env, old });
      }
      if (events.length) {
        try {
          await saveHeads(this.headsFile, this.known);
        } catch (e) {
          // The events still go out; after a restart the old file only makes them come again.
          this.opts.logger.error(`cannot save git heads to ${this.headsFile}: ${describeError(e)}`);
        }
      }
      this.lastPollAt = this.opts.clock.now();
      if (fetchError) this.recordFailure(fetchError);
      else this.recordSuccess();
      return events;
    } finally {
      this.http.endReplay();
    }
  }

  private async listRefs(): Promise<AdvertisedRef[]> {
    try {
      return await this.store.listServerRefs(this.http, this.opts.url, await this.creds.headers());
    } catch (e) {
      // A refusal may mean the token rotated: re-read the file, and retry once if it changed.
      if (isRefusal(e) && (await this.creds.reload())) {
        return this.store.listServerRefs(this.http, this.opts.url, await this.creds.headers());
      }
      throw e;
    }
  }

  private async fetch(t: TrackedRef): Promise<string> {
    const got = await this.store.fetchRef(this.http, this.opts.url, await this.creds.headers(), t.ref, this.haveRefFor(t));
    await this.store.setRef(t.ref, got);
    return got;
  }

  /** A local ref whose objects we hold, closest to `t`: its own previous head, else master, else production. */
  private haveRefFor(t: TrackedRef): string | undefined {
    const usable = (branch: string): boolean => this.known.has(branch) && !this.missing.has(branch);
    for (const branch of [t.branch, this.rules.branches.master, this.rules.branches.production]) {
      if (usable(branch)) return refForBranch(branch);
    }
    return undefined;
  }

  private toSourceError(e: unknown, branch?: string): AutoinfraError {
    if (e instanceof AutoinfraError) return e;
    const status = httpStatus(e);
    if (status === 401 || status === 403) return new SourceAuthError(this.opts.url, status, this.creds.file);
    const reason = status !== undefined ? `HTTP ${status}` : networkReason(e);
    return branch ? new SourceFetchError(this.opts.url, branch, reason, { cause: e }) : new SourceUnreachableError(this.opts.url, reason, { cause: e });
  }

  private recordFailure(err: AutoinfraError): void {
    const changed = this.lastError?.code !== err.code;
    this.failures++;
    this.lastError = err;
    if (this.failures === 1) this.outageSince = this.opts.clock.now();
    // One line when an outage starts (or its cause changes), not one per tick; quiet while stopping
    // (stop() aborts the request in flight).
    if (this.stopping) return;
    if (this.failures === 1 || changed) this.opts.logger.error(`git source failing: ${err.message}`, { code: err.code, url: this.opts.url });
    else this.opts.logger.debug(`git source still failing (${this.failures}): ${err.message}`, { code: err.code });
  }

  private recordSuccess(): void {
    if (this.failures > 0) {
      const downMs = this.opts.clock.now() - (this.outageSince ?? this.opts.clock.now());
      this.opts.logger.info(`git source recovered after ${this.failures} failed poll${this.failures === 1 ? '' : 's'} (${Math.round(downMs / 1000)} s)`, { url: this.opts.url, failures: this.failures, downMs });
    }
    this.failures = 0;
    this.lastError = undefined;
    this.outageSince = undefined;
  }
}

function httpStatus(e: unknown): number | undefined {
  const err = e as { code?: string; data?: { statusCode?: number } };
  return err?.code === 'HttpError' && typeof err.data?.statusCode === 'number' ? err.data.statusCode : undefined;
}

function isRefusal(e: unknown): boolean {
  const s = httpStatus(e);
  return s === 401 || s === 403;
}

function networkReason(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string }; message?: string };
  const code = err?.cause?.code ?? err?.code;
  return code && code !== 'HttpError' ? `${code}: ${describeError(e)}` : describeError(e);
}
