// Offline verification of a host's log file: seq continuity from 1, hash chain, canonical form,
// pinned key and signatures. Pure: takes the file's text, returns a report naming the first bad line.
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { canonicalJson, entryShapeProblem, GENESIS_PREV, signedText, type LogEntry, type WitnessMark } from './entry.js';
import { lineHash } from './chain.js';
import { publicKeyFromId } from './keys.js';
import { keyWindowProblem, notYetValid, type PinnedKey } from './pinned-keys.js';
import { regressionProblem, type Checkpoint } from './checkpoint.js';

export interface BadLine { file: string; line?: number; reason: string }

export interface HostReport {
  host: string;
  file: string;
  lines: number;
  lastSeq: number;
  lastTime?: string;
  keys: string[];
  /** sha256 hex of the last line (what a checkpoint or a witness records). */
  lastHash?: string;
  /** The highest (seq, hash) of each other host that this file's lines witnessed, and the line saying so. */
  witnessed: Map<string, WitnessMark & { line: number }>;
  ok: boolean;
  problem?: BadLine;
  /** Set when the host is pinned but has no entries and that is allowed (not started yet). */
  note?: string;
}

/**
 * `all`: every line's signature is checked (the default).
 * `anchored`: only the last line's signature, plus the line before any chain break to name it.
 * Both prove the same thing when the chain is intact — the last signature covers, through `prev`,
 * every earlier byte — but `all` names a bad line directly; `anchored` is ~N times cheaper.
 */
export type SignatureMode = 'all' | 'anchored';

export interface VerifyOptions {
  /** Keys pinned for this host (ids, or with a validity window). Empty or missing: the host fails ("no pinned key"). */
  pinned?: readonly (string | PinnedKey)[];
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
  const pinned = new Map((opts.pinned ?? []).map((k) => (typeof k === 'string' ? { key: k } : k)).map((k) => [k.key, k]));
  const mode = opts.signatures ?? 'all';
  const report: HostReport = { host, file, lines: lines.length, lastSeq: 0, keys: [], witnessed: new Map(), ok: true };
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
    const pin = pinned.get(e.key);
    if (!pin) return fail(n, `signed by ${e.key}, which is not pinned for host "${host}"`);
    const outside = keyWindowProblem(pin, e.seq, e.time);
    if (outside) return fail(n, outside);
    keys.add(e.key);
    for (const [h, m] of Object.entries(e.witness ?? {})) {
      const had = report.witnessed.get(h);
      if (!had || m.seq >= had.seq) report.witnessed.set(h, { seq: m.seq, hash: m.hash, line: n });
    }
    if ((mode === 'all' || i === lines.length - 1) && !sigOk(i, e)) return fail(n, 'signature does not verify: the line was changed or signed by another key');
    report.lastSeq = e.seq;
    report.lastTime = e.time;
    prevEntry = e;
  }
  report.keys = [...keys];
  if (lines.length) report.lastHash = lineHash(lines[lines.length - 1]);
  return report;
}

export interface LogFile { path: string; text: string }

export interface LogVerifyOptions {
  signatures?: SignatureMode;
  /** Precomputed signature results per file path (see VerifyOptions.signatureOk). */
  signatureOk?: (path: string) => ((index: number) => boolean | undefined) | undefined;
  /** Now, in ms: a host whose every key is pinned `since` a later time may have no entries yet. */
  now?: number;
  /** Pinned hosts allowed to have no entries yet (`--allow-missing`). */
  allowMissing?: readonly string[];
  /** Marks a previous verification saw: each host's file must still reach its mark. */
  checkpoint?: { file: string; marks: Checkpoint };
}

const HOST_FILE = /^hosts\/[^/]+\.jsonl$/;

/**
 * Verifies the whole log: every `hosts/*.jsonl` file on its own, then what one file alone cannot
 * show — a pinned host with no entries, and a file that no longer reaches a (seq, hash) another
 * host witnessed or the checkpoint remembers (truncated, emptied, deleted or rewritten). Hosts are
 * reported in name order.
 */
export function verifyLog(files: readonly LogFile[], pinned: ReadonlyMap<string, readonly (string | PinnedKey)[]>, opts: LogVerifyOptions = {}): HostReport[] {
  const texts = new Map(files.filter((f) => HOST_FILE.test(f.path)).map((f) => [hostOfFile(f.path), f]));
  const reports = new Map<string, HostReport>();
  for (const [host, f] of texts) {
    reports.set(host, verifyHostFile(f.path, f.text, { signatures: opts.signatures, pinned: pinned.get(host), signatureOk: opts.signatureOk?.(f.path) }));
  }
  const missing = (host: string): HostReport => ({ host, file: `hosts/${host}.jsonl`, lines: 0, lastSeq: 0, keys: [], witnessed: new Map(), ok: true });
  const failWith = (host: string, problem: BadLine): void => {
    const r = reports.get(host) ?? missing(host);
    if (r.ok) reports.set(host, { ...r, ok: false, note: undefined, problem });
  };

  // A pinned host with no entries: deleted or emptied, unless it is known not to have started.
  for (const [host, keys] of pinned) {
    const r = reports.get(host);
    if (r && r.lines > 0) continue;
    const allowed = opts.allowMissing?.includes(host) || (opts.now !== undefined && notYetValid(keys.map((k) => (typeof k === 'string' ? { key: k } : k)), opts.now));
    if (allowed) { reports.set(host, { ...(r ?? missing(host)), note: 'pinned but has no entries yet (allowed)' }); continue; }
    failWith(host, { file: `hosts/${host}.jsonl`, reason: `host "${host}" is pinned but has ${r ? 'an empty log file' : 'no log file'}: deleted, emptied, or never published (--allow-missing ${host} for a host not started yet)` });
  }

  // Marks others saw: each must still be there, same hash at the same seq.
  const claims: { host: string; mark: WitnessMark; who: string }[] = [];
  for (const [host, mark] of opts.checkpoint?.marks ?? []) claims.push({ host, mark, who: `the checkpoint ${opts.checkpoint!.file}` });
  for (const r of reports.values()) {
    if (!r.ok) continue;
    for (const [host, m] of r.witnessed) claims.push({ host, mark: m, who: `host ${r.host} (${r.file}:${m.line})` });
  }
  for (const c of claims) {
    const f = texts.get(c.host);
    const p = regressionProblem(f?.text, reports.get(c.host)?.lines ?? 0, c.mark, c.who);
    if (p) failWith(c.host, { file: f?.path ?? `hosts/${c.host}.jsonl`, line: p.line, reason: p.reason });
  }
  return [...reports.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}
