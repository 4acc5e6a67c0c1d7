// YAML parsing that keeps positions, so every problem can name file, line and column.
// One parser for every YAML input (agent config, compose files, repo policy).
import { Composer, LineCounter, Parser, isMap, isSeq, isScalar, isPair, type CST, type Document, type Node } from 'yaml';
import type { Problem } from '../errors.js';
import { measureExpansion } from './alias-expansion.js';
import { firstTooDeep, flowTooDeep } from './cst-depth.js';
import { DEFAULT_YAML_LIMITS, bytesOver, expansionAllowed, formatBytes, formatCount, type YamlLimits } from './limits.js';
import { duplicateKeys } from './unique-keys.js';

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
  /** Size, depth and alias-expansion bounds (DEFAULT_YAML_LIMITS unless given). */
  limits?: Partial<YamlLimits>;
}

/**
 * Parses YAML 1.2 text; duplicate keys, syntax errors and inputs over the limits become problems
 * with line:column. Time and memory stay linear in the text: the size is checked before parsing,
 * the nesting depth on the token tree before composing, and alias expansion is counted (not
 * done) before the plain value is built.
 */
export function parseLocated(file: string, text: string, opts: ParseOptions = {}): LocatedDocument {
  const limits = { ...DEFAULT_YAML_LIMITS, ...opts.limits };
  const lines = new LineCounter();
  const at = (offset: number, reason: string, path?: KeyPath): Problem => {
    const pos = lines.linePos(offset);
    return { file, line: pos.line, column: pos.col, ...(path?.length ? { path: formatPath(path) } : {}), reason };
  };
  const refuse = (doc: Document.Parsed, problems: Problem[]): LocatedDocument => ({ file, doc, lines, value: undefined, problems });

  const over = bytesOver(text, limits.maxBytes);
  if (over !== undefined) {
    return refuse(emptyDocument(), [{ file, reason: `the file is ${formatBytes(over)}, more than the ${formatBytes(limits.maxBytes)} a YAML input may have` }]);
  }
  const flowDeep = flowTooDeep(text, limits.maxDepth);
  if (flowDeep !== undefined) {
    // The line counter fills while parsing, which is what this check avoids: count here.
    const line = text.slice(0, flowDeep).split('\n').length;
    return refuse(emptyDocument(), [{ file, line, column: flowDeep - text.lastIndexOf('\n', flowDeep - 1), reason: `nested more than ${limits.maxDepth} levels deep` }]);
  }
  const tokens: CST.Token[] = [...new Parser(lines.addNewLine).parse(text)];
  const deep = firstTooDeep(tokens, limits.maxDepth);
  if (deep !== undefined) return refuse(emptyDocument(), [at(deep, `nested more than ${limits.maxDepth} levels deep`)]);

  // uniqueKeys is off: the library's check is quadratic; duplicateKeys below does it in one pass.
  const composer = new Composer({ uniqueKeys: false, customTags: opts.customTags, merge: true });
  let doc: Document.Parsed | undefined;
  const extra: Problem[] = [];
  for (const d of composer.compose(tokens, true, text.length)) {
    if (!doc) doc = d;
    else { extra.push(at(d.range[0], 'Source contains multiple documents; this input must be one YAML document')); break; }
  }
  doc ??= emptyDocument();
  const problems: Problem[] = [...doc.errors.map((err) => at(err.pos[0], err.message.split('\n')[0])), ...extra];
  for (const dup of duplicateKeys(doc.contents)) problems.push(at(dup.offset, 'duplicate key (each key may appear once)', dup.path));
  if (problems.length) return refuse(doc, problems);

  const expansion = measureExpansion(doc.contents);
  for (const p of expansion.problems) problems.push(at(p.offset, p.reason, p.path));
  if (problems.length) return refuse(doc, problems);
  if (expansion.height > limits.maxDepth) {
    const where = expansion.largest;
    return refuse(doc, [at(where?.offset ?? 0, `nested more than ${limits.maxDepth} levels deep once aliases are expanded`, where?.path)]);
  }
  if (!expansionAllowed(expansion.own, expansion.expanded, limits.aliasFloor)) {
    const l = expansion.largest!;
    return refuse(doc, [at(l.offset, `aliases expand this document from ${formatCount(expansion.own)} to ${formatCount(expansion.expanded)} nodes, more than allowed (at most ${limits.aliasFloor} or go-yaml's alias ratio); *${l.source} alone expands to ${formatCount(l.size)} nodes`, l.path)]);
  }
  // Aliases were counted above; the library's own alias-count heuristic throws an unlocated
  // ReferenceError and is not needed (-1 turns it off).
  const value = doc.toJS({ maxAliasCount: -1 });
  return { file, doc, lines, value, problems };
}

function emptyDocument(): Document.Parsed {
  return new Composer().compose([{ type: 'document', offset: 0, start: [] }], true, 0).next().value as Document.Parsed;
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
