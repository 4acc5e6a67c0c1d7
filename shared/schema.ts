// JSON-schema validation of a located YAML document: one problem per violation, each with
// file, line:column, key path, what was expected, and "did you mean" for near-miss keys.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { closest, distance } from 'fastest-levenshtein';
import type { Problem } from './errors.js';
import { formatPath, pointerToPath, problemAt, type KeyPath, type LocatedDocument } from './yaml/located.js';

// ajv-formats is CJS with a default export; under NodeNext the function sits on `.default`.
const addFormats: FormatsPlugin = (addFormatsModule as unknown as { default: FormatsPlugin }).default ?? addFormatsModule;

export type JsonSchema = Record<string, unknown>;

const plainCache = new WeakMap<JsonSchema, ValidateFunction>();
const coercingCache = new WeakMap<JsonSchema, ValidateFunction>();

export interface ValidateOptions {
  /** Convert strings to the numbers/booleans the schema expects, in place (compose casts interpolated values). */
  coerceTypes?: boolean;
}

/** Compiles once per schema object (and option set). */
export function compileSchema(schema: JsonSchema, opts: ValidateOptions = {}): ValidateFunction {
  const cache = opts.coerceTypes ? coercingCache : plainCache;
  const cached = cache.get(schema);
  if (cached) return cached;
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true, coerceTypes: opts.coerceTypes ? true : false });
  addFormats(ajv);
  const fn = ajv.compile(schema);
  cache.set(schema, fn);
  return fn;
}

/** Suggests the closest allowed name, when it is close enough to be a likely typo. */
export function didYouMean(name: string, allowed: string[]): string | undefined {
  if (!allowed.length) return undefined;
  const best = closest(name, allowed);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(name, best) <= limit ? best : undefined;
}

/** Validates `value` (which came from `ld`) and returns problems located in the YAML. */
export function validateLocated(ld: LocatedDocument, schema: JsonSchema, value: unknown = ld.value, basePath: KeyPath = [], opts: ValidateOptions = {}): Problem[] {
  const validate = compileSchema(schema, opts);
  if (validate(value)) return [];
  return dedupe(simplify(validate.errors ?? []).map((e) => toProblem(ld, e, basePath)));
}

function toProblem(ld: LocatedDocument, e: ErrorObject, basePath: KeyPath): Problem {
  const path = [...basePath, ...pointerToPath(e.instancePath)];
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = allowedKeys(e.parentSchema);
      const hint = didYouMean(key, allowed);
      return problemAt(ld, [...path, key], `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`, { key: true });
    }
    case 'required': {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      return { ...problemAt(ld, path, `missing required key "${key}"`), path: formatPath([...path, key]) };
    }
    case 'type':
      return problemAt(ld, path, `expected ${(e.params as { type: string | string[] }).type.toString().replace(/,/g, ' or ')}, got ${describeValue(e.data)}`);
    case 'enum':
      return problemAt(ld, path, `expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(e.data)}`);
    case 'pattern':
      return problemAt(ld, path, `${describeValue(e.data)} does not match the expected form ${schemaDescription(e) ?? (e.params as { pattern: string }).pattern}`);
    default:
      return problemAt(ld, path, schemaDescription(e) ? `${e.message}: expected ${schemaDescription(e)}` : String(e.message));
  }
}

function schemaDescription(e: ErrorObject): string | undefined {
  const d = (e.parentSchema as { description?: string } | undefined)?.description;
  return d;
}

function allowedKeys(parentSchema: unknown): string[] {
  const props = (parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return `${typeof v} ${String(v)}`;
}

/** oneOf/anyOf produce one error per branch; keep the most specific ones for the operator. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const withoutCombinators = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  const kept = withoutCombinators.length ? withoutCombinators : errors;
  // A value that fails `type` in one branch and something deeper in another: prefer the deeper.
  const deepest = new Map<string, ErrorObject[]>();
  for (const e of kept) {
    const list = deepest.get(e.instancePath) ?? [];
    list.push(e);
    deepest.set(e.instancePath, list);
  }
  const paths = [...deepest.keys()];
  return kept.filter((e) => {
    if (e.keyword !== 'type') return true;
    const hasDeeper = paths.some((p) => p !== e.instancePath && p.startsWith(e.instancePath + '/'));
    const siblings = deepest.get(e.instancePath) ?? [];
    return !hasDeeper && !siblings.some((s) => s !== e && s.keyword !== 'type');
  });
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const p of problems) {
    const k = `${p.line}:${p.column}:${p.path}:${p.reason}`;
    if (!seen.has(k)) { seen.add(k); out.push(p); }
  }
  return out;
}
