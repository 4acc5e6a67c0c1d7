// Loads and validates agent.yml: every problem at once, each with file, line, key path and reason.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Problem } from '../../shared/errors.js';
import { parseDuration, formatDuration } from '../../shared/duration.js';
import { validateLocated } from '../../shared/schema.js';
import { parseLocated, problemAt, type LocatedDocument } from '../../shared/yaml/located.js';
import { agentConfigSchema, defaults, MIN_POLL_INTERVAL_MS, type AgentConfig } from './schema.js';

export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ file, reason: code === 'ENOENT' ? 'file not found (pass --config PATH or run install.sh)' : `cannot read: ${code ?? String(e)}` }]);
  }
  return parseAgentConfig(file, text);
}

/** Pure: text in, resolved config out (or a ConfigError listing every problem). */
export function parseAgentConfig(file: string, text: string): AgentConfig {
  const ld = parseLocated(file, text);
  if (ld.problems.length) throw new ConfigError(file, ld.problems);
  if (ld.value === undefined || ld.value === null) throw new ConfigError(file, [{ file, line: 1, reason: 'file is empty; expected a mapping with at least host and repo.url' }]);
  const problems = validateLocated(ld, agentConfigSchema);
  problems.push(...semanticProblems(ld));
  if (problems.length) throw new ConfigError(file, problems);
  return resolve(file, ld.value as RawConfig);
}

interface RawConfig {
  host: string;
  repo: { url: string; auth?: { token_file?: string; username?: string; password_file?: string } };
  branches?: { production?: string; master?: string };
  previews?: { enabled?: boolean; pattern?: string; pull_requests?: boolean };
  poll?: { interval?: string | number; max_backoff?: string | number };
  state_dir?: string;
  runtime_dir?: string;
  keys?: { signing?: string; age?: string };
  docker?: { socket?: string };
  edge?: { listen?: string[]; tls?: { listen: string; cert: string; key: string }[]; control_socket?: string; routes_file?: string; tunnels?: { idle_timeout?: string | number; max?: number; max_per_client?: number } };
  api?: { listen?: string; webhook_secret_file?: string };
  deploy?: { watch?: string | number; drift_interval?: string | number };
  registries?: { auth_file?: string };
  log?: { format?: 'text' | 'json'; level?: 'error' | 'warn' | 'info' | 'debug' };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Why a repo URL cannot be used, or undefined when it can. Shared by config load and the CLI. */
export function repoUrlProblem(url: string): string | undefined {
  if (/^ssh:\/\//i.test(url) || /^[\w.-]+@[\w.-]+:/.test(url) || /^git:\/\//i.test(url)) {
    return 'SSH and git:// are not supported: use the HTTPS URL of the repository with a token (repo.auth.token_file)';
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL; expected https://host/owner/repo.git';
  }
  if (u.username || u.password) return 'credentials must not be in the URL; put them in repo.auth.token_file or password_file';
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && LOOPBACK.has(u.hostname)) return undefined;
  if (u.protocol === 'http:') return 'plain http:// is only allowed for loopback (127.0.0.1); use https://';
  return `unsupported scheme ${u.protocol}; expected https://`;
}

function semanticProblems(ld: LocatedDocument): Problem[] {
  // Runs even when the schema found problems (so all are reported at once): guard every shape.
  const raw = ld.value as Partial<RawConfig>;
  const out: Problem[] = [];
  if (typeof raw !== 'object' || raw === null) return out;
  const url = raw.repo?.url;
  const urlProblem = typeof url === 'string' ? repoUrlProblem(url) : undefined;
  if (urlProblem) out.push(problemAt(ld, ['repo', 'url'], urlProblem));
  const auth = raw.repo?.auth;
  if (auth && typeof auth === 'object') {
    if (auth.token_file && (auth.username || auth.password_file)) out.push(problemAt(ld, ['repo', 'auth'], 'give either token_file, or username with password_file, not both'));
    if (!auth.token_file && Boolean(auth.username) !== Boolean(auth.password_file)) out.push(problemAt(ld, ['repo', 'auth'], 'username and password_file go together'));
  }
  for (const key of ['interval', 'max_backoff'] as const) {
    const v = raw.poll?.[key];
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const ms = parseDuration(v);
    if (ms === undefined) out.push(problemAt(ld, ['poll', key], `expected a duration such as 15s, got ${JSON.stringify(v)}`));
    else if (key === 'interval' && ms < MIN_POLL_INTERVAL_MS) out.push(problemAt(ld, ['poll', key], `must be at least ${formatDuration(MIN_POLL_INTERVAL_MS)}, got ${formatDuration(ms)}`));
  }
  for (const key of ['watch', 'drift_interval'] as const) {
    const v = raw.deploy?.[key];
    if ((typeof v === 'string' || typeof v === 'number') && parseDuration(v) === undefined) out.push(problemAt(ld, ['deploy', key], `expected a duration such as 2m, got ${JSON.stringify(v)}`));
  }
  const idle = raw.edge?.tunnels?.idle_timeout;
  if ((typeof idle === 'string' || typeof idle === 'number') && parseDuration(idle) === undefined) out.push(problemAt(ld, ['edge', 'tunnels', 'idle_timeout'], `expected a duration such as 60s, got ${JSON.stringify(idle)}`));
  const listen = Array.isArray(raw.edge?.listen) ? raw.edge.listen : [];
  for (const [i, l] of listen.entries()) {
    if (typeof l === 'string' && !/^(\[[0-9a-fA-F:]+\]|[\w.-]*)?:\d{1,5}$/.test(l) && !l.startsWith('/') && l !== 'systemd') {
      out.push(problemAt(ld, ['edge', 'listen', i], `expected ADDRESS:PORT (e.g. :80 or 127.0.0.1:8080), a unix socket path, or "systemd", got "${l}"`));
    }
  }
  return out;
}

function resolve(file: string, raw: RawConfig): AgentConfig {
  const stateDir = raw.state_dir ?? defaults.stateDir;
  const runtimeDir = raw.runtime_dir ?? defaults.runtimeDir;
  return {
    file,
    host: raw.host,
    repo: { url: raw.repo.url, auth: { tokenFile: raw.repo.auth?.token_file, username: raw.repo.auth?.username, passwordFile: raw.repo.auth?.password_file } },
    branches: { ...defaults.branches, ...raw.branches },
    previews: {
      enabled: raw.previews?.enabled ?? defaults.previews.enabled,
      pattern: raw.previews?.pattern ?? defaults.previews.pattern,
      pullRequests: raw.previews?.pull_requests ?? defaults.previews.pullRequests,
    },
    poll: {
      intervalMs: raw.poll?.interval !== undefined ? parseDuration(raw.poll.interval)! : defaults.poll.intervalMs,
      maxBackoffMs: raw.poll?.max_backoff !== undefined ? parseDuration(raw.poll.max_backoff)! : defaults.poll.maxBackoffMs,
    },
    stateDir,
    runtimeDir,
    keys: { ...defaults.keys, ...raw.keys },
    docker: { ...defaults.docker, ...raw.docker },
    edge: {
      listen: raw.edge?.listen ?? [...defaults.edge.listen],
      tls: raw.edge?.tls ?? [],
      controlSocket: raw.edge?.control_socket ?? path.join(runtimeDir, defaults.edge.controlSocket),
      routesFile: raw.edge?.routes_file ?? path.join(stateDir, defaults.edge.routesFile),
      tunnels: {
        ...(raw.edge?.tunnels?.idle_timeout !== undefined ? { idleTimeoutMs: parseDuration(raw.edge.tunnels.idle_timeout)! } : {}),
        ...(raw.edge?.tunnels?.max !== undefined ? { max: raw.edge.tunnels.max } : {}),
        ...(raw.edge?.tunnels?.max_per_client !== undefined ? { maxPerClient: raw.edge.tunnels.max_per_client } : {}),
      },
    },
    api: { listen: raw.api?.listen ?? defaults.api.listen, ...(raw.api?.webhook_secret_file ? { webhookSecretFile: raw.api.webhook_secret_file } : {}) },
    registries: { authFile: raw.registries?.auth_file },
    deploy: {
      watchMs: raw.deploy?.watch !== undefined ? parseDuration(raw.deploy.watch)! : defaults.deploy.watchMs,
      driftIntervalMs: raw.deploy?.drift_interval !== undefined ? parseDuration(raw.deploy.drift_interval)! : defaults.deploy.driftIntervalMs,
    },
    log: { format: raw.log?.format ?? 'text', level: raw.log?.level ?? 'info' },
  };
}
