// YAML parsing that keeps positions, so every problem can name file, line and column.
// One parser for every YAML input (agent config, compose files, repo policy).
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Document, type Node } from 'yaml';
import type { Problem } from '../errors.js';

export type KeyPath = (string | number)[];

export interface LocatedDocument {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Plain JS value of the document (undefined for an empty file). */
  value: unknown;
  /** Syntax problems (duplicate keys included). When non-empty `value` must not be trusted. */
  problems: Problem[];
}

export interface ParseOptions {
  /** Custom tags (e.g. compose `!reset`, `!override`); a function may reorder the defaults too. */
  customTags?: import('yaml').Tags | ((tags: import('yaml').Tags) => import('yaml').Tags);
}

/** Parses YAML 1.2 text; duplicate keys and syntax errors become problems with line:column. */
export function parseLocated(file: string, text: string, opts: ParseOptions = {}): LocatedDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, customTags: opts.customTags, merge: true });
  const problems: Problem[] = [];
  for (const err of doc.errors) {
    const pos = lines.linePos(err.pos[0]);
    const msg = err.code === 'DUPLICATE_KEY' ? 'duplicate key (each key may appear once)' : err.message.split('\n')[0];
    problems.push({ file, line: pos.line, column: pos.col, reason: msg });
  }
  const value = problems.length ? undefined : doc.toJS({ maxAliasCount: 1000 });
  return { file, doc, lines, value, problems };
}

/** Renders a key path the way operators read it: `services.web.ports[1]`. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** Converts a JSON pointer (`/services/web/ports/1`) to a key path. */
export function pointerToPath(pointer: string): KeyPath {
  if (!pointer) return [];
  return pointer.split('/').slice(1).map((s) => {
    const k = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(k) ? Number(k) : k;
  });
}

/** Finds the node at a key path (or the deepest existing ancestor). `key: true` points at the key itself. */
export function locate(ld: LocatedDocument, path: KeyPath, opts: { key?: boolean } = {}): { line?: number; column?: number } {
  let node: unknown = ld.doc.contents;
  let best: Node | undefined = isNodeLike(node) ? (node as Node) : undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      if (last && opts.key && isNodeLike(pair.key)) { best = pair.key as Node; break; }
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else break;
    if (isNodeLike(node)) best = node as Node;
  }
  const offset = best?.range?.[0];
  if (offset === undefined) return {};
  const pos = ld.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function isNodeLike(n: unknown): boolean {
  return typeof n === 'object' && n !== null && 'range' in n;
}

/** A problem at a key path, located in the document. */
export function problemAt(ld: LocatedDocument, path: KeyPath, reason: string, opts: { key?: boolean } = {}): Problem {
  return { file: ld.file, ...locate(ld, path, opts), path: formatPath(path) || undefined, reason };
}
