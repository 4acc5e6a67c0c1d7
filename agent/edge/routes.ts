// The route table's validation and lookup (its type: shared/routes/route-table.ts). Pure (no I/O).
// A table maps host names (+ an optional path prefix) to the live upstream of one service.
import { InvalidInputError, type Problem } from '../../shared/errors.js';
import type { Route, RouteTable } from '../../shared/routes/route-table.js';
import { normalisePath } from './request-target.js';

export const EMPTY_TABLE: RouteTable = Object.freeze({ version: 0, routes: Object.freeze([]) as unknown as Route[] });

export class RouteTableError extends InvalidInputError {
  static readonly code = 'E_EDGE_ROUTES';
  constructor(file: string, problems: Problem[]) {
    super(RouteTableError.code, `invalid route table ${file}`, problems);
    this.name = 'RouteTableError';
  }
}

const UPSTREAM = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?):(\d{1,5})$/;
const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const METHOD = /^[A-Z]+$/;

function upstreamProblem(v: unknown): string | undefined {
  if (typeof v !== 'string') return `expected HOST:PORT such as 127.0.0.1:8080, got ${JSON.stringify(v)}`;
  const m = UPSTREAM.exec(v);
  if (!m || Number(m[4]) < 1 || Number(m[4]) > 65535) return `expected HOST:PORT such as 127.0.0.1:8080, got "${v}"`;
  return undefined;
}

/** Every problem of a parsed value that should be a RouteTable (empty when it is one). */
export function routeTableProblems(file: string, value: unknown): Problem[] {
  const out: Problem[] = [];
  const at = (path: string, reason: string): void => { out.push({ file, path, reason }); };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    at('', 'expected an object {version, routes}');
    return out;
  }
  const t = value as Record<string, unknown>;
  if (!Number.isSafeInteger(t.version) || (t.version as number) < 0) at('version', `expected a non-negative integer, got ${JSON.stringify(t.version)}`);
  if (!Array.isArray(t.routes)) { at('routes', 'expected an array of routes'); return out; }
  const ids = new Set<string>();
  const keys = new Map<string, string>();
  for (const [i, r] of (t.routes as unknown[]).entries()) {
    const p = `routes[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) { at(p, 'expected an object'); continue; }
    const route = r as Record<string, unknown>;
    for (const k of Object.keys(route)) if (!['id', 'hosts', 'pathPrefix', 'upstream', 'previous', 'mirror'].includes(k)) at(`${p}.${k}`, 'unknown key');
    if (typeof route.id !== 'string' || !route.id) at(`${p}.id`, 'expected a non-empty string');
    else if (ids.has(route.id)) at(`${p}.id`, `duplicate route id "${route.id}"`);
    else ids.add(route.id);
    const prefix = route.pathPrefix;
    if (prefix !== undefined && (typeof prefix !== 'string' || !prefix.startsWith('/') || /[?#\s]/.test(prefix))) at(`${p}.pathPrefix`, `expected a path starting with "/", got ${JSON.stringify(prefix)}`);
    else if (typeof prefix === 'string' && normalisePath(prefix) !== prefix) at(`${p}.pathPrefix`, `expected a path in normal form (requests are matched after normalisation, request-target.ts), got ${JSON.stringify(prefix)}`);
    if (!Array.isArray(route.hosts) || route.hosts.length === 0) at(`${p}.hosts`, 'expected a non-empty array of host names');
    else {
      for (const [j, h] of (route.hosts as unknown[]).entries()) {
        if (typeof h !== 'string' || !HOST.test(h)) { at(`${p}.hosts[${j}]`, `expected a lowercase host name or *.domain wildcard, got ${JSON.stringify(h)}`); continue; }
        const key = `${h} ${typeof prefix === 'string' ? normalisePrefix(prefix) : '/'}`;
        const other = keys.get(key);
        if (other !== undefined) at(`${p}.hosts[${j}]`, `host "${h}" with path prefix "${typeof prefix === 'string' ? prefix : '/'}" is already routed by ${other}`);
        else keys.set(key, typeof route.id === 'string' ? `route "${route.id}"` : p);
      }
    }
    const up = upstreamProblem(route.upstream);
    if (up) at(`${p}.upstream`, up);
    if (route.previous !== undefined) { const pp = upstreamProblem(route.previous); if (pp) at(`${p}.previous`, pp); }
    if (route.mirror !== undefined) {
      const m = route.mirror as Record<string, unknown>;
      if (typeof m !== 'object' || m === null) at(`${p}.mirror`, 'expected {target, methods, sampleRate}');
      else {
        const mp = upstreamProblem(m.target);
        if (mp) at(`${p}.mirror.target`, mp);
        if (!Array.isArray(m.methods) || m.methods.length === 0 || !m.methods.every((x) => typeof x === 'string' && METHOD.test(x))) at(`${p}.mirror.methods`, 'expected a non-empty array of upper-case HTTP methods such as ["GET","HEAD"]');
        if (typeof m.sampleRate !== 'number' || !(m.sampleRate >= 0 && m.sampleRate <= 1)) at(`${p}.mirror.sampleRate`, `expected a number from 0 to 1, got ${JSON.stringify(m.sampleRate)}`);
      }
    }
  }
  return out;
}

/** Parses the routes file's text; throws RouteTableError naming the file and every problem. */
export function parseRouteTable(file: string, text: string): RouteTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RouteTableError(file, [{ file, reason: `not valid JSON: ${(e as Error).message}` }]);
  }
  const problems = routeTableProblems(file, value);
  if (problems.length) throw new RouteTableError(file, problems);
  return value as RouteTable;
}

/** Throws RouteTableError when `table` is not valid (used before writing it). */
export function assertRouteTable(table: RouteTable, what = 'route table'): void {
  const problems = routeTableProblems(what, table);
  if (problems.length) throw new RouteTableError(what, problems);
}

function normalisePrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

interface Entry { prefix: string; route: Route }

/** A table compiled for lookup per request. Immutable: a switch builds a new one and swaps the reference. */
export class RouteLookup {
  readonly version: number;
  readonly table: RouteTable;
  readonly #exact = new Map<string, Entry[]>();
  /** Wildcards by suffix ('.example.org'), longest suffix first. */
  readonly #wildcards: { suffix: string; entries: Entry[] }[] = [];

  constructor(table: RouteTable) {
    this.table = table;
    this.version = table.version;
    const wild = new Map<string, Entry[]>();
    for (const route of table.routes) {
      const entry = { prefix: normalisePrefix(route.pathPrefix ?? '/'), route };
      for (const h of route.hosts) {
        const map = h.startsWith('*.') ? wild : this.#exact;
        const key = h.startsWith('*.') ? h.slice(1) : h;
        const list = map.get(key) ?? [];
        list.push(entry);
        map.set(key, list);
      }
    }
    const byLength = (a: Entry, b: Entry): number => b.prefix.length - a.prefix.length;
    for (const list of this.#exact.values()) list.sort(byLength);
    for (const [suffix, entries] of wild) this.#wildcards.push({ suffix, entries: entries.sort(byLength) });
    this.#wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  /** The route for a Host header value and request target, or undefined (→ 404). */
  match(hostHeader: string | undefined, target: string): Route | undefined {
    if (!hostHeader) return undefined;
    const host = normaliseHost(hostHeader);
    const q = target.indexOf('?');
    const path = q === -1 ? target : target.slice(0, q);
    const exact = this.#exact.get(host);
    if (exact) { const r = byPrefix(exact, path); if (r) return r; }
    for (const w of this.#wildcards) {
      if (host.length > w.suffix.length && host.endsWith(w.suffix)) { const r = byPrefix(w.entries, path); if (r) return r; }
    }
    return undefined;
  }
}

function byPrefix(entries: Entry[], path: string): Route | undefined {
  for (const e of entries) {
    if (e.prefix === '/' || path === e.prefix || (path.startsWith(e.prefix) && path.charCodeAt(e.prefix.length) === 47 /* / */)) return e.route;
  }
  return undefined;
}

/** 'Example.org:8080' → 'example.org'; '[::1]:80' → '[::1]'; a trailing dot is dropped. */
export function normaliseHost(h: string): string {
  let host = h.toLowerCase();
  if (host.startsWith('[')) { const end = host.indexOf(']'); return end === -1 ? host : host.slice(0, end + 1); }
  const colon = host.indexOf(':');
  if (colon !== -1) host = host.slice(0, colon);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

/** The switch: `routeId` now goes to `upstream`; the old one is kept as `previous` (the switch-back target). */
export function switchRoute(table: RouteTable, routeId: string, upstream: string): RouteTable {
  return mapRoute(table, routeId, (r) => ({ ...r, upstream, previous: r.upstream === upstream ? r.previous : r.upstream }));
}

/** The switch-back: `routeId` goes to its `previous` upstream again (the watch found the new colour bad). */
export function switchBack(table: RouteTable, routeId: string): RouteTable {
  return mapRoute(table, routeId, (r) => {
    if (!r.previous) throw new RouteTableError('route table', [{ path: `route "${routeId}"`, reason: 'has no previous upstream to switch back to' }]);
    const { previous, ...rest } = r;
    return { ...rest, upstream: previous };
  });
}

/** Ends the watch window: forget `previous`, so the old colour can be removed. */
export function forgetPrevious(table: RouteTable, routeId: string): RouteTable {
  return mapRoute(table, routeId, (r) => { const { previous: _p, ...rest } = r; return rest; });
}

function mapRoute(table: RouteTable, routeId: string, f: (r: Route) => Route): RouteTable {
  if (!table.routes.some((r) => r.id === routeId)) throw new RouteTableError('route table', [{ path: `route "${routeId}"`, reason: 'no such route' }]);
  return { version: table.version + 1, routes: table.routes.map((r) => (r.id === routeId ? f(r) : r)) };
}
