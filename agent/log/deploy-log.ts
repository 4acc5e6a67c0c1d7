// The durable local queue of this host's log entries: `<dir>/entries.jsonl`, one signed line per
// entry, fsynced before append() resolves. A crash mid-write leaves at most a torn last line, which
// open() cuts off; seq then continues from the last whole line. Appends that arrive while a write
// is in flight are written together with one fsync (group commit).
import { SecretValues } from '../../shared/log/secret-values.js';
import { promises as fsp, constants as fsc } from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { AutoinfraError } from '../../shared/errors.js';
import { appendEntry, type ChainTip } from '../../shared/log/chain.js';
import { canonicalJson, entryShapeProblem, isValidHostName, type LogEntry, type LogEntryInput, type Witness } from '../../shared/log/entry.js';
import { keyId, loadSigningKey } from '../../shared/log/keys.js';
import type { Logger } from '../logger.js';

export class LogQueueError extends AutoinfraError {
  static readonly code = 'E_LOG_QUEUE';
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(LogQueueError.code, `deploy-log queue ${file}: ${reason}`, { file, reason }, options);
    this.name = 'LogQueueError';
  }
}

export interface Clock { now(): number }

export interface DeployLogOptions {
  /** Queue directory (under state_dir). */
  dir: string;
  host: string;
  /** Ed25519 private key, or its PKCS8 PEM. */
  signingKey: KeyObject | string;
  clock: Clock;
  logger: Logger;
  /** Values scrubbed from every entry's detail (e.g. decrypted secret values); a SecretValues is shared with the logger. */
  secrets?: SecretValues | string[];
}

export interface AppendOptions { secrets?: string[] }

interface Pending { line: string; entry: LogEntry; resolve: (e: LogEntry) => void; reject: (e: unknown) => void }

export const QUEUE_FILE = 'entries.jsonl';

export class DeployLog {
  readonly host: string;
  readonly keyId: string;
  readonly file: string;
  private readonly key: KeyObject;
  private readonly lines: string[] = [];
  private readonly list: LogEntry[] = [];
  private tip: ChainTip = { seq: 0 };
  private pending: Pending[] = [];
  private writing = false;
  private broken?: unknown;
  private readonly listeners = new Set<(e: LogEntry) => void>();
  private readonly secrets: SecretValues;
  /** Other hosts' tips to carry on the next entry, and the last witness an entry carried (canonical JSON). */
  private witnessNext?: Witness;
  private lastWitness = '{}';

  private constructor(private readonly opts: DeployLogOptions, private readonly handle: fsp.FileHandle) {
    if (!isValidHostName(opts.host)) throw new LogQueueError(opts.dir, `host name "${opts.host}" is not usable as a file name`);
    this.host = opts.host;
    this.key = loadSigningKey(opts.signingKey);
    this.keyId = keyId(this.key);
    this.file = path.join(opts.dir, QUEUE_FILE);
    this.secrets = opts.secrets instanceof SecretValues ? opts.secrets : new SecretValues(opts.secrets);
  }

  static async open(opts: DeployLogOptions): Promise<DeployLog> {
    await fsp.mkdir(opts.dir, { recursive: true, mode: 0o700 });
    const file = path.join(opts.dir, QUEUE_FILE);
    const handle = await fsp.open(file, fsc.O_RDWR | fsc.O_CREAT | fsc.O_APPEND, 0o600);
    let log: DeployLog;
    try {
      log = new DeployLog(opts, handle);
      await log.load();
    } catch (e) {
      await handle.close();
      throw e;
    }
    return log;
  }

  /** Reads the queue; cuts a torn or unreadable tail (only a crash mid-append makes one). */
  private async load(): Promise<void> {
    const buf = await this.handle.readFile();
    let good = 0;
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) break;
      const line = buf.subarray(pos, nl).toString('utf8');
      let e: LogEntry | undefined;
      try { e = JSON.parse(line) as LogEntry; } catch { e = undefined; }
      if (!e || entryShapeProblem(e) || e.seq !== this.tip.seq + 1 || e.host !== this.host) {
        this.opts.logger.error('deploy-log queue has a bad line; keeping the entries before it', { file: this.file, seq: this.tip.seq + 1 });
        break;
      }
      this.lines.push(line);
      this.list.push(e);
      this.tip = { seq: e.seq, line };
      if (e.witness) this.lastWitness = canonicalJson(e.witness);
      pos = nl + 1;
      good = pos;
    }
    if (good < buf.length) {
      this.opts.logger.warn('deploy-log queue: discarding a torn last line left by a crash', { file: this.file, bytes: buf.length - good, lastSeq: this.tip.seq });
      await this.handle.truncate(good);
      await this.handle.sync();
    }
  }

  /** Signs, chains and durably queues an entry; resolves once it is on disk. */
  append(input: LogEntryInput, o: AppendOptions = {}): Promise<LogEntry> {
    if (this.broken) return Promise.reject(new LogQueueError(this.file, 'an earlier write failed; reopen the log', { cause: this.broken }));
    const { entry, line } = appendEntry(this.tip, input, {
      host: this.host, keyId: this.keyId, key: this.key,
      time: new Date(this.opts.clock.now()).toISOString(),
      secrets: [...this.secrets.list(), ...(o.secrets ?? [])],
      witness: this.witnessNext,
    });
    this.tip = { seq: entry.seq, line };
    if (this.witnessNext) { this.lastWitness = canonicalJson(this.witnessNext); this.witnessNext = undefined; }
    return new Promise<LogEntry>((resolve, reject) => {
      this.pending.push({ line, entry, resolve, reject });
      if (!this.writing) void this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.handle.write(batch.map((p) => p.line + '\n').join(''));
        await this.handle.datasync();
      } catch (e) {
        // The chain in memory is now ahead of the disk: refuse further appends until reopened.
        this.broken = e;
        const err = new LogQueueError(this.file, `write failed: ${(e as Error).message}`, { cause: e });
        for (const p of [...batch, ...this.pending]) p.reject(err);
        this.pending = [];
        break;
      }
      for (const p of batch) {
        this.lines.push(p.line);
        this.list.push(p.entry);
        p.resolve(p.entry);
        for (const l of this.listeners) l(p.entry);
      }
    }
    this.writing = false;
  }

  /**
   * What the publisher saw of the other hosts' files at the tip it fetched. The next entry carries
   * it when it differs from the last one carried (so an idle host adds nothing, and hosts never
   * answer each other's witnesses with new entries).
   */
  witness(w: Witness): void {
    const c = canonicalJson(w);
    this.witnessNext = c === this.lastWitness || Object.keys(w).length === 0 ? undefined : w;
  }

  /** Adds a value that must never appear in any later entry. */
  addSecret(value: string): void {
    this.secrets.add(value);
  }

  /** Durable history of this host (oldest first). */
  entries(): LogEntry[] {
    return [...this.list];
  }

  lastSeq(): number {
    return this.list.length ? this.list[this.list.length - 1].seq : 0;
  }

  /** The exact line of entry `seq` (1-based), as written. */
  line(seq: number): string | undefined {
    return this.lines[seq - 1];
  }

  /** Lines with seq > `seq`, oldest first. */
  linesAfter(seq: number): string[] {
    return this.lines.slice(seq);
  }

  /** Called after each entry is durable. Returns an unsubscribe function. */
  onAppend(listener: (e: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    while (this.writing) await new Promise((r) => setTimeout(r, 1));
    await this.handle.close();
  }
}

/** Where the agent keeps the log under state_dir: the queue (DeployLog) and the publisher's git store. */
export function logPaths(stateDir: string): { queue: string; store: string } {
  return { queue: path.join(stateDir, 'log', 'queue'), store: path.join(stateDir, 'log', 'git') };
}
