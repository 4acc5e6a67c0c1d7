// Compose variable interpolation, as compose-go's template package does it:
// $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message},
// ${VAR:+replacement}, ${VAR+replacement}, nested templates inside the default/replacement, and $$.
// Only values are interpolated, never keys.
import { formatBytes } from '../yaml/limits.js';
import type { KeyPath } from '../yaml/located.js';
import { Override, isPlainObject } from './tags.js';

export type Lookup = (name: string) => string | undefined;

export class TemplateError extends Error {
  constructor(readonly reason: string, readonly variable?: string) { super(reason); this.name = 'TemplateError'; }
}

/** The output bound was reached: later strings are not interpolated (one problem is enough). */
export class TemplateLimitError extends TemplateError {
  constructor() { super(`interpolated values exceed the ${formatBytes(MAX_INTERPOLATED)} limit for one stack`); this.name = 'TemplateLimitError'; }
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

// A repo writer controls the templates and .env: nesting is bounded so that a 20 000-deep
// `${A:-${A:-…}}` is a located problem, not a stack overflow (and each level rescans its
// rest, so depth also bounds the time); output is bounded so that `$BIG` repeated, or .env lines
// that double an earlier value, cannot build gigabyte strings. compose-go sets no such bounds;
// real files nest 2 or 3 deep and render to kilobytes.
export const MAX_TEMPLATE_DEPTH = 32;
export const MAX_INTERPOLATED = 16 * 1024 * 1024;

export interface TemplateLimits {
  /** Longest result, in characters (UTF-16 units). */
  maxLength?: number;
}

/** Substitutes one string. Throws TemplateError for a bad template, a `?` variable that is missing, or a result over the limits. */
export function interpolateString(text: string, lookup: Lookup, onUnset?: (name: string) => void, limits: TemplateLimits = {}): string {
  return interpolateAt(text, lookup, onUnset, limits.maxLength ?? MAX_INTERPOLATED, 0);
}

function interpolateAt(text: string, lookup: Lookup, onUnset: ((name: string) => void) | undefined, maxLength: number, depth: number): string {
  if (depth > MAX_TEMPLATE_DEPTH) throw new TemplateError(`variable templates are nested more than ${MAX_TEMPLATE_DEPTH} deep`);
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (out.length > maxLength) throw new TemplateLimitError();
    const c = text[i];
    if (c !== '$') { out += c; i++; continue; }
    const next = text[i + 1];
    if (next === '$') { out += '$'; i += 2; continue; }
    if (next === '{') {
      const end = matchingBrace(text, i + 2);
      if (end < 0) throw new TemplateError(`invalid template "${text}": unclosed "\${"`);
      out += substitute(text.slice(i + 2, end), text, lookup, onUnset, maxLength - out.length, depth);
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
  if (out.length > maxLength) throw new TemplateLimitError();
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

function substitute(expr: string, whole: string, lookup: Lookup, onUnset: ((name: string) => void) | undefined, maxLength: number, depth: number): string {
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
  const inner = (): string => interpolateAt(arg, lookup, onUnset, maxLength, depth + 1);
  // `:?`/`?` show their message as written, not interpolated (compose interpolates it): it could
  // pull in any variable, a decrypted secret's value too, and the error reaches the public log.
  switch (op[0]) {
    case ':-': return empty ? inner() : value;
    case '-': return value === undefined ? inner() : value;
    case ':?': if (empty) throw new TemplateError(`required variable ${name} is missing a value${arg ? `: ${arg}` : ''}`, name); return value;
    case '?': if (value === undefined) throw new TemplateError(`required variable ${name} is missing a value${arg ? `: ${arg}` : ''}`, name); return value;
    case ':+': return empty ? '' : inner();
    default: return value === undefined ? '' : inner();
  }
}

export interface InterpolationProblem { path: KeyPath; reason: string }

/**
 * Interpolates every string value of a parsed compose file (returns a copy; strings without `$`
 * and non-strings are shared). Problems are collected with their key path; the offending value
 * is left as written.
 */
export function interpolateTree(v: unknown, lookup: Lookup, problems: InterpolationProblem[], path: KeyPath = [], onUnset?: (name: string, path: KeyPath) => void, budget: { remaining: number } = { remaining: MAX_INTERPOLATED }): unknown {
  // One mutable path for the walk; copied only when a problem or warning needs it.
  const stack: KeyPath = [...path];
  const visit = (x: unknown): unknown => {
    if (typeof x === 'string') {
      // Once the budget is spent, one problem says so; the rest is left as written.
      if (!x.includes('$') || budget.remaining < 0) return x;
      try {
        const out = interpolateString(x, lookup, onUnset && ((n) => onUnset(n, [...stack])), { maxLength: budget.remaining });
        budget.remaining -= out.length;
        return out;
      } catch (e) {
        if (e instanceof TemplateError) {
          problems.push({ path: [...stack], reason: e.reason });
          if (e instanceof TemplateLimitError) budget.remaining = -1;
          return x;
        }
        throw e;
      }
    }
    if (x instanceof Override) return new Override(visit(x.value));
    if (Array.isArray(x)) {
      const out = new Array<unknown>(x.length);
      for (let i = 0; i < x.length; i++) { stack.push(i); out[i] = visit(x[i]); stack.pop(); }
      return out;
    }
    if (isPlainObject(x)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x)) { stack.push(k); out[k] = visit(x[k]); stack.pop(); }
      return out;
    }
    return x;
  };
  return visit(v);
}
