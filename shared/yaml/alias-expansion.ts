// How large a YAML document becomes once its aliases are expanded, computed without expanding
// them. The yaml library's toJS shares one object per anchor, so parsing a "billion laughs" file
// is cheap; everything after it (interpolation, validation, merging) copies the tree and pays for
// every expansion. Counting first, with one memoised size per anchored node, costs time linear in
// the document and lets us refuse the bomb before anything copies it.
import { isAlias, isMap, isPair, isScalar, isSeq, type Alias, type Node } from 'yaml';
import type { KeyPath } from './located.js';

export interface AliasProblem { offset: number; path: KeyPath; reason: string }

export interface Expansion {
  /** Nodes written in the document (scalars, collections, aliases). */
  own: number;
  /** Nodes after every alias is replaced by a copy of its anchor's node. */
  expanded: number;
  /** Deepest collection nesting after expansion. */
  height: number;
  /** The alias whose anchor is largest, for naming the line of a bomb. */
  largest?: { offset: number; path: KeyPath; source: string; size: number };
  /** Aliases naming no earlier anchor, and aliases inside their own anchor's node. */
  problems: AliasProblem[];
}

interface Measure { size: number; height: number }

/** Measures a composed document. Recursion follows the document's own nesting, which the caller has bounded. */
export function measureExpansion(root: unknown): Expansion {
  const anchors = new Map<string, Node>();
  const measured = new Map<Node, Measure>();
  const open = new Set<Node>();
  const out: Expansion = { own: 0, expanded: 0, height: 0, problems: [] };
  const path: KeyPath = [];

  const alias = (node: Alias): Measure => {
    const target = anchors.get(node.source);
    const offset = node.range?.[0] ?? 0;
    if (!target) {
      out.problems.push({ offset, path: [...path], reason: `alias *${node.source} names no anchor &${node.source} before it` });
      return { size: 1, height: 0 };
    }
    if (open.has(target)) {
      out.problems.push({ offset, path: [...path], reason: `alias *${node.source} is inside the node its anchor &${node.source} marks (a cycle)` });
      return { size: 1, height: 0 };
    }
    const m = measured.get(target) ?? { size: 1, height: 0 };
    if (!out.largest || m.size > out.largest.size) out.largest = { offset, path: [...path], source: node.source, size: m.size };
    return m;
  };

  const visit = (node: unknown): Measure => {
    if (isAlias(node)) { out.own++; return alias(node); }
    if (!node || typeof node !== 'object') return { size: 0, height: 0 };
    const n = node as Node;
    out.own++;
    // The anchor is defined where its node starts, so an alias inside the node sees it (a cycle).
    if (n.anchor) anchors.set(n.anchor, n);
    open.add(n);
    let size = 1;
    let height = 0;
    const child = (c: unknown, seg: string | number): void => {
      path.push(seg);
      const m = visit(c);
      path.pop();
      size += m.size;
      height = Math.max(height, m.height);
    };
    if (isMap(n)) {
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const seg = isScalar(pair.key) ? String(pair.key.value) : '?';
        child(pair.key, seg);
        child(pair.value, seg);
      }
      height++;
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => child(item, i));
      height++;
    }
    open.delete(n);
    const m = { size, height };
    if (n.anchor) measured.set(n, m);
    return m;
  };

  const m = visit(root);
  out.expanded = m.size;
  out.height = m.height;
  return out;
}
