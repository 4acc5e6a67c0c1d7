// Compose's own YAML tags: `!reset` (drop the value inherited from earlier files) and `!override`
// (replace it instead of merging). Both parse to marker objects that merge.ts understands and
// that stripMarkers() removes from a final model.
import { type CollectionTag, type ScalarTag, type Tags, type Document, type YAMLMap, type YAMLSeq } from 'yaml';

/** The value of a `!reset` node: the key is removed from the merged result. */
export const RESET: unique symbol = Symbol.for('autoinfra.compose.reset');
export type Reset = typeof RESET;

/** The value of a `!override` node: replaces what earlier files gave, without merging. */
export class Override {
  constructor(readonly value: unknown) {}
}

// The yaml library wraps what a tag returns in a Scalar and hands it out as is; the collection
// under `!override` is converted by resolveMarkers() once the document (and its anchors) exists.
class OverrideNode {
  constructor(readonly node: YAMLMap | YAMLSeq) {}
}

function coreScalar(s: string): unknown {
  if (s === '' || s === '~' || /^null$/i.test(s)) return null;
  if (/^(true|false)$/i.test(s)) return s.toLowerCase() === 'true';
  if (/^[-+]?\d+$/.test(s)) return Number(s);
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  return s;
}

const resetScalar: ScalarTag = { tag: '!reset', resolve: () => RESET };
const resetMap: CollectionTag = { tag: '!reset', collection: 'map', resolve: () => RESET };
const resetSeq: CollectionTag = { tag: '!reset', collection: 'seq', resolve: () => RESET };
const overrideScalar: ScalarTag = { tag: '!override', resolve: (s) => new Override(coreScalar(s)) };
const overrideMap: CollectionTag = { tag: '!override', collection: 'map', resolve: (n) => new OverrideNode(n) };
const overrideSeq: CollectionTag = { tag: '!override', collection: 'seq', resolve: (n) => new OverrideNode(n) };

// compose-go reads YAML with go-yaml v3, which parses a leading-zero integer (`mode: 0400`) as
// octal; YAML 1.2 would read 400. This tag comes before the core int tag so modes mean the same.
const goOctalInt: ScalarTag = {
  tag: 'tag:yaml.org,2002:int', default: true, test: /^[-+]?0[0-7]+$/,
  identify: () => false,
  resolve: (s) => parseInt(s, 8),
};

const ours: Tags = [resetScalar, resetMap, resetSeq, overrideScalar, overrideMap, overrideSeq];

/** Tags for parseLocated: compose's own plus go-yaml's octal integers. */
export const composeTags = (defaults: Tags): Tags => [goOctalInt, ...defaults, ...ours];

/** Turns `!override` collections into Override values (after Document.toJS). */
export function resolveMarkers(v: unknown, doc: Document): unknown {
  if (v instanceof OverrideNode) return new Override(resolveMarkers(v.node.toJS(doc, { maxAliasCount: 1000 }), doc));
  if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) v[i] = resolveMarkers(v[i], doc); return v; }
  if (typeof v === 'object' && v !== null && !(v instanceof Override)) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = resolveMarkers(o[k], doc);
  }
  return v;
}

/** Removes markers left in a model: a `!reset` key disappears, an `!override` keeps its value. */
export function stripMarkers(v: unknown): unknown {
  if (v instanceof Override) return stripMarkers(v.value);
  if (Array.isArray(v)) return v.filter((x) => x !== RESET).map(stripMarkers);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== RESET) out[k] = stripMarkers(x);
    return out;
  }
  return v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Override) && !(v instanceof Uint8Array);
}
