// Compose variable interpolation, as compose-go's template package does it:
// $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message},
// ${VAR:+replacement}, ${VAR+replacement}, nested templates inside the default/replacement, and $$.
// Only values are interpolated, never keys.
import type { KeyPath } from '../yaml/located.js';
import { Override, isPlainObject } from './tags.js';

export type Lookup = (name: string) => string | undefined;

export class TemplateError extends Error {
  constructor(readonly reason: string, readonly variable?: string) { super(reason); this.name = 'TemplateError'; }
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/** Substitutes one string. Throws TemplateError for a bad template or a `?` variable that is missing. */
export function interpolateString(text: string, lookup: Lookup, onUnset?: (name: string) => void): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') { out += c; i++; continue; }
    const next = text[i + 1];
    if (next === '$') { out += '$'; i += 2; continue; }
    if (next === '{') {
      const end = matchingBrace(text, i + 2);
      if (end < 0) throw new TemplateError(`invalid template "${text}": unclosed "\${"`);
      out += substitute(text.slice(i + 2, end), text, lookup, onUnset);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(text.slice(i + 1));
    if (m) {
      const v = lookup(m[0]);
      if (v === undefined) onUnset?.(m[0]);
      out += v ?? '';
      i += 1 + m[0].length;
      continue;
    }
    // compose rejects a `$` that starts nothing (write `$$` for a literal dollar).
    throw new TemplateError(`invalid template "${text}": "$" must be followed by a variable name, "{" or "$" (write "$$" for a literal $)`);
  }
  return out;
}

function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') { i++; continue; }
    if (text[i] === '$' && text[i + 1] === '{') { depth++; i++; continue; }
    if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function substitute(expr: string, whole: string, lookup: Lookup, onUnset?: (name: string) => void): string {
  const m = NAME.exec(expr);
  if (!m) throw new TemplateError(`invalid template "${whole}": "\${${expr}}" does not start with a variable name`);
  const name = m[0];
  const rest = expr.slice(name.length);
  const value = lookup(name);
  if (rest === '') {
    if (value === undefined) onUnset?.(name);
    return value ?? '';
  }
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest);
  if (!op) throw new TemplateError(`invalid template "${whole}": unexpected "${rest}" after variable ${name}`);
  const arg = rest.slice(op[0].length);
  const empty = value === undefined || value === '';
  const inner = (): string => interpolateString(arg, lookup, onUnset);
  switch (op[0]) {
    case ':-': return empty ? inner() : value;
    case '-': return value === undefined ? inner() : value;
    case ':?': if (empty) throw new TemplateError(`required variable ${name} is missing a value${arg ? `: ${inner()}` : ''}`, name); return value;
    case '?': if (value === undefined) throw new TemplateError(`required variable ${name} is missing a value${arg ? `: ${inner()}` : ''}`, name); return value;
    case ':+': return empty ? '' : inner();
    default: return value === undefined ? '' : inner();
  }
}

export interface InterpolationProblem { path: KeyPath; reason: string }

/**
 * Interpolates every string value of a parsed compose file in place-free fashion (returns a copy).
 * Problems are collected with their key path; the offending value is left as written.
 */
export function interpolateTree(v: unknown, lookup: Lookup, problems: InterpolationProblem[], path: KeyPath = [], onUnset?: (name: string, path: KeyPath) => void): unknown {
  if (typeof v === 'string') {
    if (!v.includes('$')) return v;
    try {
      return interpolateString(v, lookup, onUnset && ((n) => onUnset(n, path)));
    } catch (e) {
      if (e instanceof TemplateError) { problems.push({ path, reason: e.reason }); return v; }
      throw e;
    }
  }
  if (v instanceof Override) return new Override(interpolateTree(v.value, lookup, problems, path, onUnset));
  if (Array.isArray(v)) return v.map((x, i) => interpolateTree(x, lookup, problems, [...path, i], onUnset));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = interpolateTree(x, lookup, problems, [...path, k], onUnset);
    return out;
  }
  return v;
}
