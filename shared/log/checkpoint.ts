// What a verifier (or the publisher, for its own file) remembers of the log it last verified: the
// last (seq, hash) per host. A later log must reach every remembered mark with the same hash at
// that seq, or lines were removed or rewritten since (what CT monitors and Rekor clients check).
// Pure: parses and renders the file's text; the caller writes it atomically.
import { InvalidInputError } from '../errors.js';
import { isValidHostName, type WitnessMark } from './entry.js';
import { lineHash } from './chain.js';

export class CheckpointError extends InvalidInputError {
  static readonly code = 'E_LOG_CHECKPOINT';
  constructor(file: string, reason: string, path?: string) {
    super(CheckpointError.code, `invalid deploy-log checkpoint ${file}`, [{ file, path, reason }]);
    this.name = 'CheckpointError';
  }
}

/** Host name → the last (seq, sha256 hex of that line) verified. */
export type Checkpoint = Map<string, WitnessMark>;

export function parseCheckpoint(file: string, text: string): Checkpoint {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch { throw new CheckpointError(file, 'not JSON'); }
  const d = doc as { version?: unknown; hosts?: unknown } | null;
  if (d?.version !== 1) throw new CheckpointError(file, 'expected "version": 1', 'version');
  if (typeof d.hosts !== 'object' || d.hosts === null || Array.isArray(d.hosts)) throw new CheckpointError(file, 'expected an object of host → {seq, hash}', 'hosts');
  const out: Checkpoint = new Map();
  for (const [host, m] of Object.entries(d.hosts as Record<string, unknown>)) {
    const mark = m as { seq?: unknown; hash?: unknown } | null;
    if (!isValidHostName(host) || !Number.isSafeInteger(mark?.seq) || (mark?.seq as number) < 1 || typeof mark?.hash !== 'string' || !/^[0-9a-f]{64}$/.test(mark.hash)) {
      throw new CheckpointError(file, 'expected {"seq": <integer ≥ 1>, "hash": <sha256 hex>} under a valid host name', `hosts.${host}`);
    }
    out.set(host, { seq: mark.seq as number, hash: mark.hash });
  }
  return out;
}

export function renderCheckpoint(cp: Checkpoint): string {
  const hosts: Record<string, WitnessMark> = {};
  for (const h of [...cp.keys()].sort()) hosts[h] = { seq: cp.get(h)!.seq, hash: cp.get(h)!.hash };
  return JSON.stringify({ version: 1, hosts }, null, 2) + '\n';
}

/** The `seq`-th line (1-based) of a log file's text, or undefined when the file is shorter. */
export function lineAt(text: string, seq: number): string | undefined {
  let pos = 0;
  for (let n = 1; n < seq; n++) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) return undefined;
    pos = nl + 1;
  }
  if (pos >= text.length) return undefined;
  const nl = text.indexOf('\n', pos);
  return nl < 0 ? undefined : text.slice(pos, nl);
}

/**
 * Why a host's file (undefined: absent) does not reach `mark` that `who` saw, or undefined when it
 * does. `lastSeq` is the file's line count.
 */
export function regressionProblem(text: string | undefined, lastSeq: number, mark: WitnessMark, who: string): { line?: number; reason: string } | undefined {
  if (text === undefined || lastSeq === 0) {
    return { reason: `${text === undefined ? 'file is missing' : 'file is empty'} but ${who} saw seq ${mark.seq}: the file was ${text === undefined ? 'deleted' : 'emptied'}` };
  }
  if (lastSeq < mark.seq) return { line: lastSeq, reason: `ends at seq ${lastSeq} but ${who} saw seq ${mark.seq}: lines were removed from the end` };
  const line = lineAt(text, mark.seq);
  if (line === undefined || lineHash(line) !== mark.hash) return { line: mark.seq, reason: `line seq ${mark.seq} is not the line ${who} saw (hash ${mark.hash.slice(0, 12)}…): the history was rewritten` };
  return undefined;
}

/** The checkpoint after a successful verification: every host at its file's last line (never lower). */
export function advanceCheckpoint(old: Checkpoint | undefined, tips: Iterable<{ host: string; lastSeq: number; lastHash?: string }>): Checkpoint {
  const next: Checkpoint = new Map(old ?? []);
  for (const t of tips) {
    const had = next.get(t.host);
    if (t.lastHash !== undefined && t.lastSeq > 0 && (!had || t.lastSeq >= had.seq)) next.set(t.host, { seq: t.lastSeq, hash: t.lastHash });
  }
  return next;
}
