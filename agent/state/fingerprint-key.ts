// The host's key for secret fingerprints (shared/secrets/fingerprint.ts): 32 random bytes in the
// state dir, made on first use. Stable across restarts, so service hashes (which fold secrets in
// through it) do not change and redeploy; never leaves the host.
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AutoinfraError } from '../../shared/errors.js';

export const FINGERPRINT_KEY_FILE = 'fingerprint.key';

export class FingerprintKeyError extends AutoinfraError {
  static readonly code = 'E_FINGERPRINT_KEY';
  constructor(file: string, reason: string) {
    super(FingerprintKeyError.code, `secret fingerprint key ${file}: ${reason}`, { file, reason });
    this.name = 'FingerprintKeyError';
  }
}

/** The key in `<stateDir>/fingerprint.key`, created (mode 0600) when missing; two processes at once agree on one. */
export async function loadFingerprintKey(stateDir: string): Promise<Uint8Array> {
  const file = path.join(stateDir, FINGERPRINT_KEY_FILE);
  // Written whole to a temp file, then hard-linked into place: link() fails if the key exists, so
  // the first writer wins and nobody ever reads a half-written key.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    const h = await open(tmp, 'wx', 0o600);
    try { await h.writeFile(randomBytes(32)); await h.sync(); } finally { await h.close(); }
    await link(tmp, file).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
  } catch (e) {
    throw new FingerprintKeyError(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  } finally {
    await rm(tmp, { force: true });
  }
  const key = await readFile(file).catch((e: NodeJS.ErrnoException) => { throw new FingerprintKeyError(file, e.code ?? e.message); });
  // Never written short by us; refuse a damaged one rather than hash with a weak key.
  if (key.length !== 32) throw new FingerprintKeyError(file, `holds ${key.length} bytes, not 32 (delete it to make a new one; services using secrets then redeploy once)`);
  return key;
}
