// Checks that the deploy-log branch only ever appended: walking its commits oldest → newest, each
// commit's `hosts/<host>.jsonl` must start with the previous commit's bytes of that file, and no
// host file may disappear. A commit that cut, emptied, deleted or rewrote lines (then pushed, or
// force-pushed on top of the old history) is named. Rewriting the whole history leaves no trace
// here; the checkpoint and the other hosts' witnesses catch that.
import { hostOfFile } from '../../shared/log/verify.js';
import type { LogBranch } from './branch.js';

export interface HistoryReport {
  commits: number;
  problem?: { commit: string; host?: string; file?: string; reason: string };
}

const HOST_FILE = /^hosts\/[^/]+\.jsonl$/;

/** Walks first parents from `tip` back to the root, then checks each step forward. */
export async function checkAppendOnly(branch: Pick<LogBranch, 'commitParents' | 'listFiles' | 'readBlob'>, tip: string): Promise<HistoryReport> {
  const chain: string[] = [];
  for (let c: string | undefined = tip; c !== undefined;) {
    const parents = await branch.commitParents(c);
    if (parents.length > 1) return { commits: chain.length + 1, problem: { commit: c, reason: `merge commit (${parents.length} parents): the deploy-log branch must be a line of single-parent commits` } };
    chain.push(c);
    c = parents[0];
  }
  chain.reverse();
  // Previous commit's host files: path → blob oid and bytes (read only when the blob changed).
  let prev = new Map<string, { oid: string; bytes?: Buffer }>();
  for (const commit of chain) {
    const files = new Map([...(await branch.listFiles(commit))].filter(([p]) => HOST_FILE.test(p)));
    const next = new Map<string, { oid: string; bytes?: Buffer }>();
    for (const [p, oid] of files) {
      const before = prev.get(p);
      if (!before || before.oid === oid) { next.set(p, before ?? { oid }); continue; }
      const old = before.bytes ?? (await branch.readBlob(before.oid));
      const now = await branch.readBlob(oid);
      if (now.length < old.length || !now.subarray(0, old.length).equals(old)) {
        const reason = now.length < old.length && old.subarray(0, now.length).equals(now)
          ? `${p} lost ${countLines(old) - countLines(now)} line(s) from its end in this commit`
          : `${p} does not extend the previous commit's file: lines were changed or removed`;
        return { commits: chain.length, problem: { commit, host: hostOfFile(p), file: p, reason } };
      }
      next.set(p, { oid, bytes: now });
    }
    for (const p of prev.keys()) {
      if (!files.has(p)) return { commits: chain.length, problem: { commit, host: hostOfFile(p), file: p, reason: `${p} was deleted in this commit` } };
    }
    prev = next;
  }
  return { commits: chain.length };
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}
