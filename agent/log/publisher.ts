// Publishes the durable queue to the `deploy-log` branch: fetch tip → append this host's lines
// with seq above what the remote file already has (seq is the idempotency key, so a crash after
// a push never doubles a line) → regenerate README.md → commit without a work tree → fast-forward
// push. A lost race (another host pushed first) refetches and rebuilds with jittered exponential
// backoff; an unreachable git host just leaves entries queued until it answers again.
import type { HttpClient, TreeEntry } from 'isomorphic-git';
import { AutoinfraError, describeError } from '../../shared/errors.js';
import type { LogEntry } from '../../shared/log/entry.js';
import { foldSummary, renderReadme, type HostSummary, type ReadmeRow } from '../../shared/log/readme.js';
import { hostOfFile } from '../../shared/log/verify.js';
import type { Logger } from '../logger.js';
import { isPushConflict, LogBranch } from './branch.js';
import type { Clock, DeployLog } from './deploy-log.js';

export class LogPublishError extends AutoinfraError {
  static readonly code = 'E_LOG_PUBLISH';
  constructor(host: string, reason: string, data: Record<string, unknown> = {}) {
    super(LogPublishError.code, `deploy-log publish for host ${host}: ${reason}`, { host, reason, ...data });
    this.name = 'LogPublishError';
  }
}

export interface LogPublisherOptions {
  log: DeployLog;
  url: string;
  /** e.g. `{ Authorization: 'Basic …' }`; never logged. */
  headers?: Record<string, string>;
  /** isomorphic-git HTTP client, e.g. one with request timeouts; default isomorphic-git/http/node (no timeout). */
  http?: HttpClient;
  /** stop() waits at most this long for a push in flight (it is retried after the restart). */
  stopTimeoutMs?: number;
  /** The publisher's own bare git store. */
  dir: string;
  host: string;
  clock: Clock;
  logger: Logger;
  random?: () => number;
  /** Wait this long after the first new entry before pushing, to batch a burst into one commit. */
  batchMs?: number;
  /** First retry delay; doubles per failed attempt up to maxBackoffMs, jittered ×0.5–1.5. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** flush() gives up after this many lost races in a row. */
  maxAttempts?: number;
  /** What each env of this host runs now; overrides this host's README rows computed from the log. */
  summary?: () => ReadmeRow[];
  /** Called after each successful push with the highest seq now on the remote (metrics, benches). */
  onPublished?: (lastSeq: number) => void;
}

const defaults = Object.freeze({ batchMs: 500, backoffMs: 250, maxBackoffMs: 60_000, maxAttempts: 50, stopTimeoutMs: 5000 });

interface HostCache { bytes: number; summary: HostSummary }

export class LogPublisher {
  private readonly o: LogPublisherOptions & typeof defaults;
  private readonly branch: LogBranch;
  private remoteSeq = 0;
  private mutex: Promise<unknown> = Promise.resolve();
  private running = false;
  private loopDone?: Promise<void>;
  private wakeOnAppend?: () => void;
  private readonly wakeOnStop = new Set<() => void>();
  private unsubscribe?: () => void;
  private readonly summaries = new Map<string, HostCache>();
  /**
   * The branch tip as of our own last successful push. The next round builds on it without listing
   * the remote first (2 requests instead of 3); if the tip moved meanwhile, the push stops at its
   * ref discovery and the round after lists and fetches as usual.
   */
  private pushedTip?: string;

  constructor(opts: LogPublisherOptions) {
    this.o = { ...defaults, ...opts } as LogPublisherOptions & typeof defaults;
    this.branch = new LogBranch({ gitdir: opts.dir, url: opts.url, headers: opts.headers, http: opts.http });
  }

  /** Entries in the local queue the remote is not known to have (all of them until the first fetch). */
  pending(): number {
    return Math.max(0, this.o.log.lastSeq() - this.remoteSeq);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.o.log.onAppend(() => this.wakeOnAppend?.());
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    for (const w of [...this.wakeOnStop]) w();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.o.stopTimeoutMs); });
    await Promise.race([this.loopDone, timeout]).finally(() => clearTimeout(timer));
  }

  /** Pushes everything queued now; retries lost races, throws when the git host cannot be reached. */
  async flush(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.locked(() => this.publishOnce());
        if (this.pending() === 0) return;
      } catch (e) {
        if (!isPushConflict(e) || attempt + 1 >= this.o.maxAttempts) throw e;
        await this.sleep(this.backoff(attempt, true));
      }
    }
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    let first = true;
    while (this.running) {
      if (!first && attempt === 0) {
        if (this.pending() === 0) await this.sleep(Infinity, true);
        if (!this.running) break;
        await this.sleep(this.o.batchMs);
      }
      first = false;
      try {
        await this.locked(() => this.publishOnce());
        attempt = 0;
      } catch (e) {
        const delay = this.backoff(attempt++, isPushConflict(e));
        if (isPushConflict(e)) this.o.logger.debug('deploy-log: lost a push race; retrying on the new tip', { attempt, delayMs: Math.round(delay) });
        else this.o.logger.warn('deploy-log: cannot publish; entries stay queued', { error: describeError(e), pending: this.pending(), retryInMs: Math.round(delay) });
        await this.sleep(delay);
      }
    }
  }

  /**
   * Exponential backoff. An unreachable git host: ×0.5–1.5 jitter up to maxBackoffMs. A lost race:
   * "full jitter" (uniform in 0…base), which spreads N contending hosts over the window so that
   * about one tries at a time instead of all of them refetching and losing again every round.
   */
  private backoff(attempt: number, conflict = false): number {
    const base = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** Math.min(attempt, 30));
    const r = (this.o.random ?? Math.random)();
    return conflict ? base * r : base * (0.5 + r);
  }

  /** Waits `ms`, or less when stop() is called (or, with `untilAppend`, when an entry is queued). */
  private sleep(ms: number, untilAppend = false): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => { if (timer) clearTimeout(timer); this.wakeOnStop.delete(done); resolve(); };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      this.wakeOnStop.add(done);
      this.wakeOnAppend = untilAppend ? done : undefined;
      if (!this.running && untilAppend) done();
    });
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(fn, fn);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  /** One fetch → rebuild → push round. */
  private async publishOnce(): Promise<void> {
    const { log, host } = this.o;
    const optimistic = this.pushedTip;
    this.pushedTip = undefined;
    const tip = optimistic ?? (await this.branch.fetchTip());
    const files = tip ? await this.branch.listFiles(tip) : new Map<string, string>();
    const ownPath = `hosts/${host}.jsonl`;
    const ownOid = files.get(ownPath);
    const remote = ownOid ? await this.branch.readBlob(ownOid) : Buffer.alloc(0);
    const remoteSeq = this.checkRemoteTail(remote);
    this.remoteSeq = remoteSeq;
    const fresh = log.linesAfter(remoteSeq);
    if (fresh.length === 0) { this.pushedTip = optimistic; return; }

    const content = Buffer.concat([remote, Buffer.from(fresh.map((l) => l + '\n').join(''), 'utf8')]);
    const rows: ReadmeRow[] = [];
    for (const [p, oid] of files) {
      if (!/^hosts\/[^/]+\.jsonl$/.test(p) || p === ownPath) continue;
      rows.push(...(await this.hostRows(hostOfFile(p), () => this.branch.readBlob(oid))));
    }
    let own = await this.hostRows(host, async () => content);
    const override = this.o.summary?.();
    if (override) {
      const envs = new Set(override.map((r) => r.env));
      own = [...own.filter((r) => !envs.has(r.env)), ...override.map((r) => ({ ...r, host }))];
    }
    rows.push(...own);

    const root = await this.branch.rootTree(tip);
    const hostsTreeOid = root.find((e) => e.path === 'hosts' && e.type === 'tree')?.oid;
    const hostsEntries = hostsTreeOid ? await this.branch.subTree(hostsTreeOid) : [];
    const fileOid = await this.branch.writeBlob(content);
    const hostsOid = await this.branch.writeTree(replaceEntry(hostsEntries, { mode: '100644', path: `${host}.jsonl`, oid: fileOid, type: 'blob' }));
    const readmeOid = await this.branch.writeBlob(renderReadme(rows));
    let rootEntries = replaceEntry(root, { mode: '040000', path: 'hosts', oid: hostsOid, type: 'tree' });
    rootEntries = replaceEntry(rootEntries, { mode: '100644', path: 'README.md', oid: readmeOid, type: 'blob' });
    const tree = await this.branch.writeTree(rootEntries);
    const last = remoteSeq + fresh.length;
    const commit = await this.branch.writeCommit({
      tree, parent: tip,
      message: `${host}: ${fresh.length === 1 ? `seq ${last}` : `seq ${remoteSeq + 1}–${last}`}\n`,
      name: `autoinfra ${host}`, email: `autoinfra@${host}.invalid`,
      timestamp: Math.floor(this.o.clock.now() / 1000),
    });
    try {
      await this.branch.push(commit, tip);
    } catch (e) {
      // Built on a stale guess of the tip: not a lost race, redo the round at once from the real tip.
      if (optimistic && isPushConflict(e)) return this.publishOnce();
      throw e;
    }
    this.pushedTip = commit;
    this.remoteSeq = last;
    this.o.onPublished?.(last);
    this.o.logger.debug('deploy-log: published', { commit, seqFrom: remoteSeq + 1, seqTo: last });
  }

  /** The remote file's last seq; refuses to publish when the remote is not a prefix of our queue. */
  private checkRemoteTail(remote: Buffer): number {
    if (remote.length === 0) return 0;
    const end = remote[remote.length - 1] === 0x0a ? remote.length - 1 : remote.length;
    const start = remote.lastIndexOf(0x0a, end - 1) + 1;
    const lastLine = remote.subarray(start, end).toString('utf8');
    let seq: number;
    try { seq = (JSON.parse(lastLine) as LogEntry).seq; } catch { throw new LogPublishError(this.o.host, 'the last line of the remote file is not JSON; not publishing on top of it'); }
    if (!Number.isSafeInteger(seq) || seq > this.o.log.lastSeq()) {
      throw new LogPublishError(this.o.host, `the remote file ends at seq ${seq} but the local queue only has ${this.o.log.lastSeq()} (was the state directory lost?)`, { remoteSeq: seq });
    }
    if (this.o.log.line(seq) !== lastLine) {
      throw new LogPublishError(this.o.host, `the remote line seq ${seq} differs from the local queue: the chains forked`, { remoteSeq: seq });
    }
    return seq;
  }

  /** README rows of one host, folding only the bytes appended since the last time (files only grow). */
  private async hostRows(host: string, read: () => Promise<Buffer>): Promise<ReadmeRow[]> {
    const content = await read();
    let c = this.summaries.get(host);
    if (!c || content.length < c.bytes) c = { bytes: 0, summary: new Map() };
    let pos = c.bytes;
    const summary: HostSummary = new Map([...c.summary].map(([k, v]) => [k, { ...v }]));
    while (pos < content.length) {
      const nl = content.indexOf(0x0a, pos);
      if (nl < 0) break;
      try { foldSummary(summary, JSON.parse(content.subarray(pos, nl).toString('utf8')) as LogEntry); } catch { /* a bad line is verify's business */ }
      pos = nl + 1;
    }
    this.summaries.set(host, { bytes: pos, summary });
    return [...summary.values()];
  }
}

function replaceEntry(entries: TreeEntry[], e: TreeEntry): TreeEntry[] {
  return [...entries.filter((x) => x.path !== e.path), e];
}
