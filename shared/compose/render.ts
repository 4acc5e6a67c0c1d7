// The files of a commit → the Stack of one environment on this host. Pure (no fs): the caller
// passes the files. Every problem is reported at once as a ComposeError; no secret value appears
// in any message.
import type { Problem } from '../errors.js';
import { checkPolicy } from '../policy/load.js';
import { EMPTY_POLICY } from '../policy/policy.js';
import { decryptAge, SecretDecryptError } from '../secrets/age.js';
import { decryptSops, sopsFormatOf, sopsTreeToEnv, sopsTreeToText, SopsError } from '../secrets/sops.js';
import type { NetworkSpec, RepoTree, SecretSpec, ServiceSpec, Stack, VolumeSpec } from '../stack/model.js';
import { ComposeError } from './compose-error.js';
import { resolveEnvFiles, type EnvFileContent } from './env-files.js';
import { loadCompose, locateInSources, type ComposeSource, type LoadedCompose } from './load.js';
import { buildHash, filesUnder, serviceHash } from './service-hash.js';
import { toServiceSpec } from './service-spec.js';
import { attachRepoTrees } from './repo-binds.js';
import { externalObjectProblem } from './external-objects.js';
import { isPlainObject } from './tags.js';
import { resolveExtension } from './x-autoinfra.js';
import { formatBytes, MiB } from '../yaml/limits.js';
import { fingerprintKeyOrProcess, secretFingerprint } from '../secrets/fingerprint.js';

export interface RenderInput {
  /** Files of the repo tree under infra/ (and anything build contexts reference), path relative to repo root → bytes. */
  files: Map<string, Uint8Array>;
  branch: string;
  /** Environment name: 'production' | 'master' | 'preview-<slug>'. */
  env: string;
  /** The environment's overlay file (the agent's Environment value says which); default: the branch's own. */
  overlay?: string;
  /**
   * Where `allow:` comes from when it is not this commit's own: for master and previews, the
   * agent passes production's `infra/autoinfra.yml` (text undefined: production has none, so
   * nothing is allowed), so a writer of those branches cannot grant themselves host access.
   * Absent: the commit's own file governs (production, and tools rendering one commit).
   */
  allowFrom?: { file: string; text: string | undefined };
  commit: string;
  /** This host's name (placement: x-autoinfra.hosts). */
  host: string;
  /** Interpolation: process env wins over infra/.env. */
  processEnv?: Record<string, string | undefined>;
  /** AGE-SECRET-KEY-1... identities for decrypting infra/secrets/*.age. */
  ageIdentities?: string[];
  /** The host's fingerprint key (agent/state/fingerprint-key.ts); absent: one random per process. */
  fingerprintKey?: Uint8Array;
}

export const PROJECT_DIR = 'infra';
/** Largest rendered stack (the services' specs as JSON): env files shared by many services, or
 *  interpolation, must not turn small inputs into a stack that fills the agent's memory. */
export const MAX_STACK_BYTES = 16 * MiB;
export const BASE_FILE = 'infra/docker-compose.yml';
export const POLICY_FILE = 'infra/autoinfra.yml';

/** The override file for a branch: previews share one, other branches have their own. */
export function overlayFileFor(branch: string, env: string): string {
  return env.startsWith('preview-') ? 'infra/docker-compose-env-preview.yml' : `infra/docker-compose-env-${branch}.yml`;
}

type Obj = Record<string, unknown>;
const decoder = new TextDecoder();

export async function renderStack(input: RenderInput): Promise<Stack> {
  const text = (p: string): string | undefined => { const b = input.files.get(p); return b === undefined ? undefined : decoder.decode(b); };
  const problems: Problem[] = [];
  const what = `cannot render ${input.env} at ${input.commit.slice(0, 12)}`;
  const fingerprintKey = fingerprintKeyOrProcess(input.fingerprintKey);

  const policyText = text(POLICY_FILE);
  const policy = policyText === undefined ? EMPTY_POLICY : (() => { const r = checkPolicy(POLICY_FILE, policyText); for (const p of r.problems) problems.push(p); return r.policy; })();
  const allow = input.allowFrom === undefined ? policy.allow
    : input.allowFrom.text === undefined ? EMPTY_POLICY.allow
    : (() => { const r = checkPolicy(input.allowFrom.file, input.allowFrom.text); for (const p of r.problems) problems.push(p); return r.policy.allow; })();

  const baseText = text(BASE_FILE);
  if (baseText === undefined) throw new ComposeError(what, [{ file: BASE_FILE, reason: 'missing: the deployment repo needs infra/docker-compose.yml' }]);
  const files: ComposeSource[] = [{ file: BASE_FILE, text: baseText }];
  const overlay = input.overlay ?? overlayFileFor(input.branch, input.env);
  const overlayText = text(overlay);
  if (overlayText !== undefined) files.push({ file: overlay, text: overlayText });
  const envText = text(`${PROJECT_DIR}/.env`);

  let loaded: LoadedCompose;
  try {
    loaded = loadCompose({
      files, projectDir: PROJECT_DIR, readFile: text, processEnv: input.processEnv ?? {}, allow,
      envFile: envText === undefined ? undefined : { file: `${PROJECT_DIR}/.env`, text: envText },
    });
  } catch (e) {
    if (e instanceof ComposeError) throw new ComposeError(what, [...problems, ...e.problems]);
    throw e;
  }
  const { model, sources, lookup } = loaded;
  const at = (path: (string | number)[], reason: string): Problem => locateInSources(sources, path, reason);
  const identities = input.ageIdentities ?? [];

  const readSecretFile = async (path: string): Promise<{ bytes: Uint8Array; secret: boolean; env?: Map<string, string> } | undefined> => {
    const bytes = input.files.get(path);
    if (bytes === undefined) return undefined;
    if (path.endsWith('.age')) return { bytes: await decryptAge(path, bytes, identities), secret: true };
    const format = sopsFormatOf(path);
    if (format) {
      const { tree } = await decryptSops(path, bytes, identities);
      return { bytes: new TextEncoder().encode(sopsTreeToText(tree, format)), secret: true, env: sopsTreeToEnv(tree) };
    }
    return { bytes, secret: false };
  };

  // Top-level secrets: decrypted in memory, hashed for the service hashes.
  const secrets: Record<string, SecretSpec> = {};
  for (const [name, raw] of Object.entries(isPlainObject(model.secrets) ? model.secrets : {})) {
    const s = raw as Obj;
    const name_ = typeof s.name === 'string' ? s.name : name;
    let content: Uint8Array | undefined;
    if (typeof s.file === 'string') {
      try {
        const r = await readSecretFile(s.file);
        if (!r) problems.push(at(['secrets', name, 'file'], `secret file ${s.file} not found in the repo`));
        else content = r.bytes;
      } catch (e) { problems.push(at(['secrets', name, 'file'], e instanceof SecretDecryptError || e instanceof SopsError ? e.message : String(e))); }
    } else if (typeof s.environment === 'string') {
      const v = lookup(s.environment);
      if (v === undefined) problems.push(at(['secrets', name, 'environment'], `variable ${s.environment} is not set`));
      else content = new TextEncoder().encode(v);
    } else if (typeof s.content === 'string') content = new TextEncoder().encode(s.content);
    else problems.push(at(['secrets', name], 'external secrets are not supported: give file, environment or content'));
    if (content) secrets[name] = { name: name_, content, hash: secretFingerprint(fingerprintKey, content) };
  }
  const secretHashes = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, v.hash]));

  const allServices = model.services as Record<string, Obj>;
  const topX = isPlainObject(model['x-autoinfra']) ? model['x-autoinfra'] : undefined;
  // Like `docker compose up`: a service with `profiles:` runs only when COMPOSE_PROFILES names one.
  const profiles = new Set((lookup('COMPOSE_PROFILES') ?? '').split(',').map((p) => p.trim()).filter(Boolean));
  const placed = Object.keys(allServices).filter((n) => {
    const svc = allServices[n];
    const x = svc['x-autoinfra'];
    if (Array.isArray(svc.profiles) && svc.profiles.length && !svc.profiles.some((p) => profiles.has(String(p)) || profiles.has('*'))) return false;
    return !(isPlainObject(x) && Array.isArray(x.hosts) && !x.hosts.includes(input.host));
  });
  const included = new Set(placed);
  const services: Record<string, ServiceSpec> = {};
  const repoTrees: Record<string, RepoTree> = {};
  let stackBytes = 0;
  for (const name of placed) {
    const svc = allServices[name];
    const base = toServiceSpec(name, svc, included);
    const envFiles = Array.isArray(svc.env_file) ? (svc.env_file as { path: string; required: boolean }[]) : [];
    const read = async (p: string): Promise<EnvFileContent | undefined> => {
      const r = await readSecretFile(p);
      return r && { text: decoder.decode(r.bytes), secret: r.secret, values: r.env };
    };
    const env = await resolveEnvFiles(envFiles, read, lookup, (i, reason) => at(['services', name, 'env_file', i], reason));
    problems.push(...env.problems);
    const environment = { ...env.values };
    const secretNames = new Set(env.secretNames);
    for (const [k, v] of Object.entries(isPlainObject(svc.environment) ? svc.environment : {})) {
      if (v === null || v === undefined) continue; // unset bare names leave env_file values alone
      environment[k] = String(v);
      secretNames.delete(k);
    }
    let image = base.image;
    if (image === undefined && base.build) {
      if (filesUnder(input.files, base.build.context).length === 0) problems.push(at(['services', name, 'build'], `build context ${base.build.context} has no files in the repo`));
      image = `autoinfra/${input.env}-${name}:${buildHash(input.files, base.build.context, base.build).slice(0, 12)}`;
    }
    const spec: Omit<ServiceSpec, 'hash'> = {
      ...base, image: image ?? '', environment, secretEnvironment: [...secretNames].sort(),
      x: resolveExtension(svc, topX, policy.defaults),
    };
    attachRepoTrees(spec, input.files, repoTrees, (i, reason) => problems.push(at(['services', name, 'volumes', i], reason)));
    // Counted per service so the render stops at the first one past the limit, holding at most
    // the limit plus that service, rather than building the whole stack first.
    stackBytes += JSON.stringify(spec).length;
    if (stackBytes > MAX_STACK_BYTES) {
      problems.push(at(['services', name], `the rendered stack is larger than ${formatBytes(MAX_STACK_BYTES)} at this service (environment, env files, labels, commands): make it smaller`));
      break;
    }
    services[name] = { ...spec, hash: serviceHash(spec, secretHashes, fingerprintKey) };
  }
  if (problems.length) throw new ComposeError(what, problems);

  const volumes: Record<string, VolumeSpec> = {};
  for (const [k, raw] of Object.entries(isPlainObject(model.volumes) ? model.volumes : {})) {
    const v = raw as Obj;
    const x = isPlainObject(v['x-autoinfra']) ? v['x-autoinfra'] : {};
    volumes[k] = { name: typeof v.name === 'string' ? v.name : k, external: v.external === true, ...(typeof v.driver === 'string' ? { driver: v.driver } : {}), labels: (v.labels as Record<string, string>) ?? {}, ...(x.seed === 'production' ? { seed: 'production' as const } : {}) };
  }
  const networks: Record<string, NetworkSpec> = {};
  for (const [k, raw] of Object.entries(isPlainObject(model.networks) ? model.networks : {})) {
    const n = raw as Obj;
    networks[k] = { name: typeof n.name === 'string' ? n.name : k, external: n.external === true, internal: n.internal === true, labels: (n.labels as Record<string, string>) ?? {} };
  }
  const governed = input.allowFrom === undefined ? undefined : allow;
  for (const [k, v] of Object.entries(volumes)) {
    const reason = v.external ? externalObjectProblem('volume', v.name, input.env, governed) : undefined;
    if (reason) problems.push(at(['volumes', k, 'external'], reason));
  }
  for (const [k, n] of Object.entries(networks)) {
    const reason = n.external ? externalObjectProblem('network', n.name, input.env, governed) : undefined;
    if (reason) problems.push(at(['networks', k, 'external'], reason));
  }
  if (problems.length) throw new ComposeError(what, problems);
  const stack: Stack = { env: input.env, branch: input.branch, commit: input.commit, project: input.env, services, volumes, networks, secrets };
  if (Object.keys(repoTrees).length) stack.repoTrees = repoTrees;
  if (loaded.warnings.length) stack.warnings = loaded.warnings;
  return stack;
}

/**
 * The build-context directories (repo-relative) the compose files of `input` name, so that a
 * caller that read only `infra/` can read those too before calling renderStack. Best effort:
 * invalid files give [] (renderStack reports their problems).
 */
export function buildContextsOf(input: Pick<RenderInput, 'files' | 'branch' | 'env' | 'overlay' | 'processEnv'>): string[] {
  const text = (p: string): string | undefined => { const b = input.files.get(p); return b === undefined ? undefined : decoder.decode(b); };
  const base = text(BASE_FILE);
  if (base === undefined) return [];
  const files: ComposeSource[] = [{ file: BASE_FILE, text: base }];
  const overlayFile = input.overlay ?? overlayFileFor(input.branch, input.env);
  const overlay = text(overlayFile);
  if (overlay !== undefined) files.push({ file: overlayFile, text: overlay });
  const envText = text(`${PROJECT_DIR}/.env`);
  try {
    const { model } = loadCompose({ files, projectDir: PROJECT_DIR, readFile: text, processEnv: input.processEnv ?? {}, partial: true,
      envFile: envText === undefined ? undefined : { file: `${PROJECT_DIR}/.env`, text: envText } });
    const dirs = new Set<string>();
    for (const svc of Object.values(model.services as Record<string, Obj>)) if (isPlainObject(svc.build) && typeof svc.build.context === 'string') dirs.add(svc.build.context);
    return [...dirs].sort();
  } catch {
    return [];
  }
}

/** The stack as safe-to-print data: secret values replaced by their keyed fingerprints (the render's key). */
export function redactStack(stack: Stack, fingerprintKey?: Uint8Array): unknown {
  const key = fingerprintKeyOrProcess(fingerprintKey);
  const services: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(stack.services)) {
    const env: Record<string, string> = {};
    for (const [n, v] of Object.entries(s.environment)) env[n] = s.secretEnvironment.includes(n) ? `<secret hmac:${secretFingerprint(key, v).slice(0, 12)}>` : v;
    services[k] = { ...s, environment: env };
  }
  const secrets: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(stack.secrets)) secrets[k] = { name: s.name, hash: s.hash, bytes: s.content.length };
  // Registry credentials: which registries have them, never what they are.
  const registries = stack.registries ? Object.fromEntries(Object.entries(stack.registries).map(([host, c]) => [host, { username: c.username, password: '<secret>' }])) : undefined;
  // Repo files mounted into containers: which, not their bytes.
  const repoTrees = stack.repoTrees ? Object.fromEntries(Object.entries(stack.repoTrees).map(([h, t]) => [h, { source: t.source, kind: t.kind, files: Object.keys(t.files).length }])) : undefined;
  return { ...stack, services, secrets, ...(registries ? { registries } : {}), ...(repoTrees ? { repoTrees } : {}) };
}
