// `.env` / env_file syntax as compose reads it: KEY=VALUE lines, `export ` prefix, # comments,
// single quotes literal, double quotes with escapes and ${VAR} interpolation, unquoted values
// trimmed with ` #` comments removed. A bare `KEY` takes its value from `lookup` (or is left out).
import { interpolateString, MAX_INTERPOLATED, TemplateError, TemplateLimitError, type Lookup } from './interpolate.js';

export interface DotenvProblem { line: number; reason: string }

export interface DotenvResult { values: Map<string, string>; problems: DotenvProblem[] }

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseDotenv(text: string, lookup: Lookup = () => undefined): DotenvResult {
  const values = new Map<string, string>();
  const problems: DotenvProblem[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  // Later lines may refer to earlier ones, then to the lookup.
  const scoped: Lookup = (n) => values.get(n) ?? lookup(n);
  // One output budget for the file: each line may double an earlier value (A=$B$B), so without
  // it 30 short lines would ask for gigabytes.
  let remaining = MAX_INTERPOLATED;
  const expand = (key: string, template: string, lineNo: number): void => {
    if (remaining < 0) return;
    try {
      const v = interpolateString(template, scoped, undefined, { maxLength: remaining });
      remaining -= v.length;
      values.set(key, v);
    } catch (e) {
      problems.push({ line: lineNo, reason: e instanceof TemplateError ? e.reason : String(e) });
      if (e instanceof TemplateLimitError) remaining = -1;
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i].replace(/^\s+/, '');
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    if (eq < 0) {
      const key = line.trim();
      if (!KEY.test(key)) { problems.push({ line: lineNo, reason: `expected KEY=VALUE, got a line without "="` }); continue; }
      const v = lookup(key);
      if (v !== undefined) values.set(key, v);
      continue;
    }
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) { problems.push({ line: lineNo, reason: `invalid variable name ${JSON.stringify(key.slice(0, 40))}` }); continue; }
    let rest = line.slice(eq + 1).replace(/^[ \t]+/, '');
    const q = rest[0];
    if (q === "'" || q === '"') {
      // Quoted values may span lines.
      // Each added line is scanned alone and the parts joined once: appending to one string and
      // rescanning it (or even indexing it, which flattens it) is quadratic in the line count.
      const parts = [rest.slice(1)];
      let close = findClose(parts[0], q);
      while (close < 0 && i + 1 < lines.length) { i++; parts.push(lines[i]); close = findClose(lines[i], q); }
      if (close < 0) { problems.push({ line: lineNo, reason: `unterminated ${q === '"' ? 'double' : 'single'}-quoted value of ${key}` }); continue; }
      parts[parts.length - 1] = parts[parts.length - 1].slice(0, close);
      const raw = parts.join('\n');
      if (q === "'") { values.set(key, raw); continue; }
      const unescaped = raw.replace(/\\([\\"nrt$])/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[c] ?? (c === '$' ? '$$' : c));
      expand(key, unescaped, lineNo);
      continue;
    }
    const hash = rest.search(/\s#/);
    if (hash >= 0) rest = rest.slice(0, hash);
    rest = rest.trimEnd();
    expand(key, rest, lineNo);
  }
  return { values, problems };
}

function findClose(s: string, q: string): number {
  for (let i = 0; i < s.length; i++) {
    if (q === '"' && s[i] === '\\') { i++; continue; }
    if (s[i] === q) return i;
  }
  return -1;
}
