// Verifies a whole deploy log: the pure checks of shared/log/verify.ts, with the signatures of
// large files checked on worker threads first.
import { splitLines, verifyHostFile, hostOfFile, type HostReport, type LogFile, type SignatureMode } from '../../shared/log/verify.js';
import { checkSignaturesInParallel } from './signature-workers.js';

export async function verifyLogFiles(files: readonly LogFile[], pinned: ReadonlyMap<string, readonly string[]>, mode: SignatureMode = 'all'): Promise<HostReport[]> {
  const hostFiles = files.filter((f) => /^hosts\/[^/]+\.jsonl$/.test(f.path)).sort((a, b) => (a.path < b.path ? -1 : 1));
  const reports: HostReport[] = [];
  for (const f of hostFiles) {
    const keys = pinned.get(hostOfFile(f.path));
    let signatureOk: ((i: number) => boolean | undefined) | undefined;
    if (mode === 'all' && keys?.length) {
      const results = await checkSignaturesInParallel(splitLines(f.text).lines);
      signatureOk = (i) => (results[i] === 0 ? undefined : results[i] === 1);
    }
    reports.push(verifyHostFile(f.path, f.text, { pinned: keys, signatures: mode, signatureOk }));
  }
  return reports;
}
