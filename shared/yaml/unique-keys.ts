// Duplicate mapping keys, found in one pass. The yaml library's own `uniqueKeys` check compares
// each new key with every earlier key of its mapping (quadratic: 60 000 keys took 68 s), so we
// turn it off and keep a Set per mapping. Keys are equal as the library defines it: scalar
// values that are ===; collection keys are never duplicates of each other.
import { isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { KeyPath } from './located.js';

export interface DuplicateKey { offset: number; path: KeyPath }

/** Every key that repeats an earlier key of its mapping, in document order. Recursion is bounded by the caller's depth check. */
export function duplicateKeys(root: unknown): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const path: KeyPath = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key;
        const name = isScalar(key) ? String(key.value) : '?';
        if (isScalar(key)) {
          // Merge keys (`<<`) are symbols, each distinct, so several `<<` stay allowed as before.
          if (seen.has(key.value)) found.push({ offset: key.range?.[0] ?? 0, path: [...path, name] });
          else seen.add(key.value);
        } else visit(key);
        path.push(name);
        visit(pair.value);
        path.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => { path.push(i); visit(item); path.pop(); });
    } else if (isAlias(node) || !node) {
      return;
    }
  };
  visit(root as Node | null);
  return found;
}
