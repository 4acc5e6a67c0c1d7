// Publishes the durable queue to the `deploy-log` branch: fetch tip → append this host's lines
// with seq above what the remote file already has (seq is the idempotency key, so a crash after
// a push never doubles a line) → regenerate README.md → commit without a work tree → fast-forward
// push. A lost race (another host pushed first) refetches and rebuilds with jittered exponential
// backoff; an unreachable git host just leaves entries queued until it answers again.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TreeEntry } from '../git/bare-repo.js';
import type { GitHttp } from '../git/http-transport.js';
import { AutoinfraError, describeError } from '../../shared/errors.js';
import { lineHash } from '../../shared/log/chain.js';
import { parseCheckpoint, renderCheckpoint, type Checkpoint } from '../../shared/log/checkpoint.js';
import type { LogEntry, Witness, WitnessMark } from '../../shared/log/entry.js';
import { writeFileAtomic } from '../state/atomic-file.js';
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

/**
 * The remote lost entries this host had published (its file cut, emptied, deleted or rewritten
 * below what this host pushed): publishing on top would bury the evidence, so nothing is pushed
 * until an operator has looked (docs/deploy-log.md, "When the remote lost entries").
 */
export class LogRemoteLostError extends AutoinfraError {
  static readonly code = 'E_LOG_REMOTE_LOST';
  constructor(host: string, reason: string, data: Record<string, unknown> = {}) {
    super(LogRemoteLostError.code, `deploy-log publish for host ${host}: ${reason}; not publishing on top of it (entries stay queued; see docs/deploy-log.md, "When the remote lost entries")`, { host, reason, ...data });
    this.name = 'LogRemoteLostError';
  }
}

/** What status shows of the publisher. */
export interface PublisherStatus {
  pending: number;
  remoteSeq: number;
  /** The last round's failure (cleared by a successful round). */
  error?: { code: string; message: string; time: string };
}

export interface LogPublisherOptions {
  log: DeployLog;
  url: string;
  /** e.g. `{ Authorization: 'Basic …' }`; never logged. */
  headers?: Record<string, string>;
  /** The git transport (timeouts); default: one with 30 s timeouts. */
  http?: GitHttp;
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
  /**
   * Where the publisher remembers the last (seq, hash) of its own file it pushed or saw on the
   * remote; default `published.json` beside the queue file (it belongs to the queue, not the store).
   */
  checkpointFile?: string;
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
  /** Our own file's mark: what we know the remote had (loaded on the first round). */
  private mark?: WitnessMark;
  private markLoaded = false;
  private readonly checkpointFile: string;
  /** Blob oid of our own file that is known to be a prefix of the queue (pushed or checked). */
  private knownOwn?: { oid: string; seq: number };
  private lastError?: PublisherStatus['error'];
  private reportedLoss = false;
  /** Last-line marks of other hosts' blobs, by blob oid (blobs never change). */
  private readonly marks = new Map<string, WitnessMark | undefined>();

  constructor(opts: LogPublisherOptions) {
    this.o = { ...defaults, ...opts } as LogPublisherOptions & typeof defaults;
    this.branch = new LogBranch({ gitdir: opts.dir, url: opts.url, headers: opts.headers, http: opts.http });
    this.checkpointFile = opts.checkpointFile ?? path.join(path.dirname(opts.log.file), 'published.json');
  }

  status(): PublisherStatus {
    return { pending: this.pending(), remoteSeq: this.remoteSeq, ...(this.lastError ? { error: { ...this.lastError } } : {}) };
  }

  private noteResult(e?: unknown): void {
    if (e === undefined) { this.lastError = undefined; return; }
    const code = e instanceof AutoinfraError ? e.code : ((e as { code?: string }).code ?? 'E_UNKNOWN');
    this.lastError = { code, message: describeError(e), time: new Date(this.o.clock.now()).toISOString() };
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
        this.noteResult();
        if (this.pending() === 0) return;
      } catch (e) {
        this.noteResult(e);
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
        this.noteResult();
        attempt = 0;
      } catch (e) {
        this.noteResult(e);
        const delay = this.backoff(attempt++, isPushConflict(e));
        if (isPushConflict(e)) this.o.logger.debug('deploy-log: lost a push race; retrying on the new tip', { attempt, delayMs: Math.round(delay) });
        else if (e instanceof LogRemoteLostError) this.o.logger.error(`deploy-log: ${e.message}`, { code: e.code, pending: this.pending(), retryInMs: Math.round(delay) });
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
    const remoteSeq = await this.checkRemote(remote, ownOid);
    this.remoteSeq = remoteSeq;
    const fresh = log.linesAfter(remoteSeq);
    if (fresh.length === 0) { this.pushedTip = optimistic; return; }

    const content = Buffer.concat([remote, Buffer.from(fresh.map((l) => l + '\n').join(''), 'utf8')]);
    const rows: ReadmeRow[] = [];
    const witness: Witness = {};
    for (const [p, oid] of files) {
      if (!/^hosts\/[^/]+\.jsonl$/.test(p) || p === ownPath) continue;
      const other = hostOfFile(p);
      let blob: Buffer | undefined;
      const read = async (): Promise<Buffer> => (blob ??= await this.branch.readBlob(oid));
      rows.push(...(await this.hostRows(other, read)));
      if (!this.marks.has(oid)) this.marks.set(oid, lastLineMark(await read()));
      const m = this.marks.get(oid);
      if (m) witness[other] = m;
    }
    // Carried by this host's next entry: the others' files as of this tip (see DeployLog.witness).
    log.witness(witness);
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
    this.knownOwn = { oid: fileOid, seq: last };
    await this.saveMark({ seq: last, hash: lineHash(log.line(last) as string) });
    this.o.onPublished?.(last);
    this.o.logger.debug('deploy-log: published', { commit, seqFrom: remoteSeq + 1, seqTo: last });
  }

  private async loadMark(): Promise<void> {
    if (this.markLoaded) return;
    let text: string | undefined;
    try { text = await readFile(this.checkpointFile, 'utf8'); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
    this.mark = text === undefined ? undefined : parseCheckpoint(this.checkpointFile, text).get(this.o.host);
    this.markLoaded = true;
  }

  private async saveMark(mark: WitnessMark): Promise<void> {
    if (this.mark && mark.seq <= this.mark.seq) return;
    const cp: Checkpoint = new Map([[this.o.host, mark]]);
    await writeFileAtomic(this.checkpointFile, renderCheckpoint(cp));
    this.mark = mark;
  }

  /**
   * The remote file's last seq. Refuses to publish when the remote is not a prefix of our queue,
   * or holds less than this host already published (the checkpoint): the branch lost our entries.
   */
  private async checkRemote(remote: Buffer, oid: string | undefined): Promise<number> {
    await this.loadMark();
    if (oid !== undefined && oid === this.knownOwn?.oid) return this.knownOwn.seq;
    const { host, log } = this.o;
    const lost = (reason: string, data: Record<string, unknown>): never => {
      const err = new LogRemoteLostError(host, reason, { checkpointSeq: this.mark?.seq, ...data });
      if (!this.reportedLoss) {
        this.reportedLoss = true;
        // A signed, queued record of the incident: it is published with the rest after recovery.
        void log.append({ env: '-', action: 'failed', result: 'failed', detail: { code: err.code, reason } }).catch(() => undefined);
      }
      throw err;
    };
    const seq = this.checkRemoteTail(remote);
    // Byte-compare the whole file once per new blob: a rewritten middle line keeps the last line.
    let pos = 0;
    for (let n = 1; n <= seq; n++) {
      const nl = remote.indexOf(0x0a, pos);
      const line = remote.subarray(pos, nl < 0 ? remote.length : nl);
      if (nl < 0 || !line.equals(Buffer.from(log.line(n) ?? '', 'utf8'))) {
        if (this.mark && n <= this.mark.seq) lost(`the remote hosts/${host}.jsonl line seq ${n} is not the line this host published: the file was rewritten`, { remoteSeq: seq, seq: n });
        throw new LogPublishError(host, `the remote line seq ${n} differs from the local queue: the chains forked`, { remoteSeq: seq });
      }
      pos = nl + 1;
    }
    if (this.mark && seq < this.mark.seq) {
      lost(oid === undefined
        ? `the remote hosts/${host}.jsonl is missing but this host published up to seq ${this.mark.seq}: the file was deleted`
        : seq === 0
          ? `the remote hosts/${host}.jsonl is empty but this host published up to seq ${this.mark.seq}: the file was emptied`
          : `the remote hosts/${host}.jsonl ends at seq ${seq} but this host published up to seq ${this.mark.seq}: lines were removed`, { remoteSeq: seq });
    }
    if (oid !== undefined) this.knownOwn = { oid, seq };
    if (seq > 0) await this.saveMark({ seq, hash: lineHash(log.line(seq) as string) });
    return seq;
  }

  /** The seq of the remote file's last line; refuses when it is not JSON or is beyond our queue. */
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

/** (seq, hash) of the last line of a host file's bytes, or undefined when it has no readable last line. */
function lastLineMark(content: Buffer): WitnessMark | undefined {
  if (content.length === 0 || content[content.length - 1] !== 0x0a) return undefined;
  const end = content.length - 1;
  const line = content.subarray(content.lastIndexOf(0x0a, end - 1) + 1, end).toString('utf8');
  try {
    const seq = (JSON.parse(line) as { seq?: unknown }).seq;
    return Number.isSafeInteger(seq) && (seq as number) >= 1 ? { seq: seq as number, hash: lineHash(line) } : undefined;
  } catch { return undefined; }
}
