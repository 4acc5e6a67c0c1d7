// Offline verification of a host's log file: seq continuity from 1, hash chain, canonical form,
// pinned key and signatures. Pure: takes the file's text, returns a report naming the first bad line.
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { canonicalJson, entryShapeProblem, GENESIS_PREV, signedText, type LogEntry } from './entry.js';
import { lineHash } from './chain.js';
import { publicKeyFromId } from './keys.js';

export interface BadLine { file: string; line?: number; reason: string }

export interface HostReport {
  host: string;
  file: string;
  lines: number;
  lastSeq: number;
  lastTime?: string;
  keys: string[];
  ok: boolean;
  problem?: BadLine;
}

/**
 * `all`: every line's signature is checked (the default).
 * `anchored`: only the last line's signature, plus the line before any chain break to name it.
 * Both prove the same thing when the chain is intact — the last signature covers, through `prev`,
 * every earlier byte — but `all` names a bad line directly; `anchored` is ~N times cheaper.
 */
export type SignatureMode = 'all' | 'anchored';

export interface VerifyOptions {
  /** Key ids pinned for this host. Empty or missing: the host fails ("no pinned key"). */
  pinned?: readonly string[];
  signatures?: SignatureMode;
  /** Precomputed signature results by 0-based line index (from worker threads); others are checked here. */
  signatureOk?: (index: number) => boolean | undefined;
}

/** `hosts/web-1.jsonl` → `web-1`. */
export function hostOfFile(file: string): string {
  const base = file.split('/').pop() ?? file;
  return base.endsWith('.jsonl') ? base.slice(0, -'.jsonl'.length) : base;
}

/** Splits a log file into lines; `torn` is set when the text does not end in a newline. */
export function splitLines(text: string): { lines: string[]; torn: boolean } {
  if (text === '') return { lines: [], torn: false };
  const lines = text.split('\n');
  const last = lines.pop();
  return { lines: last === '' ? lines : [...lines, last as string], torn: last !== '' };
}

const keyCache = new Map<string, KeyObject>();
function publicKey(id: string): KeyObject {
  let k = keyCache.get(id);
  if (!k) { k = publicKeyFromId(id); keyCache.set(id, k); }
  return k;
}

/** True when `entry.sig` is a valid signature by `entry.key` over the entry's other fields. */
export function checkSignature(entry: LogEntry): boolean {
  try {
    return verifySignature(null, Buffer.from(signedText(entry), 'utf8'), publicKey(entry.key), Buffer.from(entry.sig, 'base64'));
  } catch {
    return false;
  }
}

export function verifyHostFile(file: string, text: string, opts: VerifyOptions = {}): HostReport {
  const host = hostOfFile(file);
  const { lines, torn } = splitLines(text);
  const pinned = new Set(opts.pinned ?? []);
  const mode = opts.signatures ?? 'all';
  const report: HostReport = { host, file, lines: lines.length, lastSeq: 0, keys: [], ok: true };
  const fail = (line: number | undefined, reason: string): HostReport => ({ ...report, ok: false, problem: { file, line, reason } });
  if (pinned.size === 0) return fail(undefined, `no pinned key for host "${host}"`);
  const keys = new Set<string>();
  const sigOk = (i: number, e: LogEntry): boolean => opts.signatureOk?.(i) ?? checkSignature(e);

  let prevEntry: LogEntry | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const n = i + 1;
    if (torn && i === lines.length - 1) return fail(n, 'last line has no newline (torn write)');
    let parsed: unknown;
    try { parsed = JSON.parse(line); } catch { return fail(n, 'not valid JSON'); }
    const shape = entryShapeProblem(parsed);
    if (shape) return fail(n, shape);
    const e = parsed as LogEntry;
    // In anchored mode the chain covers every byte of earlier lines, so only the last line (whose
    // signature is checked over its canonical form) must be shown canonical; this is most of the cost.
    if ((mode === 'all' || i === lines.length - 1) && canonicalJson(e) !== line) return fail(n, 'not in canonical form (RFC 8785): the line was re-encoded or edited');
    if (e.host !== host) return fail(n, `host "${e.host}" does not match file ${file}`);
    if (e.seq !== n) {
      if (e.seq > n) return fail(n, `seq ${e.seq} where ${n} was expected: line(s) missing or reordered`);
      return fail(n, `seq ${e.seq} where ${n} was expected: line repeated or reordered`);
    }
    const expectPrev = i === 0 ? GENESIS_PREV : lineHash(lines[i - 1]);
    if (e.prev !== expectPrev) {
      // Name the line that was changed when we can: its own signature fails.
      if (mode === 'anchored' && prevEntry && !sigOk(i - 1, prevEntry)) return fail(n - 1, 'signature does not verify: the line was changed');
      return fail(n, `prev does not match the hash of line ${n - 1}: a line before was changed, removed or reordered`);
    }
    if (!pinned.has(e.key)) return fail(n, `signed by ${e.key}, which is not pinned for host "${host}"`);
    keys.add(e.key);
    if ((mode === 'all' || i === lines.length - 1) && !sigOk(i, e)) return fail(n, 'signature does not verify: the line was changed or signed by another key');
    report.lastSeq = e.seq;
    report.lastTime = e.time;
    prevEntry = e;
  }
  report.keys = [...keys];
  return report;
}

export interface LogFile { path: string; text: string }

/** Verifies every `hosts/*.jsonl` file. Hosts are reported in name order. */
export function verifyLog(files: readonly LogFile[], pinned: ReadonlyMap<string, readonly string[]>, opts: Omit<VerifyOptions, 'pinned' | 'signatureOk'> = {}): HostReport[] {
  return files
    .filter((f) => /^hosts\/[^/]+\.jsonl$/.test(f.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => verifyHostFile(f.path, f.text, { ...opts, pinned: pinned.get(hostOfFile(f.path)) }));
}
