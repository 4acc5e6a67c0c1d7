// The last good heads, persisted so a restart neither refetches nor re-announces what was seen.
// Kept inside the object store's directory: if the store is wiped, the heads go with it (heads
// without their objects would be worse than none).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../state/atomic-file.js';

export const HEADS_FILE = 'autoinfra-heads.json';

interface HeadsDocument { version: 1; heads: Record<string, string> }

export function headsFilePath(storeDir: string): string {
  return path.join(storeDir, HEADS_FILE);
}

/**
 * Branch → commit; empty when the file does not exist. A corrupt file is treated as empty (the
 * next poll refetches). Synchronous so that heads() is right from construction.
 */
export function loadHeads(file: string): { heads: Map<string, string>; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { heads: new Map() };
    return { heads: new Map(), problem: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  try {
    const doc = JSON.parse(text) as HeadsDocument;
    if (doc.version !== 1 || typeof doc.heads !== 'object' || doc.heads === null) throw new Error('unknown version');
    const heads = new Map<string, string>();
    for (const [b, c] of Object.entries(doc.heads)) if (typeof c === 'string' && /^[0-9a-f]{40}$/.test(c)) heads.set(b, c);
    return { heads };
  } catch (e) {
    return { heads: new Map(), problem: `ignoring unreadable ${file}: ${(e as Error).message}` };
  }
}

export async function saveHeads(file: string, heads: Map<string, string>): Promise<void> {
  const doc: HeadsDocument = { version: 1, heads: Object.fromEntries([...heads].sort(([a], [b]) => a.localeCompare(b))) };
  await writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`, 0o644);
}
