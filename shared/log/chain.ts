// Building the next entry of a host's chain. Pure: the caller supplies time and the signing key.
import { createHash, sign, type KeyObject } from 'node:crypto';
import { entryLine, GENESIS_PREV, signedText, type LogEntry, type LogEntryInput, type UnsignedEntry, type Witness } from './entry.js';
import { redactDetail } from './redact.js';

/** sha256 hex of a line's exact UTF-8 bytes (the line without its newline). */
export function lineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

export function signEntry(entry: UnsignedEntry, key: KeyObject): LogEntry {
  const sig = sign(null, Buffer.from(signedText(entry), 'utf8'), key).toString('base64');
  return { ...entry, sig };
}

export interface ChainTip { seq: number; line?: string }

export interface NextEntryOptions {
  host: string;
  keyId: string;
  key: KeyObject;
  time: string;
  secrets?: readonly string[];
  /** Other hosts' tips this host saw on the branch (omitted when empty). */
  witness?: Witness;
}

/**
 * The entry after `tip` (seq + 1, prev = hash of tip's line, or genesis), with its detail
 * redacted, signed; and its line.
 */
export function appendEntry(tip: ChainTip, input: LogEntryInput, o: NextEntryOptions): { entry: LogEntry; line: string } {
  const unsigned: UnsignedEntry = {
    v: 1,
    seq: tip.seq + 1,
    time: o.time,
    host: o.host,
    env: input.env,
    ...(input.commit !== undefined ? { commit: input.commit } : {}),
    action: input.action,
    result: input.result,
    ...(input.detail !== undefined ? { detail: redactDetail(input.detail, o.secrets) } : {}),
    prev: tip.line === undefined ? GENESIS_PREV : lineHash(tip.line),
    key: o.keyId,
    ...(o.witness && Object.keys(o.witness).length ? { witness: o.witness } : {}),
  };
  const entry = signEntry(unsigned, o.key);
  return { entry, line: entryLine(entry) };
}
