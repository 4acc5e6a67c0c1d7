// Loading compose files into one validated, normalised model, the way `docker compose config`
// does: per file parse → interpolate → cast/validate → extends; then merge the files in order,
// then check the merged model and normalise it. Pure: the caller passes file contents.
import { isMap, isScalar, isSeq } from 'yaml';
import type { Problem } from '../errors.js';
import { compileSchema, didYouMean, validateLocated } from '../schema.js';
import { formatPath, parseLocated, pointerToPath, problemAt, type KeyPath, type LocatedDocument } from '../yaml/located.js';
import type { PolicyAllow } from '../policy/policy.js';
import { ComposeError } from './compose-error.js';
import { composeSchema } from './compose-schema.js';
import { parseDotenv } from './dotenv.js';
import { applyExtends, type ExtendsProblem } from './extends.js';
import { hostileOptions } from './hostile.js';
import { unsupportedOptions } from './service-options.js';
import { interpolateTree, MAX_INTERPOLATED, type InterpolationProblem, type Lookup } from './interpolate.js';
import { bytesOver, DEFAULT_YAML_LIMITS, formatBytes } from '../yaml/limits.js';
import { mergeModels, unique } from './merge.js';
import { normaliseModel } from './normalise.js';
import { composeTags, isPlainObject, resolveMarkers, stripMarkers } from './tags.js';

type Obj = Record<string, unknown>;

export interface ComposeSource {
  /** Path as the operator knows it (repo-relative in a render, as given on the command line in the CLI). */
  file: string;
  text: string;
}

export interface LoadComposeInput {
  /** Compose files in merge order. */
  files: ComposeSource[];
  /** Directory relative paths resolve against (`infra` for a repo). Posix. */
  projectDir: string;
  /** Other files `extends: {file}` may name, by path joined with the extending file's directory. */
  readFile?: (file: string) => string | undefined;
  /** The `.env` file, when there is one. */
  envFile?: ComposeSource;
  /** Process environment: wins over `.env`. */
  processEnv?: Record<string, string | undefined>;
  /** Exceptions to the hostile-option rules (production's repo policy `allow:`). */
  allow?: PolicyAllow;
  /** Skip the checks that only make sense for a deployable stack (image or build present, host options). */
  partial?: boolean;
}

export interface LoadedCompose {
  /** The merged, interpolated, validated, normalised model (what `compose config` prints). */
  model: Obj;
  /** Located documents, for locating problems found later (e.g. by render). */
  sources: LocatedDocument[];
  /** Non-fatal notes, e.g. unset variables defaulting to a blank string. */
  warnings: string[];
  /** Variable lookup used for interpolation (process env, then `.env`). */
  lookup: Lookup;
}

/** Builds the interpolation lookup: process env first, then `.env`. Problems of `.env` go to `problems`. */
export function buildLookup(envFile: ComposeSource | undefined, processEnv: Record<string, string | undefined> = {}, problems: Problem[] = []): Lookup {
  const fromProcess: Lookup = (n) => processEnv[n];
  let dot = new Map<string, string>();
  const over = envFile && bytesOver(envFile.text, DEFAULT_YAML_LIMITS.maxBytes);
  if (envFile && over !== undefined) problems.push({ file: envFile.file, reason: `the file is ${formatBytes(over)}, more than the ${formatBytes(DEFAULT_YAML_LIMITS.maxBytes)} an input file may have` });
  else if (envFile) {
    const r = parseDotenv(envFile.text, fromProcess);
    dot = r.values;
    for (const p of r.problems) problems.push({ file: envFile.file, line: p.line, reason: p.reason });
  }
  return (n) => processEnv[n] ?? dot.get(n);
}

interface ParsedFile { ld: LocatedDocument; value: Obj | undefined }

/** What one load may still interpolate: shared by every file, as they end up in one stack. */
type Budget = { remaining: number };

function parseFile(src: ComposeSource, lookup: Lookup, problems: Problem[], warnings: Set<string>, budget: Budget): ParsedFile {
  const ld = parseLocated(src.file, src.text, { customTags: composeTags });
  // Loops, not push(...many): a hostile file can have 100 000s of problems, more than a call's arguments.
  if (ld.problems.length) { for (const p of ld.problems) problems.push(withDuplicatePath(ld, p)); return { ld, value: undefined }; }
  const hasMarkers = /!(reset|override)\b/.test(src.text);
  const raw = hasMarkers ? resolveMarkers(ld.value ?? {}, ld.doc) : ld.value ?? {};
  if (!isPlainObject(raw)) { problems.push({ file: src.file, line: 1, column: 1, reason: 'expected a mapping at the top level (services:, volumes:, ...)' }); return { ld, value: undefined }; }
  const ip: InterpolationProblem[] = [];
  const value = interpolateTree(raw, lookup, ip, [], (name) => warnings.add(`The "${name}" variable is not set. Defaulting to a blank string.`), budget) as Obj;
  for (const p of ip) problems.push(problemAt(ld, p.path, p.reason));
  // compose-go casts interpolated strings to the schema's types; validation coerces in place.
  // Without markers the value itself is validated (and coerced in place); with them, a view.
  const schemaProblems = validateLocated(ld, perFileSchema, hasMarkers ? stripForValidation(value) : value, [], { coerceTypes: true });
  for (const p of joinAlternatives(schemaProblems.map(improveUnknownService))) problems.push(p);
  return { ld, value: schemaProblems.length ? undefined : hasMarkers ? copyCoerced(value) : value };
}

// One file may be partial (an override that sets only `ulimits.nofile.soft`): required keys are
// checked on the merged model, like compose-go, which validates after merging.
function withoutRequired(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutRequired);
  if (typeof v === 'object' && v !== null) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'required') out[k] = withoutRequired(x);
    return out;
  }
  return v;
}
const perFileSchema = withoutRequired(composeSchema) as Obj;

function missingRequired(model: Obj, at: (p: KeyPath, r: string) => Problem, problems: Problem[]): void {
  const validate = compileSchema(composeSchema);
  if (validate(model)) return;
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    if (e.keyword !== 'required') continue;
    const key = String((e.params as { missingProperty: string }).missingProperty);
    const path = pointerToPath(e.instancePath);
    const id = `${e.instancePath}/${key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push({ ...at(path, `missing required key "${key}"`), path: formatPath([...path, key]) });
  }
}

// Validation coerces in place; the markers (!reset, !override) are not schema values, so the
// validator sees a view without them, then the coerced scalars are read back from that view.
const views = new WeakMap<Obj, unknown>();
function stripForValidation(v: Obj): unknown {
  const view = stripMarkers(v);
  views.set(v, view);
  return view;
}
function copyCoerced(v: Obj): Obj {
  const view = views.get(v);
  return overlayScalars(v, view) as Obj;
}
function overlayScalars(orig: unknown, view: unknown): unknown {
  if (Array.isArray(orig) && Array.isArray(view)) {
    let j = 0;
    return orig.map((x) => (typeof x === 'symbol' ? x : overlayScalars(x, view[j++])));
  }
  if (isPlainObject(orig) && isPlainObject(view)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(orig)) out[k] = k in view ? overlayScalars(x, view[k]) : x;
    return out;
  }
  if (orig !== null && typeof orig === 'object') return orig; // Override markers keep their value
  return view === undefined ? orig : view;
}

/** A duplicate key problem gets the key path of the duplicate. */
function withDuplicatePath(ld: LocatedDocument, p: Problem): Problem {
  if (!/^duplicate key/.test(p.reason) || p.line === undefined || p.path !== undefined) return p;
  const found = findKeyAt(ld, ld.doc.contents, [], p.line, p.column ?? 0);
  return found ? { ...p, path: formatPath(found) } : p;
}
function findKeyAt(ld: LocatedDocument, node: unknown, path: KeyPath, line: number, col: number): KeyPath | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key;
      if (isScalar(k) && k.range) {
        const pos = ld.lines.linePos(k.range[0]);
        if (pos.line === line && pos.col === col) return [...path, String(k.value)];
      }
      const r = findKeyAt(ld, pair.value, [...path, isScalar(k) ? String(k.value) : '?'], line, col);
      if (r) return r;
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) { const r = findKeyAt(ld, node.items[i], [...path, i], line, col); if (r) return r; }
  }
  return undefined;
}

/** `expected object, got "x"` and `expected array, got "x"` at one place read as one problem. */
function joinAlternatives(problems: Problem[]): Problem[] {
  const out: Problem[] = [];
  for (const p of problems) {
    const m = /^expected (.+), (got .+)$/.exec(p.reason);
    const prev = out[out.length - 1];
    const pm = prev && prev.path === p.path && prev.line === p.line ? /^expected (.+), (got .+)$/.exec(prev.reason) : null;
    if (m && pm && pm[2] === m[2]) { out[out.length - 1] = { ...prev, reason: `expected ${pm[1]} or ${m[1]}, ${m[2]}` }; continue; }
    out.push(p);
  }
  return out;
}

const SECTION_NOUN: Record<string, string> = { services: 'service', networks: 'network', volumes: 'volume', secrets: 'secret', configs: 'config' };

/** A name outside compose's pattern shows up as an unknown key of its section: say what it is. */
function improveUnknownService(p: Problem): Problem {
  const section = p.path?.split('.')[0] ?? '';
  const key = /^unknown key "(.*?)"/.exec(p.reason)?.[1];
  if (SECTION_NOUN[section] && key !== undefined && p.path === `${section}.${key}`) {
    return { ...p, reason: `invalid ${SECTION_NOUN[section]} name (letters, digits, ".", "_" and "-" only)` };
  }
  return p;
}

/** Loads, merges, validates and normalises. Throws ComposeError listing every problem. */
export function loadCompose(input: LoadComposeInput): LoadedCompose {
  const problems: Problem[] = [];
  const warnings = new Set<string>();
  const lookup = buildLookup(input.envFile, input.processEnv, problems);
  const budget: Budget = { remaining: MAX_INTERPOLATED };
  const parsed = input.files.map((f) => parseFile(f, lookup, problems, warnings, budget));

  const others = new Map<string, ParsedFile | undefined>();
  const loadOther = (file: string): Obj | undefined => {
    if (!others.has(file)) {
      const text = input.readFile?.(file);
      others.set(file, text === undefined ? undefined : parseFile({ file, text }, lookup, problems, warnings, budget));
    }
    return others.get(file)?.value;
  };
  const extendsProblems: ExtendsProblem[] = [];
  const extended = parsed.map((p) => (p.value ? applyExtends(p.value, p.ld.file, input.projectDir, loadOther, extendsProblems) : undefined));
  for (const ep of extendsProblems) {
    const ld = parsed.find((p) => p.ld.file === ep.file)?.ld;
    problems.push(ld ? problemAt(ld, ep.path, ep.reason) : { file: ep.file, path: formatPath(ep.path), reason: ep.reason });
  }
  if (problems.length) throw new ComposeError(`invalid compose files ${input.files.map((f) => f.file).join(', ')}`, problems);

  let merged: unknown = {};
  for (const v of extended) merged = mergeModels(merged, v);
  const model = stripMarkers(dedupeSequences(merged as Obj)) as Obj;
  const sources = parsed.map((p) => p.ld);

  const locateProblem = (path: KeyPath, reason: string): Problem => locateInSources(sources, path, reason);
  missingRequired(model, locateProblem, problems);
  checkMerged(model, input, locateProblem, problems);
  const normalised = normaliseModel(model, { projectDir: input.projectDir, lookup });
  const svcs = normalised.services as Record<string, Obj>;
  // Host checks apply to what would be deployed; a partial load only wants the shape (build contexts).
  if (!input.partial) {
    for (const [name, svc] of Object.entries(svcs)) {
      for (const h of hostileOptions(name, svc, { allow: input.allow ?? {}, projectDir: input.projectDir })) problems.push(locateProblem(h.path, h.reason));
      const found = unsupportedOptions(name, svc);
      for (const h of found.problems) problems.push(locateProblem(h.path, h.reason));
      for (const w of found.warnings) warnings.add(w);
    }
  }
  if (problems.length) throw new ComposeError(`invalid compose files ${input.files.map((f) => f.file).join(', ')}`, sortProblems(problems, sources));
  return { model: normalised, sources, warnings: [...warnings], lookup };
}

/** Single-file duplicates (two entries for one port or mount target) collapse like merged ones. */
function dedupeSequences(model: Obj): Obj {
  if (!isPlainObject(model.services)) return model;
  const services: Obj = {};
  for (const [name, s] of Object.entries(model.services)) {
    if (!isPlainObject(s)) { services[name] = s; continue; }
    const o: Obj = { ...s };
    for (const [k, v] of Object.entries(o)) if (Array.isArray(v)) o[k] = unique(v, ['services', name, k]);
    services[name] = o;
  }
  return { ...model, services };
}

function checkMerged(model: Obj, input: LoadComposeInput, at: (p: KeyPath, r: string) => Problem, problems: Problem[]): void {
  const services = isPlainObject(model.services) ? model.services : {};
  const names = Object.keys(services);
  const topNames = (k: string): string[] => (isPlainObject(model[k]) ? Object.keys(model[k] as Obj) : []);
  const volumes = topNames('volumes');
  const networks = [...topNames('networks'), 'default'];
  const secrets = topNames('secrets');
  const configs = topNames('configs');
  for (const [name, raw] of Object.entries(services)) {
    const svc = isPlainObject(raw) ? raw : {};
    if (svc.image === undefined && svc.build === undefined && !input.partial) problems.push(at(['services', name], `service "${name}" has neither image nor build: give one of them`));
    const deps = Array.isArray(svc.depends_on) ? svc.depends_on.map(String) : isPlainObject(svc.depends_on) ? Object.keys(svc.depends_on) : [];
    deps.forEach((d, i) => {
      if (!names.includes(d)) problems.push(at(['services', name, 'depends_on', Array.isArray(svc.depends_on) ? i : d], `depends on undefined service "${d}"${suggest(d, names)}`));
    });
    const nets = Array.isArray(svc.networks) ? svc.networks.map(String) : isPlainObject(svc.networks) ? Object.keys(svc.networks) : [];
    nets.forEach((n, i) => {
      if (!networks.includes(n)) problems.push(at(['services', name, 'networks', Array.isArray(svc.networks) ? i : n], `network "${n}" is not defined under top-level networks:${suggest(n, networks)}`));
    });
    if (svc.network_mode !== undefined && svc.networks !== undefined) problems.push(at(['services', name, 'network_mode'], 'network_mode and networks cannot be used together'));
    (Array.isArray(svc.volumes) ? svc.volumes : []).forEach((v, i) => {
      const src = isPlainObject(v) ? (v.type === 'volume' ? v.source : undefined) : namedVolumeSource(String(v));
      if (typeof src === 'string' && src && !volumes.includes(src)) problems.push(at(['services', name, 'volumes', i], `volume "${src}" is not defined under top-level volumes:${suggest(src, volumes)}`));
      if (typeof v === 'string' && v.split(':').length > 3) problems.push(at(['services', name, 'volumes', i], `expected "source:target[:mode]", got ${v.split(':').length} parts`));
    });
    for (const [key, defined] of [['secrets', secrets], ['configs', configs]] as const) {
      (Array.isArray(svc[key]) ? (svc[key] as unknown[]) : []).forEach((s, i) => {
        const src = isPlainObject(s) ? String(s.source ?? '') : String(s);
        if (!defined.includes(src)) problems.push(at(['services', name, key, i], `${key.slice(0, -1)} "${src}" is not defined under top-level ${key}:${suggest(src, defined)}`));
      });
    }
    checkExtension(name, svc, at, problems);
  }
  for (const [k, s] of Object.entries(isPlainObject(model.secrets) ? model.secrets : {})) {
    if (!isPlainObject(s)) continue;
    const sources = ['file', 'environment', 'content', 'external'].filter((x) => s[x] !== undefined);
    if (sources.length !== 1) problems.push(at(['secrets', k], `a secret needs exactly one of file, environment, content or external (got ${sources.length ? sources.join(', ') : 'none'})`));
  }
}

function checkExtension(name: string, svc: Obj, at: (p: KeyPath, r: string) => Problem, problems: Problem[]): void {
  const x = svc['x-autoinfra'];
  if (!isPlainObject(x)) return;
  const base: KeyPath = ['services', name, 'x-autoinfra'];
  if (isPlainObject(x.route)) {
    if (x.route.port === undefined) problems.push(at([...base, 'route'], 'route needs port: the container port the edge sends traffic to'));
    if (x.route.hosts === undefined) problems.push(at([...base, 'route'], 'route needs hosts: the host names routed to this service'));
  }
  if (x.strategy === 'bluegreen' && !isPlainObject(x.route)) problems.push(at([...base, 'strategy'], 'strategy bluegreen needs a route (there is no traffic to switch): use start-first or recreate'));
  if (isPlainObject(x.health)) {
    const kinds = ['http', 'command', 'docker', 'none'].filter((k) => x.health && (x.health as Obj)[k] !== undefined && (x.health as Obj)[k] !== false);
    if (kinds.length > 1) problems.push(at([...base, 'health'], `health takes one probe, got ${kinds.join(' and ')}`));
    if ((x.health as Obj).docker === true && !isPlainObject(svc.healthcheck)) problems.push(at([...base, 'health', 'docker'], 'health docker: true needs a compose healthcheck: on the service'));
    if ((x.health as Obj).http !== undefined && !isPlainObject(x.route) && (x.health as Obj).port === undefined) problems.push(at([...base, 'health', 'http'], 'an http health probe needs a port (health.port or route.port)'));
  }
  if (isPlainObject(x.mirror) && x.mirror.enabled !== false && !isPlainObject(x.route)) problems.push(at([...base, 'mirror'], 'mirroring needs a route'));
}

function namedVolumeSource(v: string): string | undefined {
  const parts = v.split(':');
  if (parts.length < 2) return undefined;
  const s = parts[0];
  return s.startsWith('.') || s.startsWith('/') || s.startsWith('~') ? undefined : s;
}

function suggest(name: string, allowed: string[]): string {
  const h = didYouMean(name, allowed.filter((a) => a !== 'default'));
  return h ? ` (did you mean "${h}"?)` : '';
}

/** A problem found in the merged model, located in the last file that sets the key. */
export function locateInSources(sources: LocatedDocument[], keyPath: KeyPath, reason: string): Problem {
  let best: { ld: LocatedDocument; depth: number } | undefined;
  for (let i = sources.length - 1; i >= 0; i--) {
    const depth = existingDepth(sources[i], keyPath);
    if (depth === keyPath.length) return problemAt(sources[i], keyPath, reason);
    if (!best || depth > best.depth) best = { ld: sources[i], depth };
  }
  if (!best) return { path: formatPath(keyPath), reason };
  return { ...problemAt(best.ld, keyPath.slice(0, Math.max(best.depth, 0)), reason), path: formatPath(keyPath) };
}

function existingDepth(ld: LocatedDocument, keyPath: KeyPath): number {
  let v: unknown = ld.value;
  let d = 0;
  for (const seg of keyPath) {
    if (Array.isArray(v) && typeof seg === 'number' && seg < v.length) v = v[seg];
    else if (isPlainObject(v) && String(seg) in v) v = v[String(seg)];
    else break;
    d++;
  }
  return d;
}

function sortProblems(problems: Problem[], sources: LocatedDocument[]): Problem[] {
  const order = (f?: string): number => { const i = sources.findIndex((s) => s.file === f); return i < 0 ? 99 : i; };
  return [...problems].sort((a, b) => order(a.file) - order(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

