// The deploy-log line format (see docs/deploy-log.md): one canonical JSON object (RFC 8785) per
// line, hash-chained to the previous line and signed with the host's Ed25519 key. Pure.
import canonicalize from 'canonicalize';

export const LOG_ACTIONS = [
  'agent-start', 'agent-stop', 'head-seen', 'preflight', 'pull', 'build', 'start', 'health', 'switch', 'drain',
  'remove', 'prune', 'drift-repair', 'watch-revert', 'failed', 'live', 'preview-created', 'preview-removed',
  'mirror-summary', 'teardown',
] as const;
export type LogAction = (typeof LOG_ACTIONS)[number];
export type LogResult = 'ok' | 'failed' | 'info';
export const LOG_RESULTS: readonly LogResult[] = ['ok', 'failed', 'info'];

export interface LogEntryInput {
  env: string;
  commit?: string;
  action: LogAction;
  result: LogResult;
  detail?: Record<string, unknown>;
}

/** What a host saw of another host's file on the branch: its last line's seq and sha256 hex. */
export interface WitnessMark { seq: number; hash: string }
/** Other hosts' files as seen at the fetched tip, by host name. */
export type Witness = Record<string, WitnessMark>;

export interface LogEntry extends LogEntryInput {
  v: 1;
  seq: number;
  time: string;
  host: string;
  /** sha256 hex of the previous line's exact bytes (without its newline); GENESIS_PREV for seq 1. */
  prev: string;
  /** `ed25519:<base64 raw public key>` */
  key: string;
  /** base64 Ed25519 signature over `signedBytes(entry)`. */
  sig: string;
  /**
   * (optional) the other hosts' latest (seq, hash) this host had seen on the branch, carried by the
   * first entry after a publish round that saw something new: a host's truncated file then shows
   * in the others' signed chains.
   */
  witness?: Witness;
}

export type UnsignedEntry = Omit<LogEntry, 'sig'>;

export const GENESIS_PREV = '0'.repeat(64);

/** RFC 8785 canonical JSON. Fields that are undefined are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  const s = canonicalize(value);
  if (s === undefined) throw new TypeError('value has no JSON form');
  return s;
}

/** What the signature covers: the canonical JSON of every field except `sig`, as UTF-8. */
export function signedText(entry: UnsignedEntry | LogEntry): string {
  const { sig: _sig, ...rest } = entry as LogEntry;
  return canonicalJson(rest);
}

/** The line as stored in `hosts/<host>.jsonl` (without the newline). */
export function entryLine(entry: LogEntry): string {
  return canonicalJson(entry);
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Host names become file names on the branch: keep them to a safe set. */
export function isValidHostName(host: string): boolean {
  return HOST_NAME.test(host) && !host.includes('..');
}

const FIELDS = new Set(['v', 'seq', 'time', 'host', 'env', 'commit', 'action', 'result', 'detail', 'prev', 'key', 'sig', 'witness']);
const HEX64 = /^[0-9a-f]{64}$/;

/** True when `sig` is the one canonical base64 text of 64 bytes (no other padding, no stray trailing bits). */
export function isCanonicalSignature(sig: string): boolean {
  if (!/^[A-Za-z0-9+/]{86}==$/.test(sig)) return false;
  const raw = Buffer.from(sig, 'base64');
  return raw.length === 64 && raw.toString('base64') === sig;
}

function witnessProblem(w: unknown, host: unknown): string | undefined {
  if (typeof w !== 'object' || w === null || Array.isArray(w)) return 'witness is not an object';
  for (const [h, m] of Object.entries(w as Record<string, unknown>)) {
    if (!isValidHostName(h)) return `witness names "${h}", not a valid host name`;
    if (h === host) return 'witness names the host itself';
    const mark = m as Record<string, unknown> | null;
    if (typeof mark !== 'object' || mark === null || Object.keys(mark).some((k) => k !== 'seq' && k !== 'hash')) return `witness.${h} is not {seq, hash}`;
    if (!Number.isSafeInteger(mark.seq) || (mark.seq as number) < 1) return `witness.${h}.seq is not a positive integer`;
    if (typeof mark.hash !== 'string' || !HEX64.test(mark.hash)) return `witness.${h}.hash is not a sha256 hex digest`;
  }
  return undefined;
}
const ACTIONS: ReadonlySet<string> = new Set(LOG_ACTIONS);

/**
 * Checks a parsed line has the shape of an entry. Returns the reason it does not, or undefined.
 * (Shape only: chain and signature are checked by verify.ts.)
 */
export function entryShapeProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const e = v as Record<string, unknown>;
  for (const k in e) if (!FIELDS.has(k)) return `unknown field "${k}"`;
  if (e.v !== 1) return `unsupported format version ${JSON.stringify(e.v)}`;
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return 'seq is not a positive integer';
  if (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) return 'time is not an ISO-8601 time';
  if (typeof e.host !== 'string' || !isValidHostName(e.host)) return 'host is missing or not a valid host name';
  if (typeof e.env !== 'string') return 'env is missing';
  if (e.commit !== undefined && typeof e.commit !== 'string') return 'commit is not a string';
  if (!ACTIONS.has(e.action as string)) return `unknown action ${JSON.stringify(e.action)}`;
  if (!(LOG_RESULTS as readonly string[]).includes(e.result as string)) return `unknown result ${JSON.stringify(e.result)}`;
  if (e.detail !== undefined && (typeof e.detail !== 'object' || e.detail === null || Array.isArray(e.detail))) return 'detail is not an object';
  if (typeof e.prev !== 'string' || !HEX64.test(e.prev)) return 'prev is not a sha256 hex digest';
  if (typeof e.key !== 'string' || !e.key.startsWith('ed25519:')) return 'key is not an ed25519 key id';
  // Base64 decoders ignore stray trailing bits: without this check one signature has 4 spellings.
  if (typeof e.sig !== 'string' || !isCanonicalSignature(e.sig)) return 'sig is not the canonical base64 encoding of a 64-byte Ed25519 signature';
  if (e.witness !== undefined) return witnessProblem(e.witness, e.host);
  return undefined;
}
