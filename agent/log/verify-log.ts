// Verifies a whole deploy log: the pure checks of shared/log/verify.ts, with the signatures of
// large files checked on worker threads first.
import type { PinnedKey } from '../../shared/log/pinned-keys.js';
import { splitLines, verifyLog, hostOfFile, type HostReport, type LogFile, type LogVerifyOptions, type SignatureMode } from '../../shared/log/verify.js';
import { checkSignaturesInParallel } from './signature-workers.js';

export async function verifyLogFiles(
  files: readonly LogFile[],
  pinned: ReadonlyMap<string, readonly (string | PinnedKey)[]>,
  mode: SignatureMode = 'all',
  opts: Omit<LogVerifyOptions, 'signatures' | 'signatureOk'> = {},
): Promise<HostReport[]> {
  const results = new Map<string, Uint8Array>();
  if (mode === 'all') {
    for (const f of files.filter((x) => /^hosts\/[^/]+\.jsonl$/.test(x.path))) {
      if (pinned.get(hostOfFile(f.path))?.length) results.set(f.path, await checkSignaturesInParallel(splitLines(f.text).lines));
    }
  }
  const signatureOk = (p: string): ((i: number) => boolean | undefined) | undefined => {
    const r = results.get(p);
    return r && ((i) => (r[i] === 0 ? undefined : r[i] === 1));
  };
  return verifyLog(files, pinned, { ...opts, signatures: mode, signatureOk });
}
